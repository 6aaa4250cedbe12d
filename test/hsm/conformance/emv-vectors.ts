/**
 * Conformance: the EMV vectors (test/vectors/emv/*.json, captured from pyemv 1.5.0) through the
 * Hsm interface. Issuer master keys go in as components (or a TR-31 block), then verifyArqc,
 * issuerScriptMac, issuerScriptEncrypt, pinChangeScriptData and exportDerivedKeyForCard must give
 * the published values. Vectors of an operation the HSM does not offer (a bare session key as
 * input, the EMV2000 tree) are listed with the reason, and the list is checked.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../../src/bytes/index.ts';
import { aesCbcDecrypt, kcv, tdesEcbDecrypt, tdesEcbEncrypt } from '../../../src/crypto/index.ts';
import { CVN_PROFILES, assembleAcData, encodePinBlock } from '../../../src/emv/index.ts';
import { SCP02_DERIVATION, scp02SessionKey } from '../../../src/gp/index.ts';
import type { ArpcInput } from '../../../src/hsm/index.ts';
import { byName, loadCaptured, optStr, str, tamper, type CapturedVector } from '../../emv/captured.ts';
import { EMV_CHAINS, chainVectorNames, type EmvChain } from '../../helpers/emv-chains.ts';
import { SPECS, importClear, withHsm, type HsmSetup, type HsmUnderTest } from './fixture.ts';

const arqcs = loadCaptured('emv/arqc.json');
const arpcs = loadCaptured('emv/arpc.json');
const sms = loadCaptured('emv/secure-messaging.json');
const udks = loadCaptured('emv/udk-derivation.json');
const sks = loadCaptured('emv/session-keys.json');

const ZPK = fromHex('C1D0F8FB4958670DBA40AB1F3752EF0D');
const DEK_AES = fromHex('606162636465666768696A6B6C6D6E6F');
const DEK_TDES = fromHex('404142434445464748494A4B4C4D4E4F');

/** Functions whose vectors take an input the HSM never accepts, with the reason. */
export const NOT_THROUGH_THE_HSM: Readonly<Record<string, string>> = {
  'pyemv.kd.derive_common_sk': 'a session key from a bare ICC master key and a free R: the HSM derives session keys only inside an operation, from an IMK',
  'pyemv.kd.derive_visa_sm_sk': 'a Visa SM session key from a bare ICC master key (same reason)',
  'pyemv.kd.derive_emv2000_tree_sk': 'the EMV2000 tree: no CVN profile uses it (superseded by EMV SU-46)',
  'pyemv.ac.generate_ac': 'a cryptogram under a bare session key (chain cryptograms go through verifyArqc)',
  'pyemv.ac.generate_arpc_1': 'an ARPC under a bare key (chain ARPCs go through verifyArqc)',
  'pyemv.ac.generate_arpc_2': 'an ARPC under a bare key (chain ARPCs go through verifyArqc)',
  'pyemv.sm.generate_command_mac': 'a script MAC under a bare session key (chain MACs go through issuerScriptMac)',
  'pyemv.sm.encrypt_command_data': 'script data under a bare session key (chain data goes through issuerScriptEncrypt)',
  'pyemv.sm.format_vis_pin_block': 'a clear PIN block, which the HSM never returns (pinChangeScriptData enciphers it inside)',
  'pyemv.sm.format_iso9564_2_pin_block': 'a clear PIN block, which the HSM never returns (pinChangeScriptData enciphers it inside)',
};

async function chainKeys(t: HsmUnderTest, chain: EmvChain) {
  return {
    ac: await importClear(t, SPECS.imkAc, fromHex(chain.imk.ac)),
    smi: await importClear(t, SPECS.imkSmi, fromHex(chain.imk.smi)),
    smc: await importClear(t, SPECS.imkSmc, fromHex(chain.imk.smc)),
  };
}

function arpcInput(chain: EmvChain, v: CapturedVector): ArpcInput {
  return CVN_PROFILES[chain.profile].arpc.method === 1
    ? { method: 1, arc: fromHex(str(v, 'arpc_rc')) }
    : { method: 2, csu: fromHex(str(v, 'csu')), proprietaryData: fromHex(optStr(v, 'prop_auth_data') ?? '') };
}

/** The MAC the vector expects: its `length` leftmost bytes of the HSM's 8-byte script MAC. */
function macOf(mac: Uint8Array, v: CapturedVector): string {
  const length = v.inputs.length;
  return toHex(mac.subarray(0, typeof length === 'number' ? length : 8));
}

function chainTest(setup: HsmSetup, chain: EmvChain): Promise<void> {
  return withHsm(setup, async (t) => {
    const profile = CVN_PROFILES[chain.profile];
    const imk = await chainKeys(t, chain);
    const arqcV = byName(arqcs, chain.steps.arqc);
    const values = Object.fromEntries(Object.entries(chain.acElements).map(([k, v]) => [k, fromHex(v)]));
    const data = assembleAcData(profile, values);
    assert.equal(toHex(data), str(arqcV, 'data'));
    const arqc = fromHex(arqcV.expected);
    const base = { profile: chain.profile, pan: chain.pan, psn: chain.psn, atc: fromHex(chain.atc), unpredictableNumber: fromHex(chain.un), arqc };

    // ARQC and ARPC (EMV Book 2 §8)
    const arpcV = byName(arpcs, chain.steps.arpc);
    assert.equal(str(arpcV, 'arqc'), arqcV.expected);
    const ok = await t.hsm.verifyArqc({ ...base, imk: imk.ac.id, data }, arpcInput(chain, arpcV), t.ctx);
    assert.deepEqual([ok.valid, ok.arpc === undefined ? undefined : toHex(ok.arpc)], [true, arpcV.expected]);
    const bad = await t.hsm.verifyArqc({ ...base, imk: imk.ac.id, data, arqc: tamper(arqc) }, arpcInput(chain, arpcV), t.ctx);
    assert.deepEqual(bad, { valid: false });
    assert.equal((await t.hsm.verifyArqc({ ...base, imk: imk.ac.id, data }, undefined, t.ctx)).arpc, undefined);

    // Issuer script MAC (§9.2.1) of the published MAC input
    const unblockV = byName(sms, chain.steps.unblockMac);
    assert.equal(macOf(await t.hsm.issuerScriptMac({ ...base, imkSmi: imk.smi.id, macInput: fromHex(str(unblockV, 'command')) }, t.ctx), unblockV), unblockV.expected);

    // PIN CHANGE: the enciphered new-PIN block, from a PIN block the HSM decrypts itself
    const encV = byName(sms, chain.steps.pinEncrypt);
    assert.equal(toHex(await t.hsm.issuerScriptEncrypt({ ...base, imkSmc: imk.smc.id, plaintext: fromHex(str(encV, 'command_data')) }, t.ctx)), encV.expected);
    const zpk = await importClear(t, SPECS.pinT, ZPK);
    const pin = { key: zpk.id, format: 1 as const, block: tdesEcbEncrypt(ZPK, encodePinBlock(chain.pin, { format: 1 })) };
    const pinData = await t.hsm.pinChangeScriptData({ ...base, pin, imkSmc: imk.smc.id, imkAc: imk.ac.id }, t.ctx);
    assert.equal(toHex(pinData), encV.expected);
    const pinMacV = byName(sms, chain.steps.pinMac);
    assert.ok(str(pinMacV, 'command').endsWith(encV.expected), 'the MAC input carries the enciphered PIN data');
    assert.equal(macOf(await t.hsm.issuerScriptMac({ ...base, imkSmi: imk.smi.id, macInput: fromHex(str(pinMacV, 'command')) }, t.ctx), pinMacV), pinMacV.expected);

    // The variant with the current PIN: encipherment and MAC of the published block
    const current = chain.withCurrentPin;
    if (current === undefined) return;
    const cEncV = byName(sms, current.pinEncrypt);
    assert.equal(toHex(await t.hsm.issuerScriptEncrypt({ ...base, imkSmc: imk.smc.id, plaintext: fromHex(str(cEncV, 'command_data')) }, t.ctx)), cEncV.expected);
    const cMacV = byName(sms, current.pinMac);
    assert.equal(macOf(await t.hsm.issuerScriptMac({ ...base, imkSmi: imk.smi.id, macInput: fromHex(str(cMacV, 'command')) }, t.ctx), cMacV), cMacV.expected);
  });
}

export function emvVectorTests(setup: HsmSetup): void {
  describe('CVN chains (arqc.json, arpc.json, secure-messaging.json)', () => {
    for (const chain of EMV_CHAINS) it(`${chain.profile}: ${chain.test}`, () => chainTest(setup, chain));
  });

  describe('ICC master keys (udk-derivation.json) through exportDerivedKeyForCard', () => {
    for (const v of udks) {
      it(v.name, () =>
        withHsm(setup, async (t) => {
          const imk = await importClear(t, SPECS.imkAc, fromHex(str(v, 'iss_mk')));
          const dek = await importClear(t, SPECS.gpDek, DEK_AES);
          const option = v.function.endsWith('_b') ? 'B' : 'A';
          // EMV Book 2 A1.4.1: an absent PSN is '00'
          const derive = { kind: 'emv-icc' as const, imk: imk.id, pan: str(v, 'pan'), psn: optStr(v, 'psn') ?? '00', option } as const;
          const wrapped = await t.hsm.exportDerivedKeyForCard({ derive, dek: dek.id, scp: 3 }, t.ctx);
          assert.deepEqual([wrapped.type, wrapped.keyLength, toHex(wrapped.kcv)], [0x80, 16, toHex(kcv(fromHex(v.expected), 'tdes-zeros'))]);
          assert.equal(toHex(aesCbcDecrypt(DEK_AES, wrapped.ciphertext, { iv: new Uint8Array(16) })), v.expected);
        }),
      );
    }

    it('under an SCP02 DEK: 3DES-ECB with the session DEK of the sequence counter (GPC 2.3.1 §E.4.7)', () =>
      withHsm(setup, async (t) => {
        const v = udks[1]!;
        const imk = await importClear(t, SPECS.imkAc, fromHex(str(v, 'iss_mk')));
        const dek = await importClear(t, { ...SPECS.gpDek, algorithm: 'T' }, DEK_TDES);
        const derive = { kind: 'emv-icc' as const, imk: imk.id, pan: str(v, 'pan'), psn: str(v, 'psn'), option: 'A' as const };
        const wrapped = await t.hsm.exportDerivedKeyForCard({ derive, dek: dek.id, scp: 2, sequenceCounter: 0x0042 }, t.ctx);
        const sessionDek = scp02SessionKey(DEK_TDES, SCP02_DERIVATION.DEK, 0x0042);
        assert.equal(toHex(tdesEcbDecrypt(sessionDek, wrapped.ciphertext)), v.expected);
      }));
  });

  it('every EMV vector is checked through the HSM, or its operation is listed as not offered', () => {
    const through = new Set([...chainVectorNames(), ...udks.map((v) => v.name)]);
    const all = [...arqcs, ...arpcs, ...sms, ...udks, ...sks];
    const unexplained = all.filter((v) => !through.has(v.name) && NOT_THROUGH_THE_HSM[v.function] === undefined).map((v) => v.name);
    assert.deepEqual(unexplained, []);
    const checked = all.filter((v) => through.has(v.name)).length;
    assert.ok(checked >= 30 + 9 * 5, `only ${checked} EMV vectors go through the HSM`);
  });
}
