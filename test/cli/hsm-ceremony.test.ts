/**
 * `opentsm hsm`: a full key ceremony in process, every secret typed at a scripted terminal (raw
 * mode, no echo) or, for one step, piped with --stdin-secrets: init (LMK file and store), two
 * custodians, a KEK formed from two components, a TR-31 block imported under it, list, export with
 * two custodians, rotate, destroy. Then everything the runs printed and every byte of the data
 * directory is scanned for the clear components, the KEK, the passphrases and the imported key:
 * none may appear.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromHex, toHex, xor } from '../../src/bytes/index.ts';
import { kcv, unwrapKeyBlock, wrapKeyBlock } from '../../src/crypto/index.ts';
import { loadLmkFile } from '../../src/hsm/index.ts';
import { closeDatabase, openDatabase, queryAuditEvents } from '../../src/store/index.ts';
import { loadVectors } from '../helpers/vectors.ts';
import { FakeTty, json, pipeInput, runCli, type CliResult } from './cli-helpers.ts';

/** The TR-31:2018 A.7.4 key (X9.143:2021 §8.1): published with its KCV, 08793E. */
interface Published { name: string; expected: { key: string; kcv?: string } }
const published = loadVectors<{ unwrap: Published[] }>('hsm/tr31-published.json').unwrap.find((v) => v.name === 'tr31/TR-31:2018/A.7.4')!;
const IMPORTED_KEY = published.expected.key;

const ALICE = { name: 'alice', passphrase: 'correct horse battery' };
const BOB = { name: 'bob', passphrase: 'staple fifteen words' };
/** Two AES-256 KEK components, one per custodian. */
const C1 = fromHex('3A6C0F1B92D4E85577A1C3E9B0D2F41638A5C7E91B2D4F60718293A4B5C6D7E8');
const C2 = fromHex('C4D5E6F708192A3B4C5D6E7F8091A2B3C4D5E6F708192A3B4C5D6E7F8091A2B3');
const KEK = xor(C1, C2);
const aesKcv = (key: Uint8Array): string => toHex(kcv(key, 'aes-cmac', 3));

describe('opentsm hsm: a key ceremony', () => {
  const dir = mkdtempSync(join(tmpdir(), 'opentsm-hsm-'));
  const data = join(dir, 'data');
  const D = ['--data-dir', data];
  const runs: CliResult[] = [];
  let kekId = '';
  let keyId = '';
  let exported = '';

  /** Runs a step, keeps what it printed for the scan, and requires success. */
  async function step(args: readonly string[], input?: FakeTty | ReturnType<typeof pipeInput>): Promise<CliResult> {
    const r = await runCli(['hsm', ...args, ...D], input);
    runs.push(r);
    assert.equal(r.code, 0, r.stderr);
    return r;
  }
  /** A terminal on which these lines are typed, each ending with Enter. */
  const typed = (...lines: string[]): FakeTty => new FakeTty().type(lines.map((l) => `${l}\r`).join(''));

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('init creates the LMK file (mode 0600, its KCV printed) and the store', async () => {
    const r = await step(['init', '--json']);
    const out = json(r);
    const lmkPath = join(data, 'lmk.key');
    assert.equal(out.lmkFile, lmkPath);
    assert.equal(statSync(lmkPath).mode & 0o777, 0o600);
    assert.equal(statSync(data).mode & 0o777, 0o700);
    assert.equal(statSync(join(data, 'opentsm.db')).mode & 0o077, 0);
    const lmk = loadLmkFile(lmkPath);
    assert.equal(out.lmkKcv, lmk.kcv);
    lmk.destroy();
    assert.match(r.stderr, /created .*lmk\.key \(mode 0600\)/);
  });

  it('the first custodian registers alone; the passphrase is typed twice with echo off', async () => {
    const tty = typed(ALICE.passphrase, ALICE.passphrase);
    const r = await step(['custodian', 'add', ALICE.name], tty);
    assert.match(r.stderr, /^alice: new passphrase: \nalice: new passphrase \(again\): \n/);
    assert.match(r.stderr, /custodian alice registered \(the first: no approval\)/);
    assert.deepEqual(tty.rawModes, [true, false, true, false, false]);
  });

  it('the second custodian needs the first one\'s approval', async () => {
    const refused = await runCli(['hsm', 'custodian', 'add', BOB.name, ...D], typed(BOB.passphrase, BOB.passphrase));
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /--approver: required: 1 custodian\(s\) are registered/);
    await step(['custodian', 'add', BOB.name, '--approver', ALICE.name], typed(BOB.passphrase, BOB.passphrase, ALICE.passphrase));
    const list = json(await step(['custodian', 'list', '--json']));
    assert.deepEqual(Object.keys(list), [ALICE.name, BOB.name]);
  });

  it('a custodian checks a component: typed twice, only its KCV printed', async () => {
    const r = await step(['component', '--algorithm', 'A', '--json'], typed(toHex(C1), toHex(C1)));
    assert.equal(json(r).kcv, aesKcv(C1));
  });

  it('a KEK (K1, AES-256) from two components, one per custodian, each checked by its KCV', async () => {
    const tty = typed(ALICE.passphrase, toHex(C1), toHex(C1), aesKcv(C1), BOB.passphrase, toHex(C2).toLowerCase(), toHex(C2).toLowerCase(), aesKcv(C2));
    const r = await step(['import', '--usage', 'K1', '--algorithm', 'A', '--mode', 'B', '--exportability', 'E', '--label', 'KEK-ACME', '--custodian', ALICE.name, '--custodian', BOB.name, '--json'], tty);
    const out = json(r);
    assert.equal(out.kcv, aesKcv(KEK));
    assert.equal(out.usage, 'K1');
    kekId = String(out.id);
    // the KCVs are echoed as typed (not secret); components and passphrases are not
    assert.match(r.stderr, new RegExp(`alice: KCV of component 1 \\(from the form\\): ${aesKcv(C1)}\\n`));
    assert.match(r.stderr, /formed key .* from 2 components: alice, bob/);
  });

  it('a TR-31 block under the KEK imports with the published key\'s KCV', async () => {
    const block = wrapKeyBlock(KEK, fromHex(IMPORTED_KEY), { header: { version: 'D', usage: 'P0', algorithm: 'A', modeOfUse: 'E', exportability: 'E' } });
    const out = json(await step(['import', '--tr31', block, '--kbpk', 'KEK-ACME', '--label', 'PEK-2026', '--json']));
    assert.equal(out.kcv, published.expected.kcv!.slice(0, 6));
    assert.deepEqual([out.usage, out.algorithm, out.modeOfUse, out.exportability, out.label], ['P0', 'A', 'E', 'E', 'PEK-2026']);
    keyId = String(out.id);
  });

  it('list shows ids, labels, usage, mode, version, status and KCVs', async () => {
    const text = (await step(['list'])).stdout;
    assert.match(text, /^ID +LABEL +USAGE +ALG +LEN +MODE +EXP +VER +STATUS +KCV$/m);
    assert.match(text, new RegExp(`^${kekId} +KEK-ACME +K1 +A +32 +B +E +00 +active +${aesKcv(KEK)}$`, 'm'));
    assert.match(text, new RegExp(`^${keyId} +PEK-2026 +P0 +A +16 +E +E +00 +active +08793E$`, 'm'));
    const list = JSON.parse((await step(['list', '--usage', 'p0', '--json'])).stdout) as Record<string, unknown>[];
    assert.deepEqual(list.map((k) => k.id), [keyId]);
  });

  it('export needs two custodians and gives a block that unwraps to the imported key', async () => {
    const one = await runCli(['hsm', 'export', '--tr31', '--kbpk', kekId, keyId, '--custodian', ALICE.name, ...D], typed(ALICE.passphrase));
    assert.equal(one.code, 1);
    assert.match(one.stderr, /--custodian: name 2 to 3 custodians .*got 1 \[ERR_CLI_USAGE\]/);
    const wrong = await runCli(['hsm', 'export', '--tr31', '--kbpk', kekId, keyId, '--custodian', ALICE.name, '--custodian', BOB.name, ...D], typed(ALICE.passphrase, 'not bob at all'));
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /custodian authentication failed \[ERR_HSM_CUSTODIAN\]/);
    // scripted with --stdin-secrets: the same prompts, read from a pipe
    const r = await step(['export', '--tr31', '--kbpk', 'KEK-ACME', 'PEK-2026', '--custodian', `${ALICE.name},${BOB.name}`, '--stdin-secrets', '--json'], pipeInput([ALICE.passphrase, BOB.passphrase]));
    exported = String(json(r).keyBlock);
    const back = unwrapKeyBlock(KEK, exported);
    assert.equal(toHex(back.key), IMPORTED_KEY);
    assert.deepEqual([back.header.version, back.header.usage, back.header.algorithm, back.header.modeOfUse, back.header.exportability], ['D', 'P0', 'A', 'E', 'E']);
    back.wipe();
    assert.match(r.stderr, /approved by alice, bob/);
  });

  it('rotate retires the old version', async () => {
    const out = json(await step(['rotate', 'PEK-2026', '--json']));
    assert.equal(out.retired, keyId);
    assert.equal(out.version, 1);
    const list = JSON.parse((await step(['list', '--label', 'PEK-2026', '--json'])).stdout) as Record<string, unknown>[];
    assert.deepEqual(list.map((k) => [k.id, k.status]).sort(), [[keyId, 'retired'], [out.id, 'active']].sort());
  });

  it('destroy needs two custodians; the key is gone from the list', async () => {
    await step(['destroy', keyId, '--custodian', ALICE.name, '--custodian', BOB.name], typed(ALICE.passphrase, BOB.passphrase));
    const list = JSON.parse((await step(['list', '--json'])).stdout) as Record<string, unknown>[];
    assert.ok(!list.some((k) => k.id === keyId));
    const gone = await runCli(['hsm', 'rotate', keyId, ...D]);
    assert.equal(gone.code, 1);
  });

  it('the audit trail in the store names custodians and KCVs', async () => {
    const db = await openDatabase(`sqlite:${join(data, 'opentsm.db')}`);
    try {
      const events = await queryAuditEvents(db, { limit: 1000 });
      const ops = events.map((e) => e.event.operation);
      for (const op of ['registerCustodian', 'importComponents', 'importKeyBlock', 'exportKeyBlock', 'rotateKey', 'destroyKey']) assert.ok(ops.includes(op), op);
      assert.ok(events.some((e) => e.event.operation === 'exportKeyBlock' && e.event.result === 'refused'), 'the failed approval is audited');
      const exportOk = events.find((e) => e.event.operation === 'exportKeyBlock' && e.event.result === 'ok')!.event;
      assert.equal(exportOk.detail, 'custodians: alice, bob');
      assert.deepEqual(exportOk.keys.map((k) => k.kcv), [aesKcv(KEK), '08793E']);
    } finally {
      await closeDatabase(db);
    }
  });

  it('no clear component, KEK, passphrase or imported key in any output or in the data directory', () => {
    const secrets = [C1, C2, KEK, fromHex(IMPORTED_KEY)];
    const texts = [...secrets.flatMap((s) => [toHex(s), toHex(s).toLowerCase()]), ALICE.passphrase, BOB.passphrase];
    const printed = runs.map((r) => r.stdout + r.stderr).join('\n');
    for (const t of texts) assert.ok(!printed.includes(t), `printed: ${t.slice(0, 6)}…`);
    const files = (d: string): string[] => readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? files(join(d, n)) : [join(d, n)]));
    const stored = files(data);
    assert.ok(stored.length >= 2);
    for (const file of stored) {
      const bytes = readFileSync(file);
      for (const t of texts) assert.ok(!bytes.includes(Buffer.from(t, 'latin1')), `${file}: ${t.slice(0, 6)}…`);
      for (const s of secrets) assert.ok(!bytes.includes(Buffer.from(s)), `${file}: raw bytes`);
    }
    assert.ok(printed.includes(exported), 'the exported block (encrypted) is the output');
  });
});
