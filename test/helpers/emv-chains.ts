/**
 * The published pyemv 1.5.0 CVN tests (tests/test_cvn_hsm.py and the pyemv/cvn.py doctest) as chains
 * of captured vectors (test/vectors/emv/*.json): issuer master keys and transaction inputs from the
 * published tests, and for each step the name of the captured vector whose expected value must be
 * reproduced — by the emv/ functions (test/emv/cvn-profiles.test.ts), through every HSM backend
 * (test/hsm/conformance/emv-vectors.ts) and by `npm run bench:hsm` before it times anything.
 */
import type { CvnProfileId } from '../../src/emv/index.ts';

/** One published CVN test: its inputs and the names of its captured steps. */
export interface EmvChain {
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
const mc = (cvn: number, counters: boolean, [arqcNo, arpcNo, first]: [number, number, number]): EmvChain => ({
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

export const EMV_CHAINS: readonly EmvChain[] = [
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

/** Every captured vector name a chain step uses. */
export function chainVectorNames(): ReadonlySet<string> {
  const names = new Set<string>();
  for (const c of EMV_CHAINS) {
    for (const n of Object.values(c.steps)) for (const name of [n].flat()) names.add(name);
    if (c.withCurrentPin !== undefined) names.add(c.withCurrentPin.pinEncrypt).add(c.withCurrentPin.pinMac);
  }
  return names;
}
