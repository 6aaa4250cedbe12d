/**
 * A key ceremony through the real `opentsm hsm` command line, every secret typed at a scripted
 * terminal (raw mode, no echo) or piped with --stdin-secrets: the LMK formed from two custodians'
 * components (registering them), a third custodian, KBPKs from 2 and 3 components, the issuer master
 * key IMK-AC (E0) and GP master keys (B3/X) from components, each component checked by its KCV,
 * published TR-31 blocks imported under their published KBPKs, a generated KBPK exported and a
 * block imported back. Then provisioning on the same store through the HSM API: GP diversification
 * for one SE, the ICC master key for one PAN encrypted for the card, ARQC verify + ARPC, a PIN
 * block translation — with the KCV of every intermediate key (IMK → ICC master key → AC session key
 * → ARQC → ARPC) asserted against published vectors (KCVs computed with node:crypto, not src/).
 * Errors are provoked (wrong KCV, wrong passphrase, wrong usage, a loose LMK file). Finally the
 * SQLite files, every stdout/stderr, every audit event and every error message are scanned for each
 * clear key, component, passphrase, PIN and PAN, in hex upper/lower case and as raw bytes.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromHex, toHex, xor } from '../../src/bytes/index.ts';
import { unwrapKeyBlock, wrapKeyBlock } from '../../src/crypto/index.ts';
import { narrowKeyAttributes } from '../../src/cli/hsm/context.ts';
import { SoftwareHsm, loadLmkFile, type OperationContext } from '../../src/hsm/index.ts';
import { appendAuditEvent, closeDatabase, keyRecordStore, openDatabase, queryAuditEvents } from '../../src/store/index.ts';
import { byName, loadCaptured, str } from '../emv/captured.ts';
import { loadVectors } from '../helpers/vectors.ts';
import { FakeTty, forms, json, pipeInput, reference, runCli, type CliResult } from './cli-helpers.ts';

const { tdesKcv, aesKcv, tdesEcb, oddParity } = reference;

// — published vectors (test/vectors, copies of ../shared/vectors) —
interface Tr31Published { name: string; inputs: { kbpk: string; key_block: string }; expected: { key: string; kcv?: string } }
const tr31 = loadVectors<{ unwrap: Tr31Published[] }>('hsm/tr31-published.json').unwrap;
const tr31By = (name: string): Tr31Published => tr31.find((v) => v.name === name)!;
/** TR-31:2018 A.7.2.2: a B block (P0, TDES) under a TDES KBPK; A.7.4: a D block (P0, AES) under an AES-256 KBPK. */
const B_BLOCK = tr31By('tr31/TR-31:2018/A.7.2.2');
const D_BLOCK = tr31By('tr31/TR-31:2018/A.7.4');
/** TR-31:2018 A.7.2.1's key: the source PIN key here (its published KCV CB9DEA). */
const PEK_SRC = tr31By('tr31/TR-31:2018/A.7.2.1');

const udk = loadCaptured('emv/udk-derivation.json');
const sessionKeys = loadCaptured('emv/session-keys.json');
const arqcs = loadCaptured('emv/arqc.json');
const arpcs = loadCaptured('emv/arpc.json');
const pins = loadCaptured('hsm/pinblock.json');
/** pyemv test_visa_cvn18: IMK → ICC MK (option B = A for 16 digits) → AC session key (ATC 001C) → ARQC → ARPC (method 2). */
const ICC = byName(udk, 'udk/derive_icc_mk_b/test_visa_cvn18/5');
const SK = byName(sessionKeys, 'sk/derive_common_sk/test_visa_cvn18/4');
const ARQC = byName(arqcs, 'arqc/generate_ac/test_visa_cvn18/6');
const ARPC = byName(arpcs, 'arpc/generate_arpc_2/test_visa_cvn18/7');
/** psec: PIN 123456789012 under PAN 5555555551234567 is the ISO 9564 format 0 block 0C1261032D8226A9. */
const PIN0 = byName(pins, 'pinblock/encode_pinblock_iso_0/test_encode_pinblock_iso_0/2');
interface GpproVector { id: string; master_key?: string; kdd?: string; outputs?: Record<'ENC' | 'MAC' | 'DEK', { expected_kcv: string; derived_key_computed_independently: string }> }
const GP = loadVectors<{ vectors: GpproVector[] }>('gp/gppro-keys.json').vectors.find((v) => v.id === 'gppro-div-emv-128')!;

const IMK = fromHex(str(ICC, 'iss_mk'));
const PAN = str(ICC, 'pan');
const PIN_PAN = str(PIN0, 'pan');
const PIN = str(PIN0, 'pin');
const KBPK_T = fromHex(B_BLOCK.inputs.kbpk);
const KBPK_A = fromHex(D_BLOCK.inputs.kbpk);
const GP_MASTER = fromHex(GP.master_key!);

const ALICE = { name: 'alice', passphrase: 'correct horse battery' };
const BOB = { name: 'bob', passphrase: 'staple fifteen words' };
const CAROL = { name: 'carol', passphrase: 'tr0ub4dor and three' };

/** Splits `key` into `n` components: fixed pseudo-random ones, the last the XOR that completes the key. */
function split(key: Uint8Array, n: number, seed: number): Uint8Array[] {
  const parts = Array.from({ length: n - 1 }, (_, i) => key.map((_b, j) => (seed * 37 + i * 101 + j * 53 + 11) & 0xff));
  return [...parts, parts.reduce((acc, p) => xor(acc, p), key)];
}
const LMK_PARTS = split(fromHex('6A1C9E42B07F33D58E21C4A97B60F1283D5CA9E4170B62F8C3A51D9E84B27F06'), 2, 1);
const LMK = LMK_PARTS.reduce((a, b) => xor(a, b));
const KBPK_T_PARTS = split(KBPK_T, 2, 2);
const KBPK_A_PARTS = split(KBPK_A, 3, 3);
const IMK_PARTS = split(IMK, 2, 4);
const GP_PARTS = split(GP_MASTER, 3, 5);

describe('opentsm hsm: a key ceremony, then provisioning on the same store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'opentsm-ceremony-'));
  const data = join(dir, 'data');
  const D = ['--data-dir', data];
  const runs: CliResult[] = [];
  const errors: string[] = [];
  const ids: Record<string, string> = {};
  /** Clear keys learnt during the run (the generated KBPK, unwrapped from its export). */
  const learnt: Uint8Array[] = [];

  async function step(args: readonly string[], input?: FakeTty | ReturnType<typeof pipeInput>): Promise<CliResult> {
    const r = await runCli(['hsm', ...args, ...D], input);
    runs.push(r);
    assert.equal(r.code, 0, r.stderr);
    return r;
  }
  async function refused(args: readonly string[], input: FakeTty | ReturnType<typeof pipeInput>, expected: RegExp): Promise<void> {
    const r = await runCli(['hsm', ...args, ...D], input);
    runs.push(r);
    errors.push(r.stderr);
    assert.equal(r.code, 1);
    assert.match(r.stderr, expected);
    assert.equal(r.stdout, '');
  }
  const typed = (...lines: string[]): FakeTty => new FakeTty().type(lines.map((l) => `${l}\r`).join(''));
  /** What one custodian types for one component: passphrase, the component twice, its KCV from the form. */
  const entry = (c: { passphrase: string }, part: Uint8Array, kcv: string, lower = false): string[] => {
    const hex = lower ? toHex(part).toLowerCase() : toHex(part);
    return [c.passphrase, hex, hex, kcv];
  };
  const spec = (usage: string, algorithm: string, mode: string, exportability: string, label: string): string[] =>
    ['--usage', usage, '--algorithm', algorithm, '--mode', mode, '--exportability', exportability, '--label', label];

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('init forms the LMK from two components, registering the two custodians first (no-echo terminal)', async () => {
    const tty = typed(
      ALICE.passphrase, ALICE.passphrase, // alice registers alone (the first)
      BOB.passphrase, BOB.passphrase, ALICE.passphrase, // bob registers, alice approves
      ...entry(ALICE, LMK_PARTS[0]!, aesKcv(LMK_PARTS[0]!)),
      ...entry(BOB, LMK_PARTS[1]!, aesKcv(LMK_PARTS[1]!), true),
    );
    const r = await step(['init', '--from-components', '--custodian', 'alice,bob', '--json'], tty);
    const out = json(r);
    assert.equal(out.lmkKcv, aesKcv(LMK));
    assert.equal(out.registered, 'alice, bob');
    assert.equal(statSync(join(data, 'lmk.key')).mode & 0o777, 0o600);
    assert.equal(statSync(data).mode & 0o777, 0o700);
    assert.equal(statSync(join(data, 'opentsm.db')).mode & 0o077, 0);
    const lmk = loadLmkFile(join(data, 'lmk.key'));
    assert.equal(lmk.kcv, aesKcv(LMK));
    lmk.destroy();
    assert.match(r.stderr, /^alice: new passphrase: \nalice: new passphrase \(again\): \n/);
    assert.match(r.stderr, new RegExp(`bob: KCV of LMK component 2 \\(from the form\\): ${aesKcv(LMK_PARTS[1]!)}\\n`));
    assert.equal(tty.rawModes.at(-1), false);
  });

  it('a third custodian registers with an approval; an LMK file others can read is refused', async () => {
    await step(['custodian', 'add', CAROL.name, '--approver', ALICE.name, '--stdin-secrets'], pipeInput([CAROL.passphrase, CAROL.passphrase, ALICE.passphrase]));
    chmodSync(join(data, 'lmk.key'), 0o644);
    try {
      await refused(['list'], pipeInput([]), /has mode 644: group and others must have no access \(chmod 600\) \[ERR_HSM_LMK\]/);
    } finally {
      chmodSync(join(data, 'lmk.key'), 0o600);
    }
  });

  it('KBPKs (K1) from 2 (TDES) and 3 (AES-256) components, each component checked by its KCV', async () => {
    const t = json(await step(['import', ...spec('K1', 'T', 'B', 'E', 'KBPK-T'), '--custodian', 'alice,bob', '--json'],
      typed(...entry(ALICE, KBPK_T_PARTS[0]!, tdesKcv(KBPK_T_PARTS[0]!)), ...entry(BOB, KBPK_T_PARTS[1]!, tdesKcv(KBPK_T_PARTS[1]!)))));
    assert.equal(t.kcv, tdesKcv(KBPK_T));
    ids.kbpkT = String(t.id);
    const a = json(await step(['import', ...spec('K1', 'A', 'B', 'E', 'KBPK-A'), '--custodian', 'alice,bob,carol', '--stdin-secrets', '--json'],
      pipeInput([0, 1, 2].flatMap((i) => entry([ALICE, BOB, CAROL][i]!, KBPK_A_PARTS[i]!, aesKcv(KBPK_A_PARTS[i]!))))));
    assert.equal(a.kcv, aesKcv(KBPK_A));
    ids.kbpkA = String(a.id);
  });

  it('errors: a component with the wrong KCV, a wrong passphrase, a usage the HSM refuses', async () => {
    const wrongKcv = [...entry(ALICE, IMK_PARTS[0]!, tdesKcv(IMK_PARTS[1]!)), ...entry(BOB, IMK_PARTS[1]!, tdesKcv(IMK_PARTS[1]!))];
    await refused(['import', ...spec('E0', 'T', 'X', 'E', 'IMK-AC'), '--custodian', 'alice,bob', '--stdin-secrets'], pipeInput(wrongKcv),
      /component 1 \(custodian alice\): the key check value does not match \[ERR_HSM_KCV\]/);
    const wrongPass = [...entry(ALICE, IMK_PARTS[0]!, tdesKcv(IMK_PARTS[0]!)), ...entry({ passphrase: `${BOB.passphrase}!` }, IMK_PARTS[1]!, tdesKcv(IMK_PARTS[1]!))];
    await refused(['import', ...spec('E0', 'T', 'X', 'E', 'IMK-AC'), '--custodian', 'alice,bob', '--stdin-secrets'], pipeInput(wrongPass),
      /custodian authentication failed \[ERR_HSM_CUSTODIAN\]/);
    await refused(['generate', ...spec('M3', 'A', 'C', 'N', 'MAC')], pipeInput([]), /usage M3 takes algorithm T, not A \[ERR_HSM_PARAM\]/);
    await refused(['export', '--tr31', '--kbpk', 'KBPK-T', 'KBPK-A', '--custodian', 'alice,bob', '--stdin-secrets'], pipeInput([ALICE.passphrase, 'not bobs passphrase']),
      /custodian authentication failed \[ERR_HSM_CUSTODIAN\]/);
  });

  it('the issuer master key IMK-AC (E0) from two components; GP masters (B3/X) from three and two', async () => {
    const imk = json(await step(['import', ...spec('E0', 'T', 'X', 'E', 'IMK-AC'), '--custodian', 'bob,carol', '--json'],
      typed(...entry(BOB, IMK_PARTS[0]!, tdesKcv(IMK_PARTS[0]!)), ...entry(CAROL, IMK_PARTS[1]!, tdesKcv(IMK_PARTS[1]!)))));
    assert.equal(imk.kcv, tdesKcv(IMK));
    ids.imk = String(imk.id);
    const custodians = [ALICE, BOB, CAROL];
    for (const [role, names] of [['ENC', [0, 1, 2]], ['MAC', [0, 2]], ['DEK', [1, 2]]] as const) {
      const parts = names.length === 3 ? GP_PARTS : split(GP_MASTER, 2, role.length + 7);
      const lines = names.flatMap((c, i) => entry(custodians[c]!, parts[i]!, tdesKcv(parts[i]!)));
      const out = json(await step(['import', ...spec('B3', 'T', 'X', 'S', `GP-MASTER-${role}`), '--custodian', names.map((c) => custodians[c]!.name).join(','), '--stdin-secrets', '--json'], pipeInput(lines)));
      assert.equal(out.kcv, tdesKcv(GP_MASTER), role);
      ids[`gp${role}`] = String(out.id);
    }
  });

  it('TR-31: published B and D blocks import under their published KBPKs with the published KCVs', async () => {
    const b = json(await step(['import', '--tr31', B_BLOCK.inputs.key_block, '--kbpk', 'KBPK-T', '--label', 'PEK-DST', '--json']));
    assert.deepEqual([b.usage, b.algorithm, b.modeOfUse, b.kcv], ['P0', 'T', 'E', B_BLOCK.expected.kcv]);
    ids.pekDst = String(b.id);
    const d = json(await step(['import', '--tr31', D_BLOCK.inputs.key_block, '--kbpk', ids.kbpkA!, '--label', 'PEK-AES', '--json']));
    assert.deepEqual([d.usage, d.algorithm, d.kcv], ['P0', 'A', D_BLOCK.expected.kcv!.slice(0, 6)]);
    ids.pekAes = String(d.id);
    // the source PIN key, mode B (decrypt too), wrapped here as a B block under the TDES KBPK
    const block = wrapKeyBlock(KBPK_T, fromHex(PEK_SRC.expected.key), { header: { version: 'B', usage: 'P0', algorithm: 'T', modeOfUse: 'B', exportability: 'E' } });
    const s = json(await step(['import', '--tr31', block, '--kbpk', 'KBPK-T', '--label', 'PEK-SRC', '--json']));
    assert.equal(s.kcv, PEK_SRC.expected.kcv);
    ids.pekSrc = String(s.id);
  });

  it('a generated KBPK exports as a D block under KBPK-A (two custodians); the IMK exports as a B block and imports back', async () => {
    const gen = json(await step(['generate', ...spec('K1', 'A', 'B', 'E', 'KBPK-LOCAL'), '--json']));
    const exported = json(await step(['export', '--tr31', '--kbpk', 'KBPK-A', 'KBPK-LOCAL', '--custodian', 'carol,alice', '--stdin-secrets', '--json'], pipeInput([CAROL.passphrase, ALICE.passphrase])));
    const local = unwrapKeyBlock(KBPK_A, String(exported.keyBlock));
    assert.equal(local.header.version, 'D');
    assert.equal(aesKcv(local.key), gen.kcv);
    learnt.push(local.key.slice());
    local.wipe();
    const imkBlock = String(json(await step(['export', '--tr31', '--kbpk', 'KBPK-T', 'IMK-AC', '--custodian', 'alice,bob', '--json'], typed(ALICE.passphrase, BOB.passphrase))).keyBlock);
    assert.equal(imkBlock[0], 'B');
    const back = unwrapKeyBlock(KBPK_T, imkBlock);
    assert.equal(tdesKcv(back.key), tdesKcv(IMK));
    back.wipe();
    const again = json(await step(['import', '--tr31', imkBlock, '--kbpk', 'KBPK-T', '--label', 'IMK-AC-COPY', '--json']));
    assert.deepEqual([again.usage, again.modeOfUse, again.kcv], ['E0', 'X', tdesKcv(IMK)]);
  });

  it('list shows ids, labels, attributes and KCVs — never keys', async () => {
    const list = JSON.parse((await step(['list', '--json'])).stdout) as Record<string, unknown>[];
    const kcvs = Object.fromEntries(list.map((k) => [String(k.label), k.kcv]));
    assert.deepEqual(
      [kcvs['KBPK-T'], kcvs['KBPK-A'], kcvs['IMK-AC'], kcvs['GP-MASTER-ENC'], kcvs['PEK-DST'], kcvs['PEK-SRC']],
      [tdesKcv(KBPK_T), aesKcv(KBPK_A), tdesKcv(IMK), tdesKcv(GP_MASTER), B_BLOCK.expected.kcv, PEK_SRC.expected.kcv],
    );
    assert.match((await step(['list'])).stdout, new RegExp(`^${ids.imk} +IMK-AC +E0 +T +16 +X +E +00 +active +${tdesKcv(IMK)}$`, 'm'));
  });

  it('provisioning through the HSM API on the same store: every intermediate KCV is the published one', async () => {
    const db = await openDatabase(`sqlite:${join(data, 'opentsm.db')}`);
    const trace: [string, string][] = [];
    const hsm = new SoftwareHsm({
      lmk: loadLmkFile(join(data, 'lmk.key')),
      store: keyRecordStore(db, narrowKeyAttributes),
      audit: { record: async (e) => void (await appendAuditEvent(db, e)) },
      traceKcv: (stepName, kcv) => trace.push([stepName, kcv]),
    });
    const ctx: OperationContext = { tenant: 'operator', actor: 'provisioning-test' };
    try {
      // GP diversification of the batch masters for one SE (GPPro TestPlaintextKeys: EMV CPG 2.04)
      const se = await hsm.diversifyGpKeys({ enc: ids.gpENC!, mac: ids.gpMAC!, dek: ids.gpDEK! }, fromHex(GP.kdd!), 'emv', { owner: 'operator' }, ctx);
      assert.deepEqual([se.enc.kcv, se.mac.kcv, se.dek.kcv], [GP.outputs!.ENC.expected_kcv, GP.outputs!.MAC.expected_kcv, GP.outputs!.DEK.expected_kcv]);
      assert.deepEqual([se.enc.attributes.usage, se.enc.attributes.label, se.dek.attributes.usage, se.dek.attributes.label], ['E5', 'GP-ENC', 'K0', 'GP-DEK']);
      // the ICC master key of one PAN, derived from the IMK and encrypted for the card under the SE's DEK
      const icc = await hsm.exportDerivedKeyForCard({ derive: { kind: 'emv-icc', imk: ids.imk!, pan: PAN, psn: str(ICC, 'psn'), option: 'B' }, dek: se.dek.id, scp: 2, sequenceCounter: 1 }, ctx);
      assert.equal(toHex(icc.kcv), tdesKcv(fromHex(ICC.expected)));
      assert.deepEqual(trace.splice(0), [['icc-mk', tdesKcv(fromHex(ICC.expected))]]);
      // the card's ARQC verifies, and the ARPC is the published one (pyemv test_visa_cvn18)
      const request = { imk: ids.imk!, profile: 'visa-18' as const, pan: PAN, psn: '00', atc: fromHex('001C'), data: fromHex(str(ARQC, 'data')), arqc: fromHex(ARQC.expected) };
      const result = await hsm.verifyArqc(request, { method: 2, csu: fromHex(str(ARPC, 'csu')) }, ctx);
      assert.equal(result.valid, true);
      assert.equal(toHex(result.arpc!), ARPC.expected);
      assert.deepEqual(trace.splice(0), [['icc-mk-ac', tdesKcv(fromHex(ICC.expected))], ['sk-ac', tdesKcv(fromHex(SK.expected))]]);
      assert.equal(tdesKcv(fromHex(str(ARQC, 'sk_ac'))), tdesKcv(fromHex(SK.expected)), 'the ARQC vector chains from the session-key vector');
      const forged = await hsm.verifyArqc({ ...request, arqc: fromHex('0000000000000000') }, { method: 2, csu: new Uint8Array(4) }, ctx);
      assert.deepEqual([forged.valid, forged.arpc], [false, undefined]);
      // a PIN block translated from PEK-SRC to PEK-DST (format 0 both): expected by reference 3DES of the published clear block
      const clear = fromHex(PIN0.expected);
      const from = { key: ids.pekSrc!, format: 0 as const, block: tdesEcb(fromHex(PEK_SRC.expected.key), clear), pan: PIN_PAN };
      const translated = await hsm.translatePinBlock(from, { key: ids.pekDst!, format: 0, pan: PIN_PAN }, ctx);
      assert.equal(toHex(translated), toHex(tdesEcb(fromHex(B_BLOCK.expected.key), clear)));
      // wrong usage: a PIN key is no issuer master key, a mode-E PIN key does not decrypt
      await assert.rejects(hsm.verifyArqc({ ...request, imk: ids.pekDst! }, undefined, ctx), (e: Error) => (errors.push(e.message), /ERR_HSM_USAGE|may not be used for emv-ac/.test(`${e.message} ${(e as { code?: string }).code}`)));
      await assert.rejects(hsm.translatePinBlock({ ...from, key: ids.pekDst! }, { key: ids.pekSrc!, format: 0, pan: PIN_PAN }, ctx), (e: Error) => (errors.push(e.message), /may not be used for pin-decrypt/.test(e.message)));
    } finally {
      hsm.close();
      await closeDatabase(db);
    }
  });

  it('rotate and destroy (two custodians) keep the trail', async () => {
    const rotated = json(await step(['rotate', 'PEK-AES', '--json']));
    assert.equal(rotated.retired, ids.pekAes);
    await step(['destroy', ids.pekAes!, '--custodian', 'bob,carol', '--stdin-secrets'], pipeInput([BOB.passphrase, CAROL.passphrase]));
  });

  it('the audit trail names custodians and KCVs, including refusals', async () => {
    const db = await openDatabase(`sqlite:${join(data, 'opentsm.db')}`);
    try {
      const events = (await queryAuditEvents(db, { limit: 1000 })).map((e) => e.event);
      const ops = new Set(events.map((e) => e.operation));
      const lmkEvent = events.find((e) => e.operation === 'assembleLmk')!;
      assert.deepEqual([lmkEvent.result, lmkEvent.keys, lmkEvent.detail?.startsWith('custodians: alice, bob;')], ['ok', [{ id: 'lmk', kcv: aesKcv(LMK) }], true]);
      for (const op of ['registerCustodian', 'importComponents', 'importKeyBlock', 'generateKey', 'exportKeyBlock', 'diversifyGpKeys', 'exportDerivedKeyForCard', 'verifyArqc', 'translatePinBlock', 'rotateKey', 'destroyKey']) {
        assert.ok(ops.has(op), op);
      }
      assert.ok(events.some((e) => e.operation === 'importComponents' && e.result === 'refused' && e.code === 'ERR_HSM_KCV'));
      assert.ok(events.some((e) => e.operation === 'exportKeyBlock' && e.result === 'refused' && e.code === 'ERR_HSM_CUSTODIAN'));
      const imkExport = events.find((e) => e.operation === 'exportKeyBlock' && e.result === 'ok' && e.keys.some((k) => k.id === ids.imk))!;
      assert.equal(imkExport.detail, 'custodians: alice, bob');
      assert.deepEqual(imkExport.keys.map((k) => k.kcv).sort(), [tdesKcv(KBPK_T), tdesKcv(IMK)].sort());
    } finally {
      await closeDatabase(db);
    }
  });

  it('no clear key, component, passphrase, PIN or PAN in the store files, any output, any audit event or any error', async () => {
    const keys = [
      LMK, ...LMK_PARTS, KBPK_T, ...KBPK_T_PARTS, KBPK_A, ...KBPK_A_PARTS, IMK, ...IMK_PARTS, GP_MASTER, ...GP_PARTS,
      fromHex(B_BLOCK.expected.key), fromHex(D_BLOCK.expected.key), fromHex(PEK_SRC.expected.key),
      fromHex(ICC.expected), fromHex(SK.expected), fromHex(PIN0.expected),
      ...(['ENC', 'MAC', 'DEK'] as const).map((r) => fromHex(GP.outputs![r].derived_key_computed_independently)),
      ...learnt,
    ];
    // TDES keys are stored with odd parity: that form must not appear either
    const secrets: (Uint8Array | string)[] = [...keys, ...keys.filter((k) => k.length <= 24).map(oddParity), ALICE.passphrase, BOB.passphrase, CAROL.passphrase, PIN, PAN, PIN_PAN, fromHex(PAN), fromHex(PIN_PAN)];
    const db = await openDatabase(`sqlite:${join(data, 'opentsm.db')}`);
    const audit = JSON.stringify(await queryAuditEvents(db, { limit: 1000 }));
    await closeDatabase(db);
    const sources: [string, Buffer][] = [
      ['stdout/stderr', Buffer.from(runs.map((r) => r.stdout + r.stderr).join('\n'))],
      ['error messages', Buffer.from(errors.join('\n'))],
      ['audit events', Buffer.from(audit)],
      ...readdirSync(data).filter((n) => n !== 'lmk.key').map((n): [string, Buffer] => [n, readFileSync(join(data, n))]),
    ];
    assert.ok(sources.some(([n]) => n === 'opentsm.db'));
    assert.ok(errors.length >= 7, `${errors.length} errors provoked`);
    for (const [name, bytes] of sources) {
      for (const secret of secrets) {
        for (const form of forms(secret)) assert.ok(!bytes.includes(form), `${name}: a secret (${form.toString('latin1', 0, 4)}…)`);
      }
    }
    // the LMK file holds the LMK and nothing else
    assert.equal(readFileSync(join(data, 'lmk.key'), 'latin1'), `${toHex(LMK)}\n`);
  });
});
