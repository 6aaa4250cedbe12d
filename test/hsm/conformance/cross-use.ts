/**
 * Conformance: every forbidden cross-use is refused before any cryptography, with its own code
 * (usage-policy.ts: X9.143 usage and mode of use, tenants, status, exportability, dual control).
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex } from '../../../src/bytes/index.ts';
import { SPECS, approvals, importClear, rejectsWith, splitKey, withHsm, type HsmSetup, type HsmUnderTest } from './fixture.ts';

const AES16 = fromHex('000102030405060708090A0B0C0D0E0F');
const TDES16 = fromHex('0123456789ABCDEFFEDCBA9876543210');
const DATA = new Uint8Array(16);

function arqcRequest(imk: string) {
  return { imk, profile: 'visa-18' as const, pan: '1234567890123456', psn: '00', atc: fromHex('001C'), data: new Uint8Array(43), arqc: new Uint8Array(8) };
}

async function gpSet(t: HsmUnderTest) {
  const enc = await importClear(t, SPECS.gpEnc, AES16);
  const mac = await importClear(t, SPECS.gpMac, fromHex('101112131415161718191A1B1C1D1E1F'));
  const dek = await importClear(t, SPECS.gpDek, fromHex('202122232425262728292A2B2C2D2E2F'));
  return { enc: enc.id, mac: mac.id, dek: dek.id };
}

export function crossUseTests(setup: HsmSetup): void {
  it('a KEK (K0) never MACs', () =>
    withHsm(setup, async (t) => {
      const kek = await importClear(t, { ...SPECS.kek, algorithm: 'T' }, TDES16);
      await rejectsWith(t.hsm.generateMac(kek.id, DATA, 'retail-mac', t.ctx), 'ERR_HSM_USAGE');
      await rejectsWith(t.hsm.verifyMac(kek.id, DATA, new Uint8Array(8), 'retail-mac', t.ctx), 'ERR_HSM_USAGE');
    }));

  it('a data key (D0) never wraps: not as a KBPK, not as a card DEK', () =>
    withHsm(setup, async (t) => {
      const data = await importClear(t, SPECS.dataA, AES16);
      const victim = await t.hsm.generateKey({ ...SPECS.dataA, length: 16, owner: t.ctx.tenant }, t.ctx);
      await rejectsWith(t.hsm.exportKeyBlock(data.id, victim.id, approvals(t), t.ctx), 'ERR_HSM_USAGE');
      await rejectsWith(t.hsm.wrapKeyForCard(victim.id, data.id, { scp: 3 }, t.ctx), 'ERR_HSM_USAGE');
      await rejectsWith(t.hsm.importKeyBlock(data.id, 'D0112P0AE00E0000', { owner: t.ctx.tenant }, t.ctx), 'ERR_HSM_USAGE');
    }));

  it('an E0 issuer master key never encrypts or decrypts data', () =>
    withHsm(setup, async (t) => {
      const imk = await importClear(t, SPECS.imkAc, TDES16);
      await rejectsWith(t.hsm.encryptData(imk.id, new Uint8Array(8), { mode: 'ecb' }, t.ctx), 'ERR_HSM_USAGE');
      await rejectsWith(t.hsm.decryptData(imk.id, new Uint8Array(8), { mode: 'ecb' }, t.ctx), 'ERR_HSM_USAGE');
    }));

  it('a MAC key never verifies an ARQC; an SMI key is not an AC key either', () =>
    withHsm(setup, async (t) => {
      const mac = await importClear(t, SPECS.macRetail, TDES16);
      const smi = await importClear(t, SPECS.imkSmi, TDES16);
      await rejectsWith(t.hsm.verifyArqc(arqcRequest(mac.id), undefined, t.ctx), 'ERR_HSM_USAGE');
      await rejectsWith(t.hsm.verifyArqc(arqcRequest(smi.id), undefined, t.ctx), 'ERR_HSM_USAGE');
    }));

  it('a GP-DEK never derives session keys, and ENC/MAC roles cannot be swapped', () =>
    withHsm(setup, async (t) => {
      const set = await gpSet(t);
      await rejectsWith(t.hsm.scp03HostKeys({ enc: set.dek, mac: set.mac, dek: set.dek }, 0x30, t.ctx), 'ERR_HSM_USAGE');
      await rejectsWith(t.hsm.scp03HostKeys({ enc: set.enc, mac: set.dek, dek: set.dek }, 0x30, t.ctx), 'ERR_HSM_USAGE');
      await rejectsWith(t.hsm.scp03HostKeys({ enc: set.mac, mac: set.enc, dek: set.dek }, 0x30, t.ctx), 'ERR_HSM_USAGE');
      await rejectsWith(t.hsm.scp03HostKeys({ enc: set.enc, mac: set.mac, dek: set.enc }, 0x30, t.ctx), 'ERR_HSM_USAGE');
    }));

  it('a retired key never creates a MAC (it still verifies)', () =>
    withHsm(setup, async (t) => {
      const old = await importClear(t, SPECS.macRetail, TDES16);
      const mac = await t.hsm.generateMac(old.id, DATA, 'retail-mac', t.ctx);
      await t.hsm.rotateKey(old.id, t.ctx);
      await rejectsWith(t.hsm.generateMac(old.id, DATA, 'retail-mac', t.ctx), 'ERR_HSM_STATE');
      assert.equal(await t.hsm.verifyMac(old.id, DATA, mac, 'retail-mac', t.ctx), true);
    }));

  it("a tenant's key is refused in another tenant's context, for every kind of use", () =>
    withHsm(setup, async (t) => {
      const imk = await importClear(t, SPECS.imkAc, TDES16);
      const mac = await importClear(t, SPECS.macRetail, TDES16);
      const data = await importClear(t, SPECS.dataA, AES16);
      const o = t.otherCtx;
      await rejectsWith(t.hsm.verifyArqc(arqcRequest(imk.id), undefined, o), 'ERR_HSM_TENANT');
      await rejectsWith(t.hsm.generateMac(mac.id, DATA, 'retail-mac', o), 'ERR_HSM_TENANT');
      await rejectsWith(t.hsm.encryptData(data.id, DATA, { mode: 'ecb' }, o), 'ERR_HSM_TENANT');
      await rejectsWith(t.hsm.rotateKey(data.id, o), 'ERR_HSM_TENANT');
      await rejectsWith(t.hsm.destroyKey(data.id, approvals(t), o), 'ERR_HSM_TENANT');
      const theirKbpk = await importClear(t, SPECS.kbpkA, fromHex('88E1AB2A2E3DD38C1FA039A536500CC8A87AB9D62DC92C01058FA79F44657DE6'), o);
      await rejectsWith(t.hsm.exportKeyBlock(theirKbpk.id, data.id, approvals(t), o), 'ERR_HSM_TENANT');
      await rejectsWith(t.hsm.exportKeyBlock(theirKbpk.id, data.id, approvals(t), t.ctx), 'ERR_HSM_TENANT');
    }));

  it('a non-exportable key is never exported: not as a TR-31 block, not to a card', () =>
    withHsm(setup, async (t) => {
      const kbpk = await importClear(t, SPECS.kbpkA, fromHex('88E1AB2A2E3DD38C1FA039A536500CC8A87AB9D62DC92C01058FA79F44657DE6'));
      const set = await gpSet(t);
      const secret = await t.hsm.generateKey({ ...SPECS.dataA, exportability: 'N', length: 16, owner: t.ctx.tenant }, t.ctx);
      await rejectsWith(t.hsm.exportKeyBlock(kbpk.id, secret.id, approvals(t), t.ctx), 'ERR_HSM_NOT_EXPORTABLE');
      await rejectsWith(t.hsm.wrapKeyForCard(secret.id, set.dek, { scp: 3 }, t.ctx), 'ERR_HSM_NOT_EXPORTABLE');
    }));

  it('export and destruction need two distinct authenticated custodians', () =>
    withHsm(setup, async (t) => {
      const kbpk = await importClear(t, SPECS.kbpkA, fromHex('88E1AB2A2E3DD38C1FA039A536500CC8A87AB9D62DC92C01058FA79F44657DE6'));
      const key = await t.hsm.generateKey({ ...SPECS.dataA, length: 16, owner: t.ctx.tenant }, t.ctx);
      const [a, b] = approvals(t);
      await rejectsWith(t.hsm.exportKeyBlock(kbpk.id, key.id, [a!], t.ctx), 'ERR_HSM_DUAL_CONTROL');
      await rejectsWith(t.hsm.exportKeyBlock(kbpk.id, key.id, [a!, a!], t.ctx), 'ERR_HSM_DUAL_CONTROL');
      await rejectsWith(t.hsm.exportKeyBlock(kbpk.id, key.id, [a!, { ...b!, passphrase: 'wrong passphrase!' }], t.ctx), 'ERR_HSM_CUSTODIAN');
      await rejectsWith(t.hsm.destroyKey(key.id, [b!], t.ctx), 'ERR_HSM_DUAL_CONTROL');
      await rejectsWith(t.hsm.destroyKey(key.id, [], t.ctx), 'ERR_HSM_DUAL_CONTROL');
      assert.equal((await t.hsm.getKey(key.id, t.ctx)).status, 'active');
    }));

  it('a component with a wrong KCV is refused', () =>
    withHsm(setup, async (t) => {
      const parts = splitKey(t, 'A', AES16);
      await rejectsWith(t.hsm.importComponents({ ...SPECS.dataA, length: 16, owner: t.ctx.tenant }, [parts[0]!, { ...parts[1]!, kcv: parts[0]!.kcv }], t.ctx), 'ERR_HSM_KCV');
    }));

  it('two components by the same custodian are refused', () =>
    withHsm(setup, async (t) => {
      const parts = splitKey(t, 'A', AES16, [0, 0]);
      await rejectsWith(t.hsm.importComponents({ ...SPECS.dataA, length: 16, owner: t.ctx.tenant }, parts, t.ctx), 'ERR_HSM_DUAL_CONTROL');
    }));

  it('a MAC algorithm needs its own usage (M1, M3, M6, M7), and a verify-only key never generates', () =>
    withHsm(setup, async (t) => {
      const retail = await importClear(t, SPECS.macRetail, TDES16);
      await rejectsWith(t.hsm.generateMac(retail.id, DATA, 'cmac', t.ctx), 'ERR_HSM_USAGE');
      await rejectsWith(t.hsm.generateMac(retail.id, DATA, 'iso9797-1-alg1', t.ctx), 'ERR_HSM_USAGE');
      const verifyOnly = await importClear(t, { ...SPECS.macRetail, modeOfUse: 'V' }, TDES16);
      await rejectsWith(t.hsm.generateMac(verifyOnly.id, DATA, 'retail-mac', t.ctx), 'ERR_HSM_USAGE');
      assert.equal(await t.hsm.verifyMac(verifyOnly.id, DATA, await t.hsm.generateMac(retail.id, DATA, 'retail-mac', t.ctx), 'retail-mac', t.ctx), true);
    }));

  it('a PAN-bound PIN block is never translated to a format without the PAN, nor to another PAN', () =>
    withHsm(setup, async (t) => {
      const zpk = await importClear(t, SPECS.pinT, TDES16);
      const block = { key: zpk.id, format: 0 as const, block: new Uint8Array(8), pan: '5555555551234567' };
      await rejectsWith(t.hsm.translatePinBlock(block, { key: zpk.id, format: 1 }, t.ctx), 'ERR_HSM_USAGE');
      await rejectsWith(t.hsm.translatePinBlock(block, { key: zpk.id, format: 2 }, t.ctx), 'ERR_HSM_USAGE');
      await rejectsWith(t.hsm.translatePinBlock(block, { key: zpk.id, format: 0, pan: '4444444441234567' }, t.ctx), 'ERR_HSM_PARAM');
    }));
}
