/**
 * CVN_PROFILES checked end to end against the vectors captured from pyemv 1.5.0's CVN tests
 * (tests/test_cvn_hsm.py and the pyemv/cvn.py doctest): starting from the issuer master keys, every
 * step is chosen by the profile (derivation option, AC session key, padding, ARPC key and method,
 * SM keys, MAC layout, encipherment, PIN block) and each intermediate must equal the captured
 * input or output of the matching published step. Transaction inputs (IMKs, PAN, ATC, UN, tag
 * values, PIN) are the published tests' inputs; every compared value comes from the vector files.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../src/bytes/index.ts';
import {
  CVN_PROFILES,
  assembleAcData,
  atcDiversifier,
  deriveCommonSessionKey,
  deriveIccMasterKeyOptionA,
  deriveIccMasterKeyOptionB,
  deriveVisaSmSessionKey,
  encodePinBlock,
  encodeVisPinBlock,
  encryptScriptData,
  generateAc,
  generateArpcMethod1,
  generateArpcMethod2,
  generateScriptMac,
  mastercardDiversifier,
  scriptMacInput,
  type CvnProfile,
  type CvnProfileId,
} from '../../src/emv/index.ts';
import { EMV_CHAINS as CHAINS, type EmvChain as Chain } from '../helpers/emv-chains.ts';
import { byName, loadCaptured, optStr, str, type CapturedVector } from './captured.ts';

const udk = loadCaptured('emv/udk-derivation.json');
const arqcs = loadCaptured('emv/arqc.json');
const arpcs = loadCaptured('emv/arpc.json');
const sms = loadCaptured('emv/secure-messaging.json');

const hx = (v: CapturedVector, key: string): string => str(v, key);

function masterKey(profile: CvnProfile, imk: string, chain: Chain): Uint8Array {
  const derive = profile.masterKeyDerivation === 'option-a' ? deriveIccMasterKeyOptionA : deriveIccMasterKeyOptionB;
  return derive(fromHex(imk), chain.pan, chain.psn);
}

function acSessionKey(profile: CvnProfile, mkAc: Uint8Array, atc: Uint8Array, un: Uint8Array): Uint8Array {
  switch (profile.acSessionKey) {
    case 'none':
      return mkAc;
    case 'common-atc':
      return deriveCommonSessionKey(mkAc, atcDiversifier(atc, 8));
    case 'mastercard-skd':
      return deriveCommonSessionKey(mkAc, mastercardDiversifier(atc, un));
  }
}

function smKey(profile: CvnProfile, mk: Uint8Array, atc: Uint8Array, arqc: Uint8Array): Uint8Array {
  return profile.smSessionKey === 'visa' ? deriveVisaSmSessionKey(mk, atc) : deriveCommonSessionKey(mk, arqc);
}

describe('CVN_PROFILES against the captured pyemv CVN tests', () => {
  for (const chain of CHAINS) {
    it(`${chain.profile}: ${chain.test}${chain.note === undefined ? '' : ` (${chain.note})`}`, () => {
      const profile: CvnProfile = CVN_PROFILES[chain.profile];
      const [atc, un] = [fromHex(chain.atc), fromHex(chain.un)];
      const mk = { ac: masterKey(profile, chain.imk.ac, chain), smi: masterKey(profile, chain.imk.smi, chain), smc: masterKey(profile, chain.imk.smc, chain) };
      if (chain.steps.udk !== undefined) {
        assert.deepEqual([toHex(mk.ac), toHex(mk.smi), toHex(mk.smc)], chain.steps.udk.map((n) => byName(udk, n).expected));
      }

      // Cryptogram: data elements in profile order, the profile's session key and padding.
      const arqcV = byName(arqcs, chain.steps.arqc);
      const values = Object.fromEntries(Object.entries(chain.acElements).map(([k, v]) => [k, fromHex(v)]));
      const data = assembleAcData(profile, values);
      assert.equal(toHex(data), hx(arqcV, 'data'));
      const skAc = acSessionKey(profile, mk.ac, atc, un);
      assert.equal(toHex(skAc), hx(arqcV, 'sk_ac'));
      const arqc = generateAc(skAc, data, { cipher: 'tdes', padding: profile.acPadding });
      assert.equal(toHex(arqc), arqcV.expected);

      // ARPC: the profile's method and key.
      const arpcV = byName(arpcs, chain.steps.arpc);
      const arpcKey = profile.arpc.key === 'icc-master-key' ? mk.ac : skAc;
      assert.equal(toHex(arpcKey), hx(arpcV, 'sk_ac'));
      assert.equal(arpcV.function, `pyemv.ac.generate_arpc_${profile.arpc.method}`);
      const arpc =
        profile.arpc.method === 1
          ? generateArpcMethod1(arpcKey, arqc, fromHex(hx(arpcV, 'arpc_rc')))
          : generateArpcMethod2(arpcKey, arqc, fromHex(hx(arpcV, 'csu')), fromHex(optStr(arpcV, 'prop_auth_data') ?? ''));
      assert.equal(toHex(arpc), arpcV.expected);

      // Secure messaging: session keys, MAC layout (with or without ATC ‖ ARQC), encipherment.
      const skSmi = smKey(profile, mk.smi, atc, arqc);
      const skSmc = smKey(profile, mk.smc, atc, arqc);
      const transactionData = profile.scriptMacTransactionData ? { atc, arqc } : null;
      const unblockV = byName(sms, chain.steps.unblockMac);
      assert.equal(toHex(skSmi), hx(unblockV, 'sk_smi'));
      const unblockInput = scriptMacInput({ header: fromHex(hx(unblockV, 'command').slice(0, 8)), data: new Uint8Array(0), macLength: 8, transactionData });
      assert.equal(toHex(unblockInput), hx(unblockV, 'command'));
      assert.equal(toHex(generateScriptMac(skSmi, unblockInput, { length: 8 })), unblockV.expected);

      const encV = byName(sms, chain.steps.pinEncrypt);
      const pinBlock = profile.pinChange.newPin === 'vis' ? encodeVisPinBlock(mk.ac, chain.pin, null) : encodePinBlock(chain.pin, { format: 2 });
      assert.equal(toHex(pinBlock), hx(encV, 'command_data'));
      assert.equal(toHex(skSmc), hx(encV, 'sk_smc'));
      const enciphered = encryptScriptData(skSmc, pinBlock, { scheme: profile.scriptEncipherment });
      assert.equal(toHex(enciphered), encV.expected);

      const pinMacV = byName(sms, chain.steps.pinMac);
      const pinInput = scriptMacInput({ header: fromHex(hx(pinMacV, 'command').slice(0, 8)), data: enciphered, macLength: 8, transactionData });
      assert.equal(toHex(pinInput), hx(pinMacV, 'command'));
      assert.equal(toHex(generateScriptMac(skSmi, pinInput, { length: 8 })), pinMacV.expected);

      const current = chain.withCurrentPin;
      if (current === undefined) return;
      assert.equal(profile.pinChange.withCurrentPin, 'vis');
      const cEncV = byName(sms, current.pinEncrypt);
      const cBlock = encodeVisPinBlock(mk.ac, chain.pin, current.currentPin);
      assert.equal(toHex(cBlock), hx(cEncV, 'command_data'));
      assert.equal(toHex(skSmc), hx(cEncV, 'sk_smc'));
      const cEnciphered = encryptScriptData(skSmc, cBlock, { scheme: profile.scriptEncipherment });
      assert.equal(toHex(cEnciphered), cEncV.expected);
      const cMacV = byName(sms, current.pinMac);
      const cInput = scriptMacInput({ header: fromHex(hx(cMacV, 'command').slice(0, 8)), data: cEnciphered, macLength: 8, transactionData });
      assert.equal(toHex(cInput), hx(cMacV, 'command'));
      assert.equal(toHex(generateScriptMac(skSmi, cInput, { length: 8 })), cMacV.expected);
    });
  }

  it('every profile is exercised by at least one chain', () => {
    const covered = new Set(CHAINS.map((c) => c.profile));
    assert.deepEqual(Object.keys(CVN_PROFILES).filter((id) => !covered.has(id as CvnProfileId)), []);
    const withCurrent = new Set(CHAINS.filter((c) => c.withCurrentPin !== undefined).map((c) => c.profile));
    const unchecked = Object.entries(CVN_PROFILES).filter(([id, p]) => p.pinChange.withCurrentPin !== null && !withCurrent.has(id as CvnProfileId));
    assert.deepEqual(unchecked.map(([id]) => id), [], 'a current-PIN variant no chain checks');
  });
});
