/**
 * The command line of `opentsm hsm`: --help on every verb, secrets refused from a pipe without
 * --stdin-secrets and never accepted in argv, and a readable `opentsm: … [CODE]` error naming the
 * option for each mistake — before any secret is asked for where the mistake is in the command line.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromHex, toHex } from '../../src/bytes/index.ts';
import { kcv } from '../../src/crypto/index.ts';
import { closeDatabase, openDatabase, queryAuditEvents } from '../../src/store/index.ts';
import { FakeTty, json, pipeInput, reference, runCli } from './cli-helpers.ts';

const VERBS = ['init', 'custodian', 'component', 'import', 'generate', 'list', 'export', 'rotate', 'destroy', 'lmk-change'];
const PASS = { alice: 'alice passphrase one', bob: 'bob passphrase two' };

describe('opentsm hsm --help', () => {
  it('lists every verb, the data directory and the dual-control rules', async () => {
    const r = await runCli(['hsm', '--help']);
    assert.equal(r.code, 0);
    for (const v of VERBS) assert.match(r.stdout, new RegExp(`^ {2}${v}[ \\[<]`, 'm'));
    assert.match(r.stdout, /lmk\.key \(the LMK, AES-256, mode 0600\)/);
    assert.match(r.stdout, /Nothing secret is accepted in argv or\s+the environment/);
  });
  for (const v of [...VERBS.filter((x) => x !== 'custodian'), 'custodian add', 'custodian list']) {
    it(`${v} --help shows the HSM options and an example`, async () => {
      const r = await runCli(['hsm', ...v.split(' '), '--help']);
      assert.equal(r.code, 0);
      assert.match(r.stdout, new RegExp(`^Usage: opentsm hsm ${v}`, 'm'));
      assert.match(r.stdout, /--data-dir <dir>/);
      assert.match(r.stdout, new RegExp(`^Examples:\\n {2}opentsm hsm ${v}`, 'm'));
    });
  }
  it('the verbs that ask for secrets offer --stdin-secrets; none takes a passphrase or component option', async () => {
    for (const v of ['init', 'custodian add', 'component', 'import', 'export', 'destroy', 'lmk-change']) {
      const help = (await runCli(['hsm', ...v.split(' '), '--help'])).stdout;
      assert.match(help, /--stdin-secrets/, v);
      assert.doesNotMatch(help, /--passphrase|--component\b|--pin\b/, v);
    }
  });
});

describe('opentsm hsm usage errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'opentsm-hsm-'));
  const data = join(dir, 'data');
  const D = ['--data-dir', data];
  before(async () => {
    assert.equal((await runCli(['hsm', 'init', ...D])).code, 0);
    assert.equal((await runCli(['hsm', 'custodian', 'add', 'alice', '--stdin-secrets', ...D], pipeInput([PASS.alice, PASS.alice]))).code, 0);
    assert.equal((await runCli(['hsm', 'custodian', 'add', 'bob', '--approver', 'alice', '--stdin-secrets', ...D], pipeInput([PASS.bob, PASS.bob, PASS.alice]))).code, 0);
    assert.equal((await runCli(['hsm', 'generate', '--usage', 'K1', '--algorithm', 'A', '--mode', 'B', '--exportability', 'E', '--label', 'KBPK-U', ...D])).code, 0);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const SPEC = ['--usage', 'K0', '--algorithm', 'A', '--mode', 'B', '--exportability', 'E'];
  const component = '00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF';
  const cases: [string, string[], RegExp, string[]?][] = [
    ['no data directory', ['list'], /^opentsm: --data-dir: required \(the directory `opentsm hsm init` created\), or set OPENTSM_DATA_DIR; or give both --lmk-file and --db \[ERR_CLI_USAGE\]$/m],
    ['a directory that was never initialised', ['list', '--data-dir', '@EMPTY'], /no LMK file .*lmk\.key \(create the HSM with `opentsm hsm init --data-dir .*`\) \[ERR_CLI_INPUT\]/],
    ['--custodian without --from-components', ['init', '--custodian', 'alice,bob', '--data-dir', '@EMPTY'], /--custodian and --lmk-kcv go with --from-components/],
    ['an LMK KCV that is not 3 bytes', ['init', '--from-components', '--custodian', 'alice,bob', '--lmk-kcv', '12345', '--data-dir', '@EMPTY'], /--lmk-kcv: expected the 3-byte KCV recorded at the ceremony \(6 hex digits\)/],
    ['LMK components from one custodian', ['init', '--from-components', '--custodian', 'alice', '--data-dir', '@EMPTY'], /--custodian: name 2 to 3 custodians .*got 1/],
    ['a store URL of an unknown kind', ['list', '--lmk-file', '@EMPTY/lmk.key', '--db', 'mysql://u:pw@h/db'], /^opentsm: --db \(or OPENTSM_DB\): store URL: unsupported scheme "mysql" .*\[ERR_CLI_USAGE\]$/m],
    ['a random LMK onto a store without its LMK file', ['init', '--lmk-file', '@EMPTY/lmk.key', '--db', `sqlite:${join(dir, 'data', 'opentsm.db')}`],
      /opentsm\.db exists without its LMK file: restore .*lmk\.key from its backup, or form the LMK again with --from-components/],
    ['init twice', ['init', ...D], /already initialised \(lmk\.key exists\); a new LMK would orphan every key .*\[ERR_CLI_USAGE\]/],
    ['secrets from a pipe without --stdin-secrets', ['import', ...SPEC, '--custodian', 'alice', '--custodian', 'bob', ...D],
      /^opentsm: secrets are read from a terminal, and stdin is not one: give --stdin-secrets .*\[ERR_CLI_USAGE\]$/m, [PASS.alice]],
    ['a passphrase in argv', ['custodian', 'add', 'carol', '--passphrase', 'secret', ...D], /error: unknown option '--passphrase'/],
    ['a second custodian without approval', ['custodian', 'add', 'carol', '--stdin-secrets', ...D], /--approver: required: 2 custodian\(s\) are registered/],
    ['an unknown usage code', ['generate', '--usage', 'Z9', '--algorithm', 'A', '--mode', 'B', '--exportability', 'E', ...D], /--usage Z9: expected B0, B1, .* \[ERR_CLI_USAGE\]/],
    ['an empty tenant', ['generate', ...SPEC, '--tenant', '', ...D], /^opentsm: --tenant: 1 to 64 printable ASCII characters, e.g. operator or sp-acme \[ERR_CLI_USAGE\]$/m],
    ['a tampered TR-31 block', ['import', '--tr31', 'D0112P0AE00E0000B82679114F470F540165EDFBF7E250FCEA43F810D215F8D207E2E417C07156A27E8E31DA05F7425509593D03A457DC34', '--kbpk', 'KBPK-U', ...D],
      /^opentsm: TR-31 key block: authentication failed \[ERR_HSM_KEY_BLOCK\]$/m],
    ['a truncated TR-31 block', ['import', '--tr31', 'D0112P0AE00E0000B8', '--kbpk', 'KBPK-U', ...D], /^opentsm: TR-31 key block: the length field says 112 characters, the block has 18 \[ERR_HSM_KEY_BLOCK\]$/m],
    ['an LMK path that is a directory', ['list', '--lmk-file', dir, '--db', `sqlite:${join(dir, 'data', 'opentsm.db')}`], /the LMK file .* is not a regular file \[ERR_HSM_LMK\]/],
    ['an AES key of 20 bytes', ['generate', ...SPEC, '--length', '20', ...D], /--length 20: A keys are 16, 24, 32 bytes/],
    ['an RSA key', ['generate', '--usage', 'S0', '--algorithm', 'R', '--mode', 'S', '--exportability', 'N', ...D], /--algorithm R: the CLI creates T \(TDES\), A \(AES\) and H \(HMAC\) keys/],
    ['a usage the HSM refuses for the algorithm', ['generate', '--usage', 'M3', '--algorithm', 'A', '--mode', 'C', '--exportability', 'N', ...D], /usage M3 takes algorithm T, not A \[ERR_HSM_PARAM\]/],
    ['components from one custodian', ['import', ...SPEC, '--custodian', 'alice', '--stdin-secrets', ...D], /--custodian: name 2 to 3 custodians .*got 1/],
    ['the same custodian twice', ['import', ...SPEC, '--custodian', 'alice,alice', '--stdin-secrets', ...D], /--custodian: each custodian once \(dual control needs different people\)/],
    ['--tr31 with components', ['import', '--tr31', 'D0016', '--kbpk', 'x', '--custodian', 'alice', ...D], /--tr31 imports a key block under a KBPK; --custodian goes with components/],
    ['--tr31 without --kbpk', ['import', '--tr31', 'D0016', ...D], /--kbpk: required \(the key block protection key \(usage K1\)/],
    ['a KBPK that does not exist', ['import', '--tr31', 'D0016', '--kbpk', 'NO-SUCH-KEK', ...D], /NO-SUCH-KEK: no active key has this id or label/],
    ['a key id that does not exist', ['rotate', '00000000-0000-4000-8000-000000000000', ...D], /\[ERR_HSM_KEY_NOT_FOUND\]/],
    ['export without --tr31', ['export', 'KEY', '--kbpk', 'KEK', ...D], /--tr31: required \(the export format: a TR-31 key block under --kbpk\)/],
    ['a component whose KCV does not match', ['import', ...SPEC, '--custodian', 'alice', '--custodian', 'bob', '--stdin-secrets', ...D],
      /component 1 \(custodian alice\): the key check value does not match \[ERR_HSM_KCV\]/,
      [PASS.alice, component, component, '000000', PASS.bob, component.replace('00', '01'), component.replace('00', '01'), '000000']],
    ['a component typed differently the second time', ['import', ...SPEC, '--custodian', 'alice', '--custodian', 'bob', '--stdin-secrets', ...D],
      /alice: component 1 of 2: the two entries differ \[ERR_CLI_INPUT\]/, [PASS.alice, component, component.replace('00', '01')]],
    ['a component of the wrong length', ['import', ...SPEC, '--custodian', 'alice', '--custodian', 'bob', '--stdin-secrets', ...D],
      /alice: component 1 of 2: expected 32 bytes \(64 hex digits\), got 16 bytes/, [PASS.alice, component.slice(0, 32)]],
    ['--generate without --out', ['component', '--algorithm', 'A', '--generate'], /--generate and --out go together: a generated component is written to a file, never printed/],
    ['a component file inside the data directory', ['component', '--algorithm', 'A', '--generate', '--out', join(data, 'c.hex'), ...D], /--out: a clear component never goes into the HSM's data directory/],
    ['an unknown key label: refused before any prompt', ['destroy', 'x', '--custodian', 'alice,bob', '--stdin-secrets', ...D], /x: no active key has this id or label/],
  ];
  for (const [name, args, expected, lines] of cases) {
    it(name, async () => {
      const empty = mkdtempSync(join(dir, 'empty-'));
      const r = await runCli(['hsm', ...args.map((a) => a.replace('@EMPTY', empty))], pipeInput(lines ?? []));
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, expected);
      assert.equal(r.stdout, '');
      for (const secret of [PASS.alice, PASS.bob, component]) assert.ok(!r.stderr.includes(secret), 'no secret echoed');
      assert.ok(!r.stderr.includes('pw@'), 'no store password echoed');
    });
  }

  it('a passphrase that ends early: the prompt says so', async () => {
    const r = await runCli(['hsm', 'custodian', 'add', 'carol', '--approver', 'alice', '--stdin-secrets', ...D], pipeInput(['carol passphrase 3']));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /carol: new passphrase \(again\): the input ended before it was given \[ERR_CLI_INPUT\]/);
  });

  it('a short passphrase is refused by the HSM', async () => {
    const r = await runCli(['hsm', 'custodian', 'add', 'carol', '--approver', 'alice', '--stdin-secrets', ...D], pipeInput(['short', 'short', PASS.alice]));
    assert.match(r.stderr, /custodian passphrase: at least 12 characters \[ERR_HSM_PARAM\]/);
  });

  it('Ctrl-C at a passphrase prompt cancels, and the terminal leaves raw mode', async () => {
    const tty = new FakeTty().type('alice pass\x03');
    const r = await runCli(['hsm', 'destroy', '00000000-0000-4000-8000-000000000000', '--custodian', 'alice,bob', ...D], tty);
    // the key is looked up first: an unknown id ends the run before any prompt
    assert.match(r.stderr, /\[ERR_HSM_KEY_NOT_FOUND\]/);
    const gen = json(await runCli(['hsm', 'generate', '--usage', 'D0', '--algorithm', 'A', '--mode', 'B', '--exportability', 'N', '--label', 'DATA-1', '--json', ...D]));
    const c = await runCli(['hsm', 'destroy', String(gen.id), '--custodian', 'alice,bob', ...D], tty);
    assert.equal(c.code, 1);
    assert.match(c.stderr, /alice: passphrase: cancelled \[ERR_CLI_INPUT\]/);
    assert.equal(tty.rawModes.at(-1), false);
  });

  it('a non-exportable key is not exported', async () => {
    const kbpk = json(await runCli(['hsm', 'generate', '--usage', 'K1', '--algorithm', 'A', '--mode', 'B', '--exportability', 'E', '--json', ...D]));
    const key = json(await runCli(['hsm', 'generate', '--usage', 'D0', '--algorithm', 'A', '--mode', 'B', '--exportability', 'N', '--json', ...D]));
    const r = await runCli(['hsm', 'export', '--tr31', '--kbpk', String(kbpk.id), String(key.id), '--custodian', 'alice,bob', '--stdin-secrets', ...D], pipeInput([PASS.alice, PASS.bob]));
    assert.match(r.stderr, /is not exportable \[ERR_HSM_NOT_EXPORTABLE\]/);
  });

  it('component --generate writes a new 0600 file and prints only the KCV', async () => {
    const file = join(dir, 'alice-component.hex');
    const r = await runCli(['hsm', 'component', '--algorithm', 'T', '--generate', '--out', file, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const written = readFileSync(file, 'utf8').trim();
    assert.match(written, /^[0-9A-F]{32}$/);
    assert.equal(json(r).kcv, toHex(kcv(fromHex(written), 'tdes-zeros', 3)));
    assert.ok(!r.stdout.includes(written) && !r.stderr.includes(written), 'the component is not printed');
    const again = await runCli(['hsm', 'component', '--algorithm', 'T', '--generate', '--out', file]);
    assert.match(again.stderr, /--out: cannot create .* \(EEXIST\); it must not exist yet/);
  });
});

describe('opentsm hsm init --from-components: the LMK back onto its store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'opentsm-hsm-'));
  const lmkFile = join(dir, 'keys', 'lmk.key');
  const db = `sqlite:${join(dir, 'store.db')}`;
  const W = ['--lmk-file', lmkFile, '--db', db];
  const parts = [fromHex('11'.repeat(32)), fromHex('2C'.repeat(32))];
  const kcvOf = (p: Uint8Array): string => reference.aesKcv(p);
  const entry = (pass: string, p: Uint8Array): string[] => [pass, toHex(p), toHex(p), kcvOf(p)];
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('forms the LMK (--lmk-file and --db, no data directory), and only the same LMK comes back', async () => {
    mkdirSync(join(dir, 'keys'), { mode: 0o700 });
    const first = await runCli(['hsm', 'init', '--from-components', '--custodian', 'alice,bob', '--stdin-secrets', '--json', ...W],
      pipeInput([PASS.alice, PASS.alice, PASS.bob, PASS.bob, PASS.alice, ...entry(PASS.alice, parts[0]!), ...entry(PASS.bob, parts[1]!)]));
    assert.equal(first.code, 0, first.stderr);
    const lmkKcv = String(json(first).lmkKcv);
    assert.equal(lmkKcv, kcvOf(fromHex('3D'.repeat(32))));
    assert.equal(statSync(lmkFile).mode & 0o777, 0o600);
    const key = json(await runCli(['hsm', 'generate', '--usage', 'D0', '--algorithm', 'A', '--mode', 'B', '--exportability', 'N', '--json', ...W]));
    rmSync(lmkFile);
    // the same custodians with other components: refused, nothing written
    const other = [fromHex('11'.repeat(32)), fromHex('2D'.repeat(32))];
    const wrong = await runCli(['hsm', 'init', '--from-components', '--custodian', 'bob,alice', '--stdin-secrets', ...W],
      pipeInput([...entry(PASS.bob, other[0]!), ...entry(PASS.alice, other[1]!)]));
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, new RegExp(`the assembled LMK \\(KCV [0-9A-F]{6}\\) is not the LMK the store's keys are wrapped under \\(KCV ${lmkKcv}\\)`));
    assert.ok(!existsSync(lmkFile));
    const kcvMismatch = await runCli(['hsm', 'init', '--from-components', '--custodian', 'alice,bob', '--lmk-kcv', '000000', '--stdin-secrets', ...W],
      pipeInput([...entry(PASS.alice, parts[0]!), ...entry(PASS.bob, parts[1]!)]));
    assert.match(kcvMismatch.stderr, /the assembled LMK does not have the expected KCV \[ERR_HSM_KCV\]/);
    // the right components, in another order: the LMK is back and the key opens
    const back = await runCli(['hsm', 'init', '--from-components', '--custodian', 'bob,alice', '--lmk-kcv', lmkKcv.toLowerCase(), '--stdin-secrets', '--json', ...W],
      pipeInput([...entry(PASS.bob, parts[1]!), ...entry(PASS.alice, parts[0]!)]));
    assert.equal(back.code, 0, back.stderr);
    assert.equal(json(back).lmkKcv, lmkKcv);
    assert.equal(json(back).registered, undefined);
    const list = JSON.parse((await runCli(['hsm', 'list', '--json', ...W])).stdout) as Record<string, unknown>[];
    assert.deepEqual(list.map((k) => k.kcv), [key.kcv]);
    const store = await openDatabase(db);
    const lmkEvents = (await queryAuditEvents(store, { operation: 'assembleLmk' })).map((e) => [e.event.result, e.event.code ?? 'ok']);
    await closeDatabase(store);
    assert.deepEqual(lmkEvents, [['ok', 'ok'], ['refused', 'ERR_CLI_INPUT'], ['refused', 'ERR_HSM_KCV'], ['ok', 'ok']]);
    for (const r of [first, wrong, kcvMismatch, back]) for (const p of [...parts, ...other]) assert.ok(!(r.stdout + r.stderr).includes(toHex(p)));
  });

  it('the environment names the same places: OPENTSM_LMK_FILE and OPENTSM_DB', async () => {
    const saved = { lmk: process.env.OPENTSM_LMK_FILE, db: process.env.OPENTSM_DB };
    process.env.OPENTSM_LMK_FILE = lmkFile;
    process.env.OPENTSM_DB = db;
    try {
      const r = await runCli(['hsm', 'list', '--json']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal((JSON.parse(r.stdout) as unknown[]).length, 1);
    } finally {
      for (const [name, value] of [['OPENTSM_LMK_FILE', saved.lmk], ['OPENTSM_DB', saved.db]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});
