/**
 * `opentsm gp`: a GlobalPlatformPro-style client for real cards (PC/SC) and virtual ones (state
 * files). This file is the command-line surface only; each verb's work is in src/cli/gp/.
 *
 * Every verb takes the card and key options (anywhere on the line, as commander routes options to
 * the verb). The one exception is `put-key`, where `--key-enc/--key-mac/--key-dek` name the NEW
 * keys; the current ones then come from `--key` or the GP_KEY* environment variables.
 */
import type { Command } from 'commander';
import type { GpContext, GpOptions } from '../gp/context.ts';
import { withGpContext } from '../gp/context.ts';
import { gpDelete } from '../gp/delete.ts';
import { gpInfo } from '../gp/info.ts';
import { gpInstall, type InstallOptions } from '../gp/install.ts';
import { gpList } from '../gp/list.ts';
import { processOutput } from '../gp/output.ts';
import { gpPutKey, type PutKeyOptions } from '../gp/put-key.ts';
import { gpApdu } from '../gp/raw-apdu.ts';
import { gpLockApplication, gpLockCard, gpSetStatus } from '../gp/set-status.ts';
import { gpStoreData, type StoreDataCliOptions } from '../gp/store-data.ts';

const CARD_GROUP = 'Card and key options:';
const NEW_KEYS = ['keyEnc', 'keyMac', 'keyDek'];

/** The card, key and channel options, on `gp` and on each verb. */
function addCardOptions(cmd: Command, keyComponents = true): Command {
  cmd
    .optionsGroup(CARD_GROUP)
    .option('--reader <name>', 'PC/SC reader: its name or a unique part of it')
    .option('--card <file>', 'virtual card state file (create one with `opentsm se create`)')
    .option('--key <hex>', 'one key for ENC, MAC and DEK (or env GP_KEY)');
  if (keyComponents) {
    cmd
      .option('--key-enc <hex>', 'the ENC key (or env GP_KEY_ENC)')
      .option('--key-mac <hex>', 'the MAC key (or env GP_KEY_MAC)')
      .option('--key-dek <hex>', 'the DEK key (or env GP_KEY_DEK)');
  }
  return cmd
    .option('--kdf <method>', 'diversify master keys with the card\'s KDD: emv, visa2 (SCP02) or kdf3 (SCP03)')
    .option('--kvn <n>', 'key version for INITIALIZE UPDATE (decimal or 0x..; default 0: the card\'s choice)')
    .option('--scp <version>', 'secure channel protocol 02 or 03 (default: from card data or INITIALIZE UPDATE)')
    .option('--sl <level>', 'security level: mac (default), enc, rmac, renc; combine with commas (enc,rmac)')
    .option('--sdaid <aid>', 'the Security Domain to work with (default: the ISD, found by SELECT)')
    .option('-d, --debug', 'APDU trace on stderr (PUT KEY, STORE DATA, cryptograms and encrypted data redacted)')
    .optionsGroup('Options:');
}

/** The card and key options of a verb; for put-key without its new keys. */
function optionsOf(verb: Command, ownKeysAreNew = false): GpOptions {
  const options: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(verb.opts())) {
    if (value !== undefined && !(ownKeysAreNew && NEW_KEYS.includes(name))) options[name] = value;
  }
  return options;
}

/** Runs a verb against the card. */
function act(verb: Command, work: (ctx: GpContext) => Promise<void>, ownKeysAreNew = false): Promise<void> {
  return withGpContext(optionsOf(verb, ownKeysAreNew), processOutput(), work);
}

function verb(gp: Command, usage: string, description: string): Command {
  return gp.command(usage).description(description);
}

const HELP_AFTER = `
Every command takes the card and key options (see \`opentsm gp <command> --help\`):
  --reader NAME | --card FILE      a PC/SC reader, or a virtual card state file
  --key HEX | --key-enc/--key-mac/--key-dek HEX
                                   the keys; or GP_KEY, GP_KEY_ENC, GP_KEY_MAC, GP_KEY_DEK
  --kdf emv|visa2|kdf3  --kvn N  --scp 02|03  --sl mac|enc|rmac|renc  --sdaid AID  -d/--debug
In put-key, --key-enc/--key-mac/--key-dek are the NEW keys: authenticate with --key or GP_KEY*.

Keys are never printed: output and errors show key check values (KCVs) only.
If the card cryptogram does not verify, stop: wrong keys or diversification, and cards
block after a few failed authentications. Do not retry with the same keys.

Examples:
  opentsm gp info --card se.json
  opentsm gp list --card se.json --key 404142434445464748494A4B4C4D4E4F
  GP_KEY=404142434445464748494A4B4C4D4E4F opentsm gp install applet.cap --reader "Virtual PCD"
  GP_KEY_ENC=.. GP_KEY_MAC=.. GP_KEY_DEK=.. opentsm gp put-key --card se.json --new-kvn 0x31 --replace 0x30 --key-enc .. --key-mac .. --key-dek ..
  opentsm gp apdu --card se.json 00A4040000 80CA9F7F00`;

/** Registers `opentsm gp` and its verbs. */
export function registerGp(program: Command): void {
  const gp = program
    .command('gp')
    .description('GlobalPlatform card management, GlobalPlatformPro-style: info, list, install, delete, lock, keys, raw APDUs')
    .addHelpText('after', HELP_AFTER);

  verb(gp, 'info', 'ATR, CPLC, card data (GP version, SCP), IIN/CIN, key information; no keys needed')
    .action((_o: unknown, cmd: Command) => act(cmd, (ctx) => gpInfo(ctx)));

  verb(gp, 'list', 'the registry: ISD, applications, Security Domains, load files with modules (GET STATUS)')
    .action((_o: unknown, cmd: Command) => act(cmd, (ctx) => gpList(ctx)));

  verb(gp, 'install <cap>', 'load a CAP file and install its applet (INSTALL [for load], LOAD, INSTALL [for install])')
    .option('--params <hex>', 'application parameters (the value of C9)')
    .option('--privs <list>', 'privileges, comma-separated (e.g. SecurityDomain,CardReset)')
    .option('--applet <aid>', 'the applet (module) to install, when the CAP has several')
    .option('--create <aid>', 'the instance AID (default: the module AID)')
    .option('--default', 'make the instance the default selected one (Card Reset privilege)')
    .option('--to <aid>', 'the Security Domain to associate the package with (default: the one the command goes to)')
    .action((cap: string, _o: unknown, cmd: Command) => act(cmd, (ctx) => gpInstall(ctx, cap, cmd.opts<InstallOptions>())));

  verb(gp, 'delete <aid>', 'delete a package, application or Security Domain (DELETE)')
    .option('--force', 'also delete related objects (a package\'s instances, an SD\'s applications)')
    .action((aid: string, _o: unknown, cmd: Command) => act(cmd, (ctx) => gpDelete(ctx, aid, cmd.opts<{ force?: boolean }>().force === true)));

  verb(gp, 'lock <aid>', 'lock an application or Security Domain (SET STATUS 40, P2 80)')
    .action((aid: string, _o: unknown, cmd: Command) => act(cmd, (ctx) => gpLockApplication(ctx, aid, true)));

  verb(gp, 'unlock <aid>', 'unlock an application or Security Domain (SET STATUS 40, P2 00)')
    .action((aid: string, _o: unknown, cmd: Command) => act(cmd, (ctx) => gpLockApplication(ctx, aid, false)));

  verb(gp, 'lock-card', 'lock the card: CARD_LOCKED (SET STATUS 80 7F); only the ISD stays selectable')
    .action((_o: unknown, cmd: Command) => act(cmd, (ctx) => gpLockCard(ctx, true)));

  verb(gp, 'unlock-card', 'unlock the card: back to SECURED (SET STATUS 80 0F)')
    .action((_o: unknown, cmd: Command) => act(cmd, (ctx) => gpLockCard(ctx, false)));

  verb(gp, 'put-key', 'add or replace a key set (PUT KEY): AES for SCP03, 3DES for SCP02; the card must confirm the KCVs')
    .option('--new-kvn <n>', 'version of the new key set, 1..127 (decimal or 0x..)')
    .option('--replace <kvn>', 'the key set to replace (default: add a new one)')
    .option('--key-enc <hex>', 'the NEW ENC key (authenticate with --key, or GP_KEY / GP_KEY_ENC, GP_KEY_MAC, GP_KEY_DEK)')
    .option('--key-mac <hex>', 'the NEW MAC key')
    .option('--key-dek <hex>', 'the NEW DEK key')
    .action((_o: unknown, cmd: Command) => act(cmd, (ctx) => gpPutKey(ctx, cmd.opts<PutKeyOptions>()), true));

  verb(gp, 'store-data <hex>', 'STORE DATA to the Security Domain (or --app): BER-TLV, or DGIs with --dgi')
    .option('--dgi', 'the data is a DGI stream')
    .option('--encrypted', 'encrypt under the DEK (each DGI value with --dgi, else the whole data; no padding added)')
    .option('--app <aid>', 'personalize this application (INSTALL [for personalization] first)')
    .action((data: string, _o: unknown, cmd: Command) => act(cmd, (ctx) => gpStoreData(ctx, data, cmd.opts<StoreDataCliOptions>())));

  verb(gp, 'set-status <target> <state>', 'set a life cycle state: TARGET is `card` or an AID; STATE a name or a hex byte')
    .option('--with-apps', 'an SD together with its applications (SET STATUS 60)')
    .option('--force', 'allow TERMINATED, which cannot be undone')
    .addHelpText('after', '\nCard states: INITIALIZED, SECURED, CARD_LOCKED, TERMINATED.\nApplication/SD states: LOCKED, UNLOCKED, SELECTABLE, PERSONALIZED, or a hex byte.')
    .action((target: string, state: string, _o: unknown, cmd: Command) =>
      act(cmd, (ctx) => gpSetStatus(ctx, target, state, cmd.opts<{ withApps?: boolean; force?: boolean }>())));

  verb(gp, 'apdu <hex...>', 'send raw command APDUs and print the answers (no SELECT first)')
    .option('--secure', 'send them inside the secure channel to the Security Domain')
    .action((apdus: string[], _o: unknown, cmd: Command) => act(cmd, (ctx) => gpApdu(ctx, apdus, cmd.opts<{ secure?: boolean }>().secure === true)));

  // after each verb's own options, so its help lists them first; put-key's --key-* are the new keys
  for (const v of gp.commands) addCardOptions(v, v.name() !== 'put-key');
}
