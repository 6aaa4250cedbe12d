/**
 * `opentsm hsm lmk-change`: every key record re-wrapped under a new LMK (random, or from
 * custodians' components) with two custodians' approval; the keys keep their values (a key exported
 * under a known KBPK before and after unwraps to the same bytes); the old LMK file is kept as
 * `.retired`; a refused approval leaves nothing behind; a change that stopped (a pending
 * `lmk.key.new`) leaves a working HSM and finishes with --resume.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromHex, toHex } from '../../src/bytes/index.ts';
import { unwrapKeyBlock } from '../../src/crypto/index.ts';
import { loadLmkFile } from '../../src/hsm/index.ts';
import { closeDatabase, listKeysNotUnder, openDatabase, queryAuditEvents } from '../../src/store/index.ts';
import { json, pipeInput, reference, runCli, type CliResult } from './cli-helpers.ts';

const PASS = { alice: 'alice passphrase one', bob: 'bob passphrase two' };
/** A KBPK the test knows (AES-256, two components), to see key values through exports. */
const KBPK_PARTS = [fromHex('5A'.repeat(32)), fromHex('0F1E2D3C4B5A69788796A5B4C3D2E1F00F1E2D3C4B5A69788796A5B4C3D2E1F0')];
const KBPK = KBPK_PARTS[0]!.map((b, i) => b ^ KBPK_PARTS[1]![i]!);

describe('opentsm hsm lmk-change', () => {
  const dir = mkdtempSync(join(tmpdir(), 'opentsm-lmk-'));
  const data = join(dir, 'data');
  const D = ['--data-dir', data];
  const lmkFile = join(data, 'lmk.key');
  const kcvOfFile = (path: string): string => {
    const lmk = loadLmkFile(path);
    const kcv = lmk.kcv;
    lmk.destroy();
    return kcv;
  };
  const printed: string[] = [];
  async function hsm(args: readonly string[], lines: readonly string[] = []): Promise<CliResult> {
    const r = await runCli(['hsm', ...args, ...D], pipeInput(lines));
    printed.push(r.stdout, r.stderr);
    return r;
  }
  async function ok(args: readonly string[], lines: readonly string[] = []): Promise<CliResult> {
    const r = await hsm(args, lines);
    assert.equal(r.code, 0, r.stderr);
    return r;
  }
  /** The clear value of the data key, through an export under the known KBPK. */
  async function dataKeyValue(): Promise<string> {
    const block = String(json(await ok(['export', '--tr31', '--kbpk', 'KBPK-KNOWN', 'DATA-1', '--custodian', 'alice,bob', '--stdin-secrets', '--json'], [PASS.alice, PASS.bob])).keyBlock);
    const back = unwrapKeyBlock(KBPK, block);
    const hex = toHex(back.key);
    back.wipe();
    return hex;
  }
  async function recordsNotUnder(kcv: string): Promise<number> {
    const db = await openDatabase(`sqlite:${join(data, 'opentsm.db')}`);
    try {
      return (await listKeysNotUnder(db, kcv, 100)).length;
    } finally {
      await closeDatabase(db);
    }
  }
  let value = '';

  before(async () => {
    await ok(['init']);
    await ok(['custodian', 'add', 'alice', '--stdin-secrets'], [PASS.alice, PASS.alice]);
    await ok(['custodian', 'add', 'bob', '--approver', 'alice', '--stdin-secrets'], [PASS.bob, PASS.bob, PASS.alice]);
    const entry = (pass: string, part: Uint8Array): string[] => [pass, toHex(part), toHex(part), reference.aesKcv(part)];
    await ok(['import', '--usage', 'K1', '--algorithm', 'A', '--mode', 'B', '--exportability', 'E', '--label', 'KBPK-KNOWN', '--custodian', 'alice,bob', '--stdin-secrets'],
      [...entry(PASS.alice, KBPK_PARTS[0]!), ...entry(PASS.bob, KBPK_PARTS[1]!)]);
    await ok(['generate', '--usage', 'D0', '--algorithm', 'A', '--mode', 'B', '--exportability', 'E', '--label', 'DATA-1']);
    await ok(['generate', '--usage', 'E0', '--algorithm', 'T', '--mode', 'X', '--exportability', 'S', '--label', 'IMK-1']);
    value = await dataKeyValue();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a refused approval changes nothing and leaves no pending file', async () => {
    const before = kcvOfFile(lmkFile);
    const r = await hsm(['lmk-change', '--custodian', 'alice,bob', '--stdin-secrets'], [PASS.alice, 'not bobs passphrase']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /custodian authentication failed \[ERR_HSM_CUSTODIAN\]/);
    assert.ok(!existsSync(`${lmkFile}.new`));
    assert.equal(kcvOfFile(lmkFile), before);
    assert.match((await hsm(['lmk-change', '--custodian', 'alice', '--stdin-secrets'])).stderr, /--custodian: name 2 to 3 custodians/);
    assert.match((await hsm(['lmk-change', '--resume', '--custodian', 'alice,bob', '--stdin-secrets'])).stderr, /--resume: no LMK change is in progress \(.*lmk\.key\.new does not exist\) \[ERR_CLI_USAGE\]/);
  });

  it('a random new LMK: every record re-wrapped, the keys keep their values, the old LMK kept as .retired', async () => {
    const old = kcvOfFile(lmkFile);
    const kcvs = (JSON.parse((await ok(['list', '--json'])).stdout) as { kcv: string }[]).map((k) => k.kcv);
    const r = await ok(['lmk-change', '--custodian', 'alice', '--custodian', 'bob', '--stdin-secrets', '--json'], [PASS.alice, PASS.bob]);
    const out = json(r);
    assert.equal(out.oldLmkKcv, old);
    assert.notEqual(out.lmkKcv, old);
    assert.equal(out.rewrapped, 3);
    assert.equal(kcvOfFile(lmkFile), out.lmkKcv);
    assert.equal(statSync(lmkFile).mode & 0o777, 0o600);
    assert.equal(kcvOfFile(`${lmkFile}.${old}.retired`), old);
    assert.ok(!existsSync(`${lmkFile}.new`));
    assert.equal(await recordsNotUnder(String(out.lmkKcv)), 0);
    assert.deepEqual((JSON.parse((await ok(['list', '--json'])).stdout) as { kcv: string }[]).map((k) => k.kcv), kcvs);
    assert.equal(await dataKeyValue(), value);
    assert.match(r.stderr, /LMK changed: KCV [0-9A-F]{6} -> [0-9A-F]{6}, 3 key records re-wrapped, approved by alice, bob/);
  });

  it('a new LMK from components, each checked by its KCV', async () => {
    const parts = [fromHex('3C'.repeat(32)), fromHex('A5'.repeat(32))];
    const lines = [PASS.bob, toHex(parts[0]!), toHex(parts[0]!), reference.aesKcv(parts[0]!), PASS.alice, toHex(parts[1]!), toHex(parts[1]!), reference.aesKcv(parts[1]!)];
    const out = json(await ok(['lmk-change', '--from-components', '--custodian', 'bob,alice', '--stdin-secrets', '--json'], lines));
    assert.equal(out.lmkKcv, reference.aesKcv(fromHex('99'.repeat(32))));
    assert.equal(kcvOfFile(lmkFile), out.lmkKcv);
    assert.equal(await dataKeyValue(), value);
    const wrongKcv = [...lines.slice(0, 3), '000000', ...lines.slice(4)];
    const refused = await hsm(['lmk-change', '--from-components', '--custodian', 'bob,alice', '--stdin-secrets'], wrongKcv);
    assert.match(refused.stderr, /LMK component 1 \(custodian bob\): the key check value does not match \[ERR_HSM_KCV\]/);
    assert.ok(!existsSync(`${lmkFile}.new`));
    const same = await hsm(['lmk-change', '--from-components', '--custodian', 'bob,alice', '--stdin-secrets'], lines);
    assert.match(same.stderr, /the components form the current LMK \(KCV [0-9A-F]{6}\): an LMK change needs new components/);
  });

  it('a change that stopped: both LMKs open, new keys go under the new one, --resume finishes', async () => {
    const old = kcvOfFile(lmkFile);
    const next = fromHex('7E'.repeat(16) + '81'.repeat(16));
    writeFileSync(`${lmkFile}.new`, `${toHex(next)}\n`, { mode: 0o600 });
    const nextKcv = reference.aesKcv(next);
    const list = await ok(['list']);
    assert.match(list.stderr, new RegExp(`warning: an LMK change is in progress \\(.*lmk\\.key\\.new, KCV ${nextKcv}\\): finish it with \`opentsm hsm lmk-change --resume\``));
    await ok(['generate', '--usage', 'D0', '--algorithm', 'A', '--mode', 'B', '--exportability', 'N', '--label', 'DATA-2']);
    assert.equal(await recordsNotUnder(nextKcv), 3, 'the three old records are still under the old LMK, the new one under the new');
    assert.equal(await dataKeyValue(), value);
    assert.match((await hsm(['lmk-change', '--custodian', 'alice,bob', '--stdin-secrets'], [PASS.alice, PASS.bob])).stderr, /an LMK change is in progress .*: finish it with --resume/);
    const out = json(await ok(['lmk-change', '--resume', '--custodian', 'alice,bob', '--stdin-secrets', '--json'], [PASS.alice, PASS.bob]));
    assert.deepEqual([out.oldLmkKcv, out.lmkKcv, out.rewrapped], [old, nextKcv, 3]);
    assert.equal(kcvOfFile(lmkFile), nextKcv);
    assert.equal(await recordsNotUnder(nextKcv), 0);
    assert.ok(!existsSync(`${lmkFile}.new`));
    assert.doesNotMatch((await ok(['list'])).stderr, /in progress/);
  });

  it('the audit trail has each re-wrap; no LMK, component, passphrase or key value was printed', async () => {
    const db = await openDatabase(`sqlite:${join(data, 'opentsm.db')}`);
    try {
      const events = (await queryAuditEvents(db, { operation: 'rewrapAll', limit: 100 })).map((e) => [e.event.result, e.event.code ?? '']);
      assert.deepEqual(events, [['refused', 'ERR_HSM_CUSTODIAN'], ['ok', ''], ['ok', ''], ['ok', '']]);
    } finally {
      await closeDatabase(db);
    }
    const lmks = [lmkFile, ...['.new'].map((s) => lmkFile + s).filter(existsSync)].map((f) => readFileSync(f, 'latin1').trim());
    const secrets = [...lmks, PASS.alice, PASS.bob, toHex(KBPK), ...KBPK_PARTS.map(toHex), '3C'.repeat(32), 'A5'.repeat(32), '99'.repeat(32), '7E'.repeat(16), value];
    const text = printed.join('\n');
    for (const secret of secrets) assert.ok(!text.includes(secret) && !text.includes(secret.toLowerCase()), `printed: ${secret.slice(0, 4)}…`);
  });
});
