/**
 * `opentsm hsm`: key custody on the embedded software HSM of a data directory (LMK file and SQLite
 * store). This file is the command-line surface; the work is in src/cli/hsm/.
 *
 * Passphrases and key components are typed at a no-echo prompt, never passed in argv or the
 * environment; from a pipe only with --stdin-secrets (scripted ceremonies). Keys print as id, label
 * and KCV; results go to stdout, progress and confirmations to stderr.
 */
import type { Command } from 'commander';
import { collect, type CalcOptions } from '../calc/input.ts';
import { printResult, type CalcResult } from '../calc/result.ts';
import { processOutput, type Output } from '../gp/output.ts';
import { withHsm, type HsmOptions, type HsmSession } from '../hsm/context.ts';
import { addLocationOptions } from '../hsm/location-options.ts';
import { custodianAdd, custodianList, hsmComponent } from '../hsm/custody.ts';
import { hsmInit } from '../hsm/init.ts';
import { hsmLmkChange } from '../hsm/lmk-change.ts';
import { hsmDestroy, hsmExport, hsmGenerate, hsmImport, hsmList, hsmRotate } from '../hsm/keys.ts';

const STORE_GROUP = 'HSM options:';

/** The data-directory, tenant (where keys are touched) and prompt options of a verb. */
function addHsmOptions(cmd: Command, options: { readonly secrets: boolean; readonly tenant: boolean }): Command {
  addLocationOptions(cmd.optionsGroup(STORE_GROUP));
  if (options.tenant) cmd.option('--tenant <name>', 'the tenant whose keys to use (default: operator)');
  if (options.secrets) cmd.option('--stdin-secrets', 'read passphrases and components from stdin, one per line, instead of a terminal (scripted ceremonies)');
  return cmd.option('--json', 'print the result as JSON').optionsGroup('Options:');
}

type Options = CalcOptions & HsmOptions;

/** Prints what a verb returns, as `label  value` lines or JSON. */
function print(out: Output, options: Options, result: CalcResult | void): void {
  if (result !== undefined) printResult(out, result, options.json === true);
}

/** Runs a verb against the HSM of the data directory. */
function act(cmd: Command, work: (session: HsmSession, options: Options) => Promise<CalcResult | void>): Promise<void> {
  const options = cmd.opts<Options>();
  const out = processOutput();
  return withHsm(options, out, async (session) => print(out, options, await work(session, options)));
}

function verb(parent: Command, usage: string, description: string, examples: readonly string[]): Command {
  return parent
    .command(usage)
    .description(description)
    .addHelpText('after', `\nExamples:\n${examples.map((e) => `  ${e}`).join('\n')}`);
}

/** --usage, --algorithm, --length, --mode, --exportability, --label, --key-version. */
function keySpecOptions(cmd: Command): Command {
  return cmd
    .option('--usage <code>', 'X9.143 key usage, e.g. K0 (KEK), K1 (KBPK), E0 (IMK-AC), P0, M3, D0, B3')
    .option('--algorithm <a>', 'T (TDES), A (AES) or H (HMAC)')
    .option('--length <bytes>', 'key length in bytes (default: T 16, A 32, H 32)')
    .option('--mode <m>', 'mode of use, e.g. B (wrap/unwrap), E, D, X (derive), C (MAC), N')
    .option('--exportability <e>', 'E (under a trusted key), S (sensitive) or N (never)')
    .option('--label <text>', 'a label to find the key by (e.g. KEK-ACME-2026)')
    .option('--key-version <n>', 'key version 0..99 (default 0)');
}

const HELP_AFTER = `
The data directory holds lmk.key (the LMK, AES-256, mode 0600) and opentsm.db (the store: every key
a TR-31 block under the LMK, the custodians, the audit trail). Give it with --data-dir or
OPENTSM_DATA_DIR; --lmk-file (OPENTSM_LMK_FILE) and --db (OPENTSM_DB: sqlite:FILE or postgres://…)
put either part elsewhere. An LMK file group or others can read is refused (chmod 600).
A key is named by its id, or by its label when one active key has it.

Dual control: the LMK and keys from components, export, destroy and an LMK change need two
custodians, each typing their own passphrase. Secrets are typed at a terminal with echo off; --stdin-secrets reads them from
stdin instead, one per line, in the order the prompts ask. Nothing secret is accepted in argv or
the environment, and keys print as KCVs only.

A ceremony:
  export OPENTSM_DATA_DIR=/srv/opentsm
  opentsm hsm init --from-components --custodian alice --custodian bob   # registers both, forms the LMK
  opentsm hsm custodian add carol --approver alice
  opentsm hsm import --usage K1 --algorithm A --mode B --exportability E --label KEK-ACME \\
      --custodian alice --custodian bob                    # each types a component and its KCV
  opentsm hsm import --tr31 D0144P0AE00E0000… --kbpk KEK-ACME --label PEK-2026
  opentsm hsm list
  opentsm hsm export --tr31 --kbpk KEK-ACME PEK-2026 --custodian alice --custodian bob
  opentsm hsm destroy PEK-2026 --custodian alice --custodian bob`;

/** Registers `opentsm hsm` and its verbs. */
export function registerHsm(program: Command): void {
  const hsm = program
    .command('hsm')
    .description('key custody on the software HSM: init, custodians, components, import, generate, list, export, rotate, destroy, LMK change')
    .addHelpText('after', HELP_AFTER);

  verb(hsm, 'init', 'create the HSM: a new LMK file (mode 0600; random, or from 2–3 custodians\' components) and the store', [
    'opentsm hsm init --data-dir /srv/opentsm                       # a random LMK; back the file up offline',
    'opentsm hsm init --data-dir /srv/opentsm --from-components --custodian alice --custodian bob',
    '    # new custodians register first; each types a passphrase, a 32-byte component (twice) and its KCV',
    'opentsm hsm init --lmk-file /etc/opentsm/lmk.key --db postgres://tsm@db/opentsm --from-components \\',
    '    --custodian alice,bob,carol --lmk-kcv 1A2B3C              # the LMK back onto an existing store',
  ])
    .option('--from-components', 'form the LMK from 2 or 3 components (AES-256, 32 bytes each), one per custodian')
    .option('--custodian <name>', 'with --from-components: a custodian, one per component (repeat: 2 or 3)', collect)
    .option('--lmk-kcv <kcv>', 'with --from-components: the LMK\'s KCV recorded at the first ceremony, checked')
    .action(async (_o: unknown, cmd: Command) => {
    const options = cmd.opts<Options>();
    const out = processOutput();
    print(out, options, await hsmInit(options, out));
  });

  const custodian = hsm.command('custodian').description('key custodians: add (passphrase typed twice, no echo) and list');
  verb(custodian, 'add <name>', 'register a custodian: the passphrase typed twice at a no-echo prompt; an existing custodian approves', [
    'opentsm hsm custodian add alice --data-dir /srv/opentsm',
    'opentsm hsm custodian add bob --approver alice --data-dir /srv/opentsm',
  ])
    .option('--approver <name>', 'an existing custodian who approves (required once one exists)')
    .action((name: string, _o: unknown, cmd: Command) => act(cmd, (s, o) => custodianAdd(s, name, o)));
  verb(custodian, 'list', 'the registered custodians (names and registration times)', ['opentsm hsm custodian list --data-dir /srv/opentsm'])
    .action((_o: unknown, cmd: Command) => act(cmd, (s) => custodianList(s)));

  verb(hsm, 'component', 'a custodian enters a key component (twice, no echo) and gets its KCV; or --generate one into a file', [
    'opentsm hsm component --algorithm A --length 32             # type the component; prints its KCV',
    'opentsm hsm component --algorithm T --generate --out /media/usb/alice.hex',
  ])
    .option('--algorithm <a>', 'T (TDES) or A (AES)')
    .option('--length <bytes>', 'component length (default: T 16, A 32)')
    .option('--generate', 'generate a random component instead of typing one')
    .option('--out <file>', 'with --generate: the new file (mode 0600) to write it to, e.g. on removable media')
    .action(async (_o: unknown, cmd: Command) => {
      const options = cmd.opts<Options>();
      const out = processOutput();
      print(out, options, await hsmComponent(options, out));
    });

  keySpecOptions(
    verb(hsm, 'import', 'import a key: from 2–3 components (one per custodian, dual control), or a TR-31 block under a KBPK', [
      'opentsm hsm import --usage K1 --algorithm A --mode B --exportability E --label KEK-ACME --custodian alice --custodian bob',
      'opentsm hsm import --tr31 D0144P0AE00E0000… --kbpk KEK-ACME --label PEK-2026',
    ]),
  )
    .option('--custodian <name>', 'components: a custodian, one per component (repeat: 2 or 3)', collect)
    .option('--tr31 <block>', 'a TR-31 key block (versions A–D) to import')
    .option('--kbpk <key>', 'with --tr31: the key block protection key (usage K1), by id or label')
    .action((_o: unknown, cmd: Command) => act(cmd, (s, o) => hsmImport(s, o)));

  keySpecOptions(
    verb(hsm, 'generate', 'generate a random key inside the HSM', [
      'opentsm hsm generate --usage K1 --algorithm A --mode B --exportability E --label KBPK-LOCAL',
      'opentsm hsm generate --usage E0 --algorithm T --length 16 --mode X --exportability S --label IMK-AC-2026 --json',
    ]),
  ).action((_o: unknown, cmd: Command) => act(cmd, (s, o) => hsmGenerate(s, o)));

  verb(hsm, 'list', 'the tenant\'s keys: id, label, usage, algorithm, mode, exportability, version, status, KCV — never keys', [
    'opentsm hsm list --data-dir /srv/opentsm',
    'opentsm hsm list --usage K1 --json',
  ])
    .option('--usage <code>', 'only keys of this usage')
    .option('--label <text>', 'only keys with this label')
    .action((_o: unknown, cmd: Command) => act(cmd, (s, o) => hsmList(s, o)));

  verb(hsm, 'export <key>', 'export a key as a TR-31 block under a KBPK (B for TDES, D for AES); two custodians approve', [
    'opentsm hsm export --tr31 --kbpk KEK-ACME IMK-AC-2026 --custodian alice --custodian bob',
  ])
    .option('--tr31', 'as a TR-31 key block (the only export format)')
    .option('--kbpk <key>', 'the key block protection key (usage K1), by id or label')
    .option('--custodian <name>', 'an approving custodian (repeat: two)', collect)
    .action((key: string, _o: unknown, cmd: Command) => act(cmd, (s, o) => hsmExport(s, key, o)));

  verb(hsm, 'rotate <key>', 'a new version of a key with the same attributes; the old one is retired', ['opentsm hsm rotate IMK-AC-2026'])
    .action((key: string, _o: unknown, cmd: Command) => act(cmd, (s) => hsmRotate(s, key)));

  verb(hsm, 'destroy <key>', 'destroy a key irrecoverably; two custodians approve', [
    'opentsm hsm destroy IMK-AC-2026 --custodian alice --custodian bob',
  ])
    .option('--custodian <name>', 'an approving custodian (repeat: two)', collect)
    .action((key: string, _o: unknown, cmd: Command) => act(cmd, (s, o) => hsmDestroy(s, key, o)));

  verb(hsm, 'lmk-change', 'a new LMK (random, or from 2–3 custodians\' components), every key re-wrapped under it; two custodians approve', [
    'opentsm hsm lmk-change --custodian alice --custodian bob                   # a random new LMK',
    'opentsm hsm lmk-change --from-components --custodian alice,bob,carol      # each types a new component and its KCV',
    'opentsm hsm lmk-change --resume --custodian alice --custodian bob          # finish a change that stopped',
  ])
    .option('--custodian <name>', 'an approving custodian (repeat: 2 or 3); with --from-components, one per component', collect)
    .option('--from-components', 'form the new LMK from 2 or 3 components (32 bytes each), one per custodian')
    .option('--resume', 'finish an LMK change that stopped (lmk.key.new exists)')
    .action(async (_o: unknown, cmd: Command) => {
      const options = cmd.opts<Options>();
      const out = processOutput();
      print(out, options, await hsmLmkChange(options, out));
    });

  // after each verb's own options, so its help lists them first; custodians belong to no tenant
  const secrets = new Set(['init', 'component', 'import', 'export', 'destroy', 'lmk-change']);
  const keyless = new Set(['init', 'component', 'lmk-change']);
  for (const v of hsm.commands.filter((c) => c !== custodian)) addHsmOptions(v, { secrets: secrets.has(v.name()), tenant: !keyless.has(v.name()) });
  for (const v of custodian.commands) addHsmOptions(v, { secrets: v.name() === 'add', tenant: false });
}
