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
import { byName, loadCaptured, optStr, str, type CapturedVector } from './captured.ts';

const udk = loadCaptured('emv/udk-derivation.json');
const arqcs = loadCaptured('emv/arqc.json');
const arpcs = loadCaptured('emv/arpc.json');
const sms = loadCaptured('emv/secure-messaging.json');

/** One published CVN test: its inputs and the names of its captured steps. */
interface Chain {
  test: string;
  profile: CvnProfileId;
  imk: { ac: string; smi: string; smc: string };
  pan: string;
  psn: string;
  atc: string;
  un: string;
  /** The tag values of the published test (the CVR/IAD entries are the profile's last elements). */
  acElements: Record<string, string>;
  pin: string;
  /** Captured step names; `udk` only where the capture kept them under this test (else de-duplicated). */
  steps: { udk?: [string, string, string]; arqc: string; arpc: string; unblockMac: string; pinEncrypt: string; pinMac: string };
  /** The PIN change with the current PIN (P2 = 01), where the published test has one. */
  withCurrentPin?: { currentPin: string; pinEncrypt: string; pinMac: string };
  note?: string;
}

const TERMINAL_VISA = { '9F02': '000000004000', '9F03': '000000000000', '9F1A': '0124', '95': '8000048000', '5F2A': '0124', '9A': '191105', '9C': '01', '9F37': '52BF4585', '82': '1800', '9F36': '001C' };
const TERMINAL_MC = { '9F02': '000000009999', '9F03': '000000000000', '9F1A': '0124', '95': '8000000000', '5F2A': '0124', '9A': '209906', '9C': '00', '9F37': 'ABCDEF12', '82': '1800', '9F36': '001C' };
const IMK = { ac: '0123456789ABCDEFFEDCBA9876543210', smi: 'FEDCBA98765432100123456789ABCDEF', smc: '89ABCDEF0123456776543210FEDCBA98' };
const CARD = { imk: IMK, pan: '1234567890123456', psn: '00', atc: '001C', pin: '9999' };
const mc = (cvn: number, counters: boolean, [arqcNo, arpcNo, first]: [number, number, number]): Chain => ({
  test: `test_mastercard_cvn${cvn}`,
  profile: `mastercard-${cvn}` as CvnProfileId,
  ...CARD,
  un: 'ABCDEF12',
  acElements: { ...TERMINAL_MC, CVR: 'A00003220000', ...(counters ? { COUNTERS: '00000000000322FF' } : {}) },
  steps: {
    arqc: `arqc/generate_ac/test_mastercard_cvn${cvn}/${arqcNo}`,
    arpc: `arpc/generate_arpc_1/test_mastercard_cvn${cvn}/${arpcNo}`,
    unblockMac: `sm/generate_command_mac/test_mastercard_cvn${cvn}/${first}`,
    pinEncrypt: `sm/encrypt_command_data/test_mastercard_cvn${cvn}/${first + 1}`,
    pinMac: `sm/generate_command_mac/test_mastercard_cvn${cvn}/${first + 2}`,
  },
});

const CHAINS: Chain[] = [
  {
    test: 'test_visa_cvn10', profile: 'visa-10', ...CARD, un: '52BF4585', acElements: { ...TERMINAL_VISA, CVR: '03A06010' },
    steps: {
      udk: ['udk/derive_icc_mk_a/test_visa_cvn10/2', 'udk/derive_icc_mk_a/test_visa_cvn10/3', 'udk/derive_icc_mk_a/test_visa_cvn10/4'],
      arqc: 'arqc/generate_ac/test_visa_cvn10/5', arpc: 'arpc/generate_arpc_1/test_visa_cvn10/6',
      unblockMac: 'sm/generate_command_mac/test_visa_cvn10/1', pinEncrypt: 'sm/encrypt_command_data/test_visa_cvn10/3', pinMac: 'sm/generate_command_mac/test_visa_cvn10/4',
    },
    withCurrentPin: { currentPin: '8888', pinEncrypt: 'sm/encrypt_command_data/test_visa_cvn10/6', pinMac: 'sm/generate_command_mac/test_visa_cvn10/7' },
  },
  {
    test: 'test_visa_cvn18', profile: 'visa-18', ...CARD, un: '52BF4585', acElements: { ...TERMINAL_VISA, '9F10': '06011203A0B800' },
    steps: {
      udk: ['udk/derive_icc_mk_b/test_visa_cvn18/5', 'udk/derive_icc_mk_b/test_visa_cvn18/6', 'udk/derive_icc_mk_b/test_visa_cvn18/7'],
      arqc: 'arqc/generate_ac/test_visa_cvn18/6', arpc: 'arpc/generate_arpc_2/test_visa_cvn18/7',
      // The enciphered VIS block is the same as CVN 10's (same keys): the capture kept it there.
      unblockMac: 'sm/generate_command_mac/test_visa_cvn18/8', pinEncrypt: 'sm/encrypt_command_data/test_visa_cvn10/3', pinMac: 'sm/generate_command_mac/test_visa_cvn18/9',
    },
    withCurrentPin: { currentPin: '8888', pinEncrypt: 'sm/encrypt_command_data/test_visa_cvn10/6', pinMac: 'sm/generate_command_mac/test_visa_cvn18/10' },
  },
  {
    test: 'test_visa_cvn22', profile: 'visa-22', ...CARD, un: '52BF4585', acElements: { ...TERMINAL_VISA, '9F10': '06011203A0B800' },
    note: 'AC and ARPC steps are CVN 18 records: the capture de-duplicated identical CVN 22 calls',
    steps: {
      arqc: 'arqc/generate_ac/test_visa_cvn18/6', arpc: 'arpc/generate_arpc_2/test_visa_cvn18/7',
      unblockMac: 'sm/generate_command_mac/test_visa_cvn22/11', pinEncrypt: 'sm/encrypt_command_data/test_visa_cvn22/13', pinMac: 'sm/generate_command_mac/test_visa_cvn22/14',
    },
    withCurrentPin: { currentPin: '8888', pinEncrypt: 'sm/encrypt_command_data/test_visa_cvn22/15', pinMac: 'sm/generate_command_mac/test_visa_cvn22/16' },
  },
  mc(16, false, [8, 9, 20]),
  mc(17, true, [9, 10, 23]),
  mc(20, false, [10, 11, 26]),
  mc(21, true, [11, 12, 29]),
  {
    test: 'test_interac_cvn133', profile: 'interac-133', ...CARD, un: 'ABCDEF12',
    acElements: { ...TERMINAL_MC, '9F10': '1501850440B100000000B00000000000000000000000' },
    steps: {
      arqc: 'arqc/generate_ac/test_interac_cvn133/7', arpc: 'arpc/generate_arpc_1/test_interac_cvn133/8',
      unblockMac: 'sm/generate_command_mac/test_interac_cvn133/17', pinEncrypt: 'sm/encrypt_command_data/test_interac_cvn133/18', pinMac: 'sm/generate_command_mac/test_interac_cvn133/19',
    },
  },
  {
    test: 'pyemv.cvn doctest (CVN 18)', profile: 'visa-18',
    imk: { ac: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', smi: 'BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB', smc: 'CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC' },
    pan: '1234567890123456', psn: '00', atc: '0FFF', un: '52BF4585', pin: '9999',
    acElements: { '9F02': '000000009999', '9F03': '000000000000', '9F1A': '0840', '95': '8000048000', '5F2A': '0840', '9A': '991231', '9C': '01', '9F37': '52BF4585', '82': '1800', '9F36': '0FFF', '9F10': '06011203A0B800' },
    steps: {
      udk: ['udk/derive_icc_mk_b/pyemv.cvn/24', 'udk/derive_icc_mk_b/pyemv.cvn/26', 'udk/derive_icc_mk_b/pyemv.cvn/28'],
      arqc: 'arqc/generate_ac/pyemv.cvn/21', arpc: 'arpc/generate_arpc_2/pyemv.cvn/25',
      unblockMac: 'sm/generate_command_mac/pyemv.cvn/52', pinEncrypt: 'sm/encrypt_command_data/pyemv.cvn/54', pinMac: 'sm/generate_command_mac/pyemv.cvn/55',
    },
  },
];

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
