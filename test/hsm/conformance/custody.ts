/**
 * Conformance: key custody — generation, components (dual control, KCVs, weak results), TR-31
 * import/export, lookup scoped to the tenant, rotation, destruction, protocol-memory keys.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../../src/bytes/index.ts';
import { kcv, unwrapKeyBlock, wrapKeyBlock } from '../../../src/crypto/index.ts';
import { SPECS, approvals, expectedKcv, importClear, rejectsWith, splitKey, withHsm, type HsmSetup } from './fixture.ts';

const KBPK_A = fromHex('88E1AB2A2E3DD38C1FA039A536500CC8A87AB9D62DC92C01058FA79F44657DE6');
const KBPK_T = fromHex('89E88CF7931444F334BD7547FC3F380C');

export function custodyTests(setup: HsmSetup): void {
  it('generates keys: handle with the attributes asked for, a 3-byte KCV, active', () =>
    withHsm(setup, async (t) => {
      const h = await t.hsm.generateKey({ ...SPECS.macRetail, length: 16, owner: t.ctx.tenant, label: 'MAC 1' }, t.ctx);
      assert.equal(h.kind, 'key-handle');
      assert.deepEqual([h.attributes.usage, h.attributes.algorithm, h.attributes.modeOfUse, h.attributes.exportability, h.attributes.length, h.attributes.owner, h.attributes.label], ['M3', 'T', 'C', 'E', 16, t.ctx.tenant, 'MAC 1']);
      assert.match(h.kcv, /^[0-9A-F]{6}$/);
      assert.equal(h.status, 'active');
      assert.deepEqual(await t.hsm.getKey(h.id, t.ctx), h);
      const aes = await t.hsm.generateKey({ ...SPECS.dataA, length: 32, owner: t.ctx.tenant }, t.ctx);
      assert.notEqual(aes.id, h.id);
    }));

  it('refuses specs that cannot be: single DES, wrong lengths, a usage with the wrong algorithm, another owner', () =>
    withHsm(setup, async (t) => {
      const owner = t.ctx.tenant;
      await rejectsWith(t.hsm.generateKey({ ...SPECS.macRetail, algorithm: 'D', length: 8, owner }, t.ctx), 'ERR_HSM_UNSUPPORTED');
      await rejectsWith(t.hsm.generateKey({ ...SPECS.dataA, length: 20, owner }, t.ctx), 'ERR_HSM_PARAM');
      await rejectsWith(t.hsm.generateKey({ ...SPECS.macRetail, algorithm: 'A', length: 16, owner }, t.ctx), 'ERR_HSM_PARAM');
      await rejectsWith(t.hsm.generateKey({ ...SPECS.dataA, length: 16, owner: t.otherCtx.tenant }, t.ctx), 'ERR_HSM_TENANT');
    }));

  it('forms a key from two components of distinct custodians: the KCV is the clear key\'s', () =>
    withHsm(setup, async (t) => {
      const clear = fromHex('0123456789ABCDEFFEDCBA9876543210');
      const h = await importClear(t, SPECS.imkAc, clear);
      assert.equal(h.kcv, '08D7B4'); // X9.24 KCV of this published test key (pyemv, research/hsm-emv.md §3.1)
      const three = [...splitKey(t, 'A', fromHex('00112233445566778899AABBCCDDEEFF'), [0, 1])];
      const extra = new Uint8Array(16).fill(0x5a);
      three[1] = { ...three[1]!, component: three[1]!.component.map((b, i) => b ^ extra[i]!) };
      three[1] = { ...three[1], kcv: toHex(kcv(three[1].component, 'aes-cmac')) };
      const withThird = [...three, { credential: t.custodians[2]!, component: extra, kcv: toHex(kcv(extra, 'aes-cmac')) }];
      const aes = await t.hsm.importComponents({ ...SPECS.dataA, length: 16, owner: t.ctx.tenant }, withThird, t.ctx);
      assert.equal(aes.kcv, expectedKcv('A', fromHex('00112233445566778899AABBCCDDEEFF')));
    }));

  it('refuses a component whose KCV does not match, a bad passphrase, one custodian, a weak result — nothing stored', () =>
    withHsm(setup, async (t) => {
      const spec = { ...SPECS.dataT, length: 16, owner: t.ctx.tenant, label: 'refused' };
      const parts = splitKey(t, 'T', fromHex('0123456789ABCDEFFEDCBA9876543210'));
      await rejectsWith(t.hsm.importComponents(spec, [parts[0]!, { ...parts[1]!, kcv: 'ABCDEF' }], t.ctx), 'ERR_HSM_KCV');
      await rejectsWith(t.hsm.importComponents(spec, [parts[0]!, { ...parts[1]!, credential: { ...parts[1]!.credential, passphrase: 'not the passphrase' } }], t.ctx), 'ERR_HSM_CUSTODIAN');
      await rejectsWith(t.hsm.importComponents(spec, [parts[0]!, { ...parts[1]!, credential: parts[0]!.credential }], t.ctx), 'ERR_HSM_DUAL_CONTROL');
      await rejectsWith(t.hsm.importComponents(spec, [parts[0]!], t.ctx), 'ERR_HSM_DUAL_CONTROL');
      const same = parts[0]!;
      await rejectsWith(t.hsm.importComponents(spec, [same, { ...same, credential: t.custodians[1]! }], t.ctx), 'ERR_HSM_WEAK_KEY');
      assert.deepEqual(await t.hsm.listKeys({ label: 'refused' }, t.ctx), []);
    }));

  it('imports a TR-31 block under a K1 KBPK: the header becomes the attributes; exports it back (D under AES, B under TDES)', () =>
    withHsm(setup, async (t) => {
      const kbpkA = await importClear(t, SPECS.kbpkA, KBPK_A);
      const kbpkT = await importClear(t, SPECS.kbpkT, KBPK_T);
      const clear = fromHex('3F419E1CB7079442AA37474C2EFBF8B8');
      const wrapped = wrapKeyBlock(KBPK_A, clear, { header: { version: 'D', usage: 'P0', algorithm: 'T', modeOfUse: 'E', keyVersion: '07', exportability: 'E' } });
      const h = await t.hsm.importKeyBlock(kbpkA.id, wrapped, { owner: t.ctx.tenant, label: 'ZPK from partner' }, t.ctx);
      assert.deepEqual([h.attributes.usage, h.attributes.algorithm, h.attributes.modeOfUse, h.attributes.version, h.attributes.exportability, h.attributes.label, h.kcv], ['P0', 'T', 'E', 7, 'E', 'ZPK from partner', expectedKcv('T', clear)]);
      const outD = await t.hsm.exportKeyBlock(kbpkA.id, h.id, approvals(t), t.ctx);
      assert.equal(outD[0], 'D');
      const back = unwrapKeyBlock(KBPK_A, outD);
      assert.deepEqual([toHex(back.key), back.header.usage, back.header.modeOfUse, back.header.keyVersion], [toHex(clear), 'P0', 'E', '07']);
      const outB = await t.hsm.exportKeyBlock(kbpkT.id, h.id, approvals(t), t.ctx);
      assert.equal(outB[0], 'B');
      assert.equal(toHex(unwrapKeyBlock(KBPK_T, outB).key), toHex(clear));
    }));

  it('refuses tampered or truncated blocks and the wrong KBPK with typed errors; nothing is stored', () =>
    withHsm(setup, async (t) => {
      const kbpk = await importClear(t, SPECS.kbpkA, KBPK_A);
      const other = await importClear(t, SPECS.kbpkA, fromHex('00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF'));
      const good = wrapKeyBlock(KBPK_A, fromHex('3F419E1CB7079442AA37474C2EFBF8B8'), { header: { version: 'D', usage: 'P0', algorithm: 'T', modeOfUse: 'E', exportability: 'E' } });
      const before = (await t.hsm.listKeys({}, t.ctx)).length;
      const flip = (s: string, at: number): string => s.slice(0, at) + (s[at] === '0' ? '1' : '0') + s.slice(at + 1);
      const cases = [
        good.slice(0, good.length - 2), // truncated
        flip(good, 40), // ciphertext
        flip(good, good.length - 1), // MAC
        good.replace('P0TE', 'P0TB'), // header: mode of use widened
        good.slice(0, 5) + 'D0' + good.slice(7), // header: usage changed
        '',
        'D0016',
      ];
      for (const block of cases) await rejectsWith(t.hsm.importKeyBlock(kbpk.id, block, { owner: t.ctx.tenant }, t.ctx), 'ERR_HSM_KEY_BLOCK');
      await rejectsWith(t.hsm.importKeyBlock(other.id, good, { owner: t.ctx.tenant }, t.ctx), 'ERR_HSM_KEY_BLOCK');
      assert.equal((await t.hsm.listKeys({}, t.ctx)).length, before);
    }));

  it('lists and gets keys of the calling tenant only', () =>
    withHsm(setup, async (t) => {
      const mine = await t.hsm.generateKey({ ...SPECS.dataA, length: 16, owner: t.ctx.tenant, label: 'shared-label' }, t.ctx);
      const theirs = await t.hsm.generateKey({ ...SPECS.dataA, length: 16, owner: t.otherCtx.tenant, label: 'shared-label' }, t.otherCtx);
      assert.deepEqual((await t.hsm.listKeys({ label: 'shared-label' }, t.ctx)).map((k) => k.id), [mine.id]);
      assert.deepEqual((await t.hsm.listKeys({ label: 'shared-label' }, t.otherCtx)).map((k) => k.id), [theirs.id]);
      assert.deepEqual((await t.hsm.listKeys({ usage: 'D0' }, t.ctx)).map((k) => k.id), [mine.id]);
      await rejectsWith(t.hsm.getKey(theirs.id, t.ctx), 'ERR_HSM_TENANT');
      await rejectsWith(t.hsm.getKey('no-such-key', t.ctx), 'ERR_HSM_KEY_NOT_FOUND');
    }));

  it('rotates: version + 1 with the same attributes, the old version retired (verifies, never creates)', () =>
    withHsm(setup, async (t) => {
      const old = await t.hsm.generateKey({ ...SPECS.macRetail, length: 16, owner: t.ctx.tenant, label: 'TAK' }, t.ctx);
      const data = new Uint8Array(24).fill(7);
      const mac = await t.hsm.generateMac(old.id, data, 'retail-mac', t.ctx);
      const next = await t.hsm.rotateKey(old.id, t.ctx);
      assert.deepEqual([next.attributes.version, next.attributes.usage, next.attributes.label, next.status], [old.attributes.version + 1, 'M3', 'TAK', 'active']);
      assert.notEqual(next.kcv, old.kcv);
      assert.equal((await t.hsm.getKey(old.id, t.ctx)).status, 'retired');
      assert.equal(await t.hsm.verifyMac(old.id, data, mac, 'retail-mac', t.ctx), true);
      await rejectsWith(t.hsm.generateMac(old.id, data, 'retail-mac', t.ctx), 'ERR_HSM_STATE');
      await rejectsWith(t.hsm.rotateKey(old.id, t.ctx), 'ERR_HSM_STATE');
      assert.equal((await t.hsm.generateMac(next.id, data, 'retail-mac', t.ctx)).length, 8);
    }));

  it('destroys a key with two custodians: afterwards every use is refused', () =>
    withHsm(setup, async (t) => {
      const h = await t.hsm.generateKey({ ...SPECS.dataA, length: 16, owner: t.ctx.tenant }, t.ctx);
      await rejectsWith(t.hsm.destroyKey(h.id, [t.custodians[0]!], t.ctx), 'ERR_HSM_DUAL_CONTROL');
      await rejectsWith(t.hsm.destroyKey(h.id, [t.custodians[0]!, t.custodians[0]!], t.ctx), 'ERR_HSM_DUAL_CONTROL');
      await t.hsm.encryptData(h.id, new Uint8Array(16), { mode: 'ecb' }, t.ctx);
      await t.hsm.destroyKey(h.id, approvals(t), t.ctx);
      await rejectsWith(t.hsm.encryptData(h.id, new Uint8Array(16), { mode: 'ecb' }, t.ctx), 'ERR_HSM_STATE');
      await rejectsWith(t.hsm.getKey(h.id, t.ctx), 'ERR_HSM_STATE');
      assert.deepEqual((await t.hsm.listKeys({}, t.ctx)).filter((k) => k.id === h.id), []);
    }));

  it('reveals protocol-memory keys (the SCP81 PSK) and no other class', () =>
    withHsm(setup, async (t) => {
      const psk = fromHex('000102030405060708090A0B0C0D0E0F');
      const h = await importClear(t, { ...SPECS.dataA, class: 'protocol-memory', label: 'SCP81 PSK' }, psk);
      assert.equal(h.attributes.class, 'protocol-memory');
      assert.equal(toHex(await t.hsm.revealProtocolKey(h.id, t.ctx)), toHex(psk));
      const other = await t.hsm.generateKey({ ...SPECS.dataA, length: 16, owner: t.ctx.tenant }, t.ctx);
      await rejectsWith(t.hsm.revealProtocolKey(other.id, t.ctx), 'ERR_HSM_USAGE');
      await rejectsWith(t.hsm.revealProtocolKey(h.id, t.otherCtx), 'ERR_HSM_TENANT');
    }));

  it('returns random bytes of the length asked for, and refuses 0', () =>
    withHsm(setup, async (t) => {
      const a = await t.hsm.random(32, t.ctx);
      const b = await t.hsm.random(32, t.ctx);
      assert.equal(a.length, 32);
      assert.notEqual(toHex(a), toHex(b));
      await rejectsWith(t.hsm.random(0, t.ctx), 'ERR_HSM_PARAM');
    }));
}
