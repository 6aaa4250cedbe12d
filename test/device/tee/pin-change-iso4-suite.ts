/**
 * The HSM side of a TEE PIN change, run on any backend: `pinChangeScriptData` takes an ISO 9564-1
 * format 4 block under an AES PIN key (P0) — what a TEE's PIN TA makes — and gives exactly the
 * enciphered PIN data it gives for the same PIN as a format 1 block under a TDES key (the path the
 * published pyemv chains check, test/hsm/conformance/emv-vectors.ts). And a PEK made for a TEE by
 * `generateKeyForExport` under a TEE's KBPK serves it. Software: hsm-pin-change-iso4.test.ts;
 * PKCS#11: call `pinChangeIso4Suite` from test/services/hsm-pkcs11.test.ts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../../src/bytes/index.ts';
import { tdesEcbEncrypt, unwrapKeyBlock } from '../../../src/crypto/index.ts';
import { encipherPinBlockIso4, encodePinBlock } from '../../../src/emv/index.ts';
import { EMV_CHAINS } from '../../helpers/emv-chains.ts';
import { SPECS, importClear, withHsm, type HsmSetup } from '../../hsm/conformance/fixture.ts';

const PIN_KEY_T = fromHex('C1D0F8FB4958670DBA40AB1F3752EF0D');
const PIN_KEY_A = fromHex('00112233445566778899AABBCCDDEEFF');
const TEE_KBPK = fromHex('8AF9A3C1D6B2E45F0718293A4B5C6D7E');
const PIN = '739152846031';

export function pinChangeIso4Suite(name: string, setup: HsmSetup): void {
  describe(`pinChangeScriptData from a format 4 (AES) PIN block: ${name}`, () => {
    for (const [i, chain] of EMV_CHAINS.filter((c) => c.profile !== 'interac-133').entries()) {
      it(`chain ${i + 1} (${chain.profile}): format 4 under an AES P0 key gives the format 1 path's script data`, () => withHsm(setup, async (t) => {
        const imk = {
          ac: (await importClear(t, SPECS.imkAc, fromHex(chain.imk.ac))).id,
          smc: (await importClear(t, SPECS.imkSmc, fromHex(chain.imk.smc))).id,
        };
        const base = { profile: chain.profile, pan: chain.pan, psn: chain.psn, atc: fromHex(chain.atc), unpredictableNumber: fromHex(chain.un), arqc: fromHex('0102030405060708') };
        const tdes = (await importClear(t, SPECS.pinT, PIN_KEY_T)).id;
        const aes = (await importClear(t, SPECS.pinA, PIN_KEY_A)).id;
        const viaFormat1 = await t.hsm.pinChangeScriptData({ ...base, pin: { key: tdes, format: 1, block: tdesEcbEncrypt(PIN_KEY_T, encodePinBlock(PIN, { format: 1 })) }, imkSmc: imk.smc, imkAc: imk.ac }, t.ctx);
        const viaFormat4 = await t.hsm.pinChangeScriptData({ ...base, pin: { key: aes, format: 4, block: encipherPinBlockIso4(PIN_KEY_A, PIN, chain.pan), pan: chain.pan }, imkSmc: imk.smc, imkAc: imk.ac }, t.ctx);
        assert.equal(toHex(viaFormat4), toHex(viaFormat1));
        // the PAN binds the block: another PAN does not give the same PIN
        await assert.rejects(t.hsm.pinChangeScriptData({ ...base, pin: { key: aes, format: 4, block: encipherPinBlockIso4(PIN_KEY_A, PIN, chain.pan), pan: '4000000000000002' }, imkSmc: imk.smc, imkAc: imk.ac }, t.ctx));
      }));
    }

    it('a PEK generated for a TEE under its KBPK (P0, AES, mode B) decrypts the TEE\'s block', () => withHsm(setup, async (t) => {
      const chain = EMV_CHAINS[0]!;
      const kbpk = await importClear(t, SPECS.kbpkA, TEE_KBPK);
      const { key, block } = await t.hsm.generateKeyForExport({ usage: 'P0', algorithm: 'A', modeOfUse: 'B', exportability: 'E', length: 16, owner: t.ctx.tenant, label: 'tee-pek:suite' }, kbpk.id, t.ctx);
      const pek = unwrapKeyBlock(TEE_KBPK, block); // what the TEE does
      assert.equal(pek.kcv, key.kcv);
      const imk = { ac: (await importClear(t, SPECS.imkAc, fromHex(chain.imk.ac))).id, smc: (await importClear(t, SPECS.imkSmc, fromHex(chain.imk.smc))).id };
      const tdes = (await importClear(t, SPECS.pinT, PIN_KEY_T)).id;
      const base = { profile: chain.profile, pan: chain.pan, psn: chain.psn, atc: fromHex(chain.atc), unpredictableNumber: fromHex(chain.un), arqc: fromHex('0102030405060708') };
      const viaTee = await t.hsm.pinChangeScriptData({ ...base, pin: { key: key.id, format: 4, block: encipherPinBlockIso4(pek.key, PIN, chain.pan), pan: chain.pan }, imkSmc: imk.smc, imkAc: imk.ac }, t.ctx);
      pek.wipe();
      const viaFormat1 = await t.hsm.pinChangeScriptData({ ...base, pin: { key: tdes, format: 1, block: tdesEcbEncrypt(PIN_KEY_T, encodePinBlock(PIN, { format: 1 })) }, imkSmc: imk.smc, imkAc: imk.ac }, t.ctx);
      assert.equal(toHex(viaTee), toHex(viaFormat1));
    }));
  });
}
