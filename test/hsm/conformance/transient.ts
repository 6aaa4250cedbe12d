/**
 * Conformance: keys generated for export (payShield A0 mode 1: a fresh key returned also as a
 * TR-31 block under a KBPK, no custodians) and `transient` keys (destroyed by their owner alone,
 * never exported by exportKeyBlock) — the Supplementary Security Domain key handover of
 * docs/hsm.md, between two tenants that hold one KBPK.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../../src/bytes/index.ts';
import { aesCbcEncrypt, unwrapKeyBlock, wrapKeyBlock } from '../../../src/crypto/index.ts';
import type { KeySpec } from '../../../src/hsm/index.ts';
import { SPECS, approvals, expectedKcv, importClear, rejectsWith, withHsm, type HsmSetup, type HsmUnderTest } from './fixture.ts';

const KBPK_A = fromHex('1F2E3D4C5B6A79880F1E2D3C4B5A69780123456789ABCDEFFEDCBA9876543210');
const KBPK_T = fromHex('0123456789ABCDEFFEDCBA9876543210');
const ISD_DEK = fromHex('404142434445464748494A4B4C4D4E4F');

/** The Supplementary Security Domain's initial keys: the GP roles as diversifyGpKeys builds them, transient. */
function ssdSpecs(owner: string): KeySpec[] {
  return [SPECS.gpEnc, SPECS.gpMac, SPECS.gpDek].map((s) => ({ ...s, length: 16, owner, class: 'transient' as const }));
}

/** The same KBPK (a ceremony's) held by both tenants: wrap-only on the operator side, unwrap-only on the SP side. */
async function sharedKbpk(t: HsmUnderTest, clear: Uint8Array, algorithm: 'A' | 'T'): Promise<{ mine: string; theirs: string }> {
  const mine = await importClear(t, { usage: 'K1', algorithm, modeOfUse: 'E', exportability: 'N', label: 'handover KBPK' }, clear);
  const theirs = await importClear(t, { usage: 'K1', algorithm, modeOfUse: 'D', exportability: 'N', label: 'handover KBPK' }, clear, t.otherCtx);
  return { mine: mine.id, theirs: theirs.id };
}

export function transientTests(setup: HsmSetup): void {
  it('hands a Security Domain\'s initial keys to another tenant: generated for export under a shared KBPK, imported there with the same KCVs', () =>
    withHsm(setup, async (t) => {
      const kbpk = await sharedKbpk(t, KBPK_A, 'A');
      const handed = [];
      for (const spec of ssdSpecs(t.ctx.tenant)) {
        const before = t.auditEvents().length;
        const { key, block } = await t.hsm.generateKeyForExport(spec, kbpk.mine, t.ctx);
        const events = t.auditEvents().slice(before);
        assert.deepEqual(events.map((e) => [e.operation, e.result]), [['generateKeyForExport', 'ok']]);
        assert.deepEqual([key.attributes.usage, key.attributes.modeOfUse, key.attributes.label, key.attributes.class, key.attributes.exportability], [spec.usage, spec.modeOfUse, spec.label, 'transient', 'S']);
        assert.equal(block[0], 'D');
        const clear = unwrapKeyBlock(KBPK_A, block);
        assert.deepEqual([clear.header.usage, clear.header.algorithm, clear.header.modeOfUse, clear.header.exportability, clear.header.keyVersion], [spec.usage, 'A', spec.modeOfUse, 'S', '00']);
        assert.equal(expectedKcv('A', clear.key), key.kcv);
        assert.equal(block.includes(spec.label!), false, 'the block carries no label');
        const theirs = await t.hsm.importKeyBlock(kbpk.theirs, block, { owner: t.otherCtx.tenant, label: spec.label! }, t.otherCtx);
        assert.equal(theirs.kcv, key.kcv);
        assert.equal(theirs.attributes.class, 'hsm');
        handed.push({ mine: key, theirs });
      }
      const [enc, mac, dek] = handed;
      // both sides can open SCP03 with them: the roles pass the usage policy as diversified keys do
      await t.hsm.scp03HostKeys({ enc: enc!.mine.id, mac: mac!.mine.id, dek: dek!.mine.id }, 0x30, t.ctx);
      await t.hsm.scp03HostKeys({ enc: enc!.theirs.id, mac: mac!.theirs.id, dek: dek!.theirs.id }, 0x30, t.otherCtx);
    }));

  it('generates for export under a TDES KBPK as a version B block; refuses a key stronger than the KBPK; the key can go to a card (PUT KEY)', () =>
    withHsm(setup, async (t) => {
      const tdes = await sharedKbpk(t, KBPK_T, 'T');
      const owner = t.ctx.tenant;
      const { key, block } = await t.hsm.generateKeyForExport({ ...SPECS.gpEnc, algorithm: 'T', length: 16, owner, class: 'transient' }, tdes.mine, t.ctx);
      assert.equal(block[0], 'B');
      assert.equal(expectedKcv('T', unwrapKeyBlock(KBPK_T, block).key), key.kcv);
      // X9.143: a key never travels under a weaker KBPK
      await rejectsWith(t.hsm.generateKeyForExport({ ...SPECS.gpEnc, length: 16, owner, label: 'refused' }, tdes.mine, t.ctx), 'ERR_HSM_KEY_BLOCK');
      assert.deepEqual(await t.hsm.listKeys({ label: 'refused' }, t.ctx), []);
      const aes = await sharedKbpk(t, KBPK_A, 'A');
      const ssd = await t.hsm.generateKeyForExport({ ...SPECS.gpEnc, length: 16, owner, class: 'transient' }, aes.mine, t.ctx);
      const clear = unwrapKeyBlock(KBPK_A, ssd.block).key;
      const isdDek = await importClear(t, SPECS.gpDek, ISD_DEK);
      const wrapped = await t.hsm.wrapKeyForCard(ssd.key.id, isdDek.id, { scp: 3 }, t.ctx);
      assert.equal(toHex(wrapped.ciphertext), toHex(aesCbcEncrypt(ISD_DEK, clear, { iv: new Uint8Array(16) })));
    }));

  it('refuses a spec that is not exportable, a KBPK that may not wrap or is another tenant\'s, and a bad spec — nothing stored', () =>
    withHsm(setup, async (t) => {
      const kbpk = await sharedKbpk(t, KBPK_A, 'A');
      const owner = t.ctx.tenant;
      const spec = { ...SPECS.dataA, length: 32, owner, label: 'refused', class: 'transient' as const };
      await rejectsWith(t.hsm.generateKeyForExport({ ...spec, exportability: 'N' }, kbpk.mine, t.ctx), 'ERR_HSM_NOT_EXPORTABLE');
      const unwrapOnly = await importClear(t, { usage: 'K1', algorithm: 'A', modeOfUse: 'D', exportability: 'N' }, KBPK_A);
      await rejectsWith(t.hsm.generateKeyForExport(spec, unwrapOnly.id, t.ctx), 'ERR_HSM_USAGE');
      const notKbpk = await t.hsm.generateKey({ ...SPECS.kek, length: 32, owner }, t.ctx);
      await rejectsWith(t.hsm.generateKeyForExport(spec, notKbpk.id, t.ctx), 'ERR_HSM_USAGE');
      await rejectsWith(t.hsm.generateKeyForExport(spec, kbpk.theirs, t.ctx), 'ERR_HSM_TENANT');
      await rejectsWith(t.hsm.generateKeyForExport({ ...spec, owner: t.otherCtx.tenant }, kbpk.mine, t.ctx), 'ERR_HSM_TENANT');
      await rejectsWith(t.hsm.generateKeyForExport({ ...spec, length: 20 }, kbpk.mine, t.ctx), 'ERR_HSM_PARAM');
      await rejectsWith(t.hsm.generateKeyForExport({ ...spec, class: 'ephemeral' as never }, kbpk.mine, t.ctx), 'ERR_HSM_PARAM');
      assert.deepEqual(await t.hsm.listKeys({ label: 'refused' }, t.ctx), []);
    }));

  it('generates GP-role keys (E5 GP-ENC/GP-MAC, K0 GP-DEK) with generateKey, usable as SCP03 static keys', () =>
    withHsm(setup, async (t) => {
      const owner = t.ctx.tenant;
      const [enc, mac, dek] = await Promise.all([SPECS.gpEnc, SPECS.gpMac, SPECS.gpDek].map((s) => t.hsm.generateKey({ ...s, length: 16, owner }, t.ctx)));
      assert.deepEqual([enc!.attributes.label, mac!.attributes.label, dek!.attributes.usage], ['GP-ENC', 'GP-MAC', 'K0']);
      await t.hsm.scp03HostKeys({ enc: enc!.id, mac: mac!.id, dek: dek!.id }, 0x30, t.ctx);
    }));

  it('transient keys: the class persists, exportKeyBlock refuses them, their owner destroys them without custodians', () =>
    withHsm(setup, async (t) => {
      const kbpk = await sharedKbpk(t, KBPK_A, 'A');
      const h = await t.hsm.generateKey({ ...SPECS.dataA, length: 32, owner: t.ctx.tenant, label: 'record key', class: 'transient' }, t.ctx);
      assert.equal(h.attributes.class, 'transient');
      assert.equal((await t.hsm.getKey(h.id, t.ctx)).attributes.class, 'transient');
      assert.deepEqual((await t.hsm.listKeys({ label: 'record key' }, t.ctx)).map((k) => k.attributes.class), ['transient']);
      const data = new Uint8Array(32).fill(9);
      const iv = new Uint8Array(16);
      const sealed = await t.hsm.encryptData(h.id, data, { mode: 'cbc', iv }, t.ctx);
      assert.equal(toHex(await t.hsm.decryptData(h.id, sealed, { mode: 'cbc', iv }, t.ctx)), toHex(data));
      await rejectsWith(t.hsm.exportKeyBlock(kbpk.mine, h.id, approvals(t), t.ctx), 'ERR_HSM_NOT_EXPORTABLE');
      const exported = await t.hsm.generateKeyForExport({ ...SPECS.dataA, length: 16, owner: t.ctx.tenant, class: 'transient' }, kbpk.mine, t.ctx);
      await rejectsWith(t.hsm.exportKeyBlock(kbpk.mine, exported.key.id, approvals(t), t.ctx), 'ERR_HSM_NOT_EXPORTABLE');
      await rejectsWith(t.hsm.destroyKey(h.id, [], t.otherCtx), 'ERR_HSM_TENANT');
      const before = t.auditEvents().length;
      await t.hsm.destroyKey(h.id, [], t.ctx);
      assert.deepEqual(t.auditEvents().slice(before).map((e) => [e.operation, e.result]), [['destroyKey', 'ok']]);
      await rejectsWith(t.hsm.decryptData(h.id, sealed, { mode: 'cbc', iv }, t.ctx), 'ERR_HSM_STATE');
      await rejectsWith(t.hsm.getKey(h.id, t.ctx), 'ERR_HSM_STATE');
      await t.hsm.destroyKey(exported.key.id, [], t.ctx);
    }));

  it('importKeyBlock takes a key class: a transient import is destroyed by its owner alone and never exported; a default one keeps custodians; a bad class is refused', () =>
    withHsm(setup, async (t) => {
      const kbpk = await sharedKbpk(t, KBPK_A, 'A');
      const theirWrap = await importClear(t, { usage: 'K1', algorithm: 'A', modeOfUse: 'E', exportability: 'N', label: 'export KBPK' }, KBPK_A, t.otherCtx);
      const spec = { ...SPECS.gpEnc, length: 16, owner: t.ctx.tenant };
      const handed = await t.hsm.generateKeyForExport(spec, kbpk.mine, t.ctx);
      const them = t.otherCtx;
      // transient: one audit event, the class persists, exportKeyBlock refuses it, destroyed without approvals
      let before = t.auditEvents().length;
      const transient = await t.hsm.importKeyBlock(kbpk.theirs, handed.block, { owner: them.tenant, label: 'SSD initial ENC', class: 'transient' }, them);
      assert.deepEqual(t.auditEvents().slice(before).map((e) => [e.operation, e.result]), [['importKeyBlock', 'ok']]);
      assert.deepEqual([transient.attributes.class, transient.kcv, transient.attributes.usage], ['transient', handed.key.kcv, spec.usage]);
      assert.equal((await t.hsm.getKey(transient.id, them)).attributes.class, 'transient');
      await rejectsWith(t.hsm.exportKeyBlock(theirWrap.id, transient.id, approvals(t), them), 'ERR_HSM_NOT_EXPORTABLE');
      await rejectsWith(t.hsm.destroyKey(transient.id, [], t.ctx), 'ERR_HSM_TENANT');
      before = t.auditEvents().length;
      await t.hsm.destroyKey(transient.id, [], them);
      assert.deepEqual(t.auditEvents().slice(before).map((e) => [e.operation, e.result]), [['destroyKey', 'ok']]);
      await rejectsWith(t.hsm.getKey(transient.id, them), 'ERR_HSM_STATE');
      // default (and explicit 'hsm'): an ordinary key, whose destruction needs two custodians
      for (const meta of [{ owner: them.tenant, label: 'SSD ordinary' }, { owner: them.tenant, label: 'SSD ordinary', class: 'hsm' as const }]) {
        const plain = await t.hsm.importKeyBlock(kbpk.theirs, handed.block, meta, them);
        assert.equal(plain.attributes.class, 'hsm');
        await rejectsWith(t.hsm.destroyKey(plain.id, [], them), 'ERR_HSM_DUAL_CONTROL');
        assert.equal((await t.hsm.getKey(plain.id, them)).status, 'active');
        await t.hsm.destroyKey(plain.id, approvals(t), them);
      }
      // a class that is not one: refused before anything is stored, one (failed) audit event
      for (const bad of ['ephemeral', '', 7, null]) {
        before = t.auditEvents().length;
        await rejectsWith(t.hsm.importKeyBlock(kbpk.theirs, handed.block, { owner: them.tenant, label: 'refused', class: bad as never }, them), 'ERR_HSM_PARAM');
        assert.deepEqual(t.auditEvents().slice(before).map((e) => e.operation), ['importKeyBlock']);
        assert.notEqual(t.auditEvents().at(-1)!.result, 'ok');
      }
      assert.deepEqual(await t.hsm.listKeys({ label: 'refused' }, them), []);
    }));

  it('importKeyBlock of a protocol-memory key: its clear value is readable (revealProtocolKey), as for one formed from components', () =>
    withHsm(setup, async (t) => {
      const kbpk = await importClear(t, { usage: 'K1', algorithm: 'A', modeOfUse: 'D', exportability: 'N', label: 'PSK KBPK' }, KBPK_A);
      const psk = fromHex('000102030405060708090A0B0C0D0E0F');
      const block = wrapKeyBlock(KBPK_A, psk, { header: { version: 'D', usage: SPECS.dataA.usage, algorithm: 'A', modeOfUse: SPECS.dataA.modeOfUse, exportability: 'N', keyVersion: '00' } });
      const h = await t.hsm.importKeyBlock(kbpk.id, block, { owner: t.ctx.tenant, label: 'SCP81 PSK', class: 'protocol-memory' }, t.ctx);
      assert.equal(h.attributes.class, 'protocol-memory');
      assert.equal(toHex(await t.hsm.revealProtocolKey(h.id, t.ctx)), toHex(psk));
      const plain = await t.hsm.importKeyBlock(kbpk.id, block, { owner: t.ctx.tenant }, t.ctx);
      await rejectsWith(t.hsm.revealProtocolKey(plain.id, t.ctx), 'ERR_HSM_USAGE');
    }));

  it('every other class keeps the two-custodian rule for destruction', () =>
    withHsm(setup, async (t) => {
      const plain = await t.hsm.generateKey({ ...SPECS.dataA, length: 32, owner: t.ctx.tenant }, t.ctx);
      await rejectsWith(t.hsm.destroyKey(plain.id, [], t.ctx), 'ERR_HSM_DUAL_CONTROL');
      const psk = await importClear(t, { ...SPECS.dataA, class: 'protocol-memory', label: 'SCP81 PSK' }, fromHex('000102030405060708090A0B0C0D0E0F'));
      await rejectsWith(t.hsm.destroyKey(psk.id, [t.custodians[0]!], t.ctx), 'ERR_HSM_DUAL_CONTROL');
      assert.equal((await t.hsm.getKey(plain.id, t.ctx)).status, 'active');
      await t.hsm.destroyKey(plain.id, approvals(t), t.ctx);
    }));
}
