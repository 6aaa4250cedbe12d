/**
 * The published pyemv 1.5.0 CVN tests as chains of captured vectors (test/vectors/emv/*.json), as
 * test/emv/cvn-profiles.test.ts reads them: issuer master keys and transaction inputs from the
 * published tests, and for each step the name of the captured vector whose expected value the HSM
 * must reproduce through its interface.
 */
import type { CvnProfileId } from '../../../src/emv/index.ts';

export interface EmvChain {
  readonly test: string;
  readonly profile: CvnProfileId;
  readonly imk: { readonly ac: string; readonly smi: string; readonly smc: string };
  readonly pan: string;
  readonly psn: string;
  readonly atc: string;
  readonly un: string;
  readonly acElements: Readonly<Record<string, string>>;
  readonly pin: string;
  readonly steps: { readonly arqc: string; readonly arpc: string; readonly unblockMac: string; readonly pinEncrypt: string; readonly pinMac: string };
  readonly withCurrentPin?: { readonly pinEncrypt: string; readonly pinMac: string };
}

const TERMINAL_VISA = { '9F02': '000000004000', '9F03': '000000000000', '9F1A': '0124', '95': '8000048000', '5F2A': '0124', '9A': '191105', '9C': '01', '9F37': '52BF4585', '82': '1800', '9F36': '001C' };
const TERMINAL_MC = { '9F02': '000000009999', '9F03': '000000000000', '9F1A': '0124', '95': '8000000000', '5F2A': '0124', '9A': '209906', '9C': '00', '9F37': 'ABCDEF12', '82': '1800', '9F36': '001C' };
const IMK = { ac: '0123456789ABCDEFFEDCBA9876543210', smi: 'FEDCBA98765432100123456789ABCDEF', smc: '89ABCDEF0123456776543210FEDCBA98' };
const CARD = { imk: IMK, pan: '1234567890123456', psn: '00', atc: '001C', pin: '9999' };

function mc(cvn: 16 | 17 | 20 | 21, counters: boolean, [arqcNo, arpcNo, first]: [number, number, number]): EmvChain {
  const t = `test_mastercard_cvn${cvn}`;
  return {
    test: t,
    profile: `mastercard-${cvn}`,
    ...CARD,
    un: 'ABCDEF12',
    acElements: { ...TERMINAL_MC, CVR: 'A00003220000', ...(counters ? { COUNTERS: '00000000000322FF' } : {}) },
    steps: {
      arqc: `arqc/generate_ac/${t}/${arqcNo}`,
      arpc: `arpc/generate_arpc_1/${t}/${arpcNo}`,
      unblockMac: `sm/generate_command_mac/${t}/${first}`,
      pinEncrypt: `sm/encrypt_command_data/${t}/${first + 1}`,
      pinMac: `sm/generate_command_mac/${t}/${first + 2}`,
    },
  };
}

export const EMV_CHAINS: readonly EmvChain[] = [
  {
    test: 'test_visa_cvn10', profile: 'visa-10', ...CARD, un: '52BF4585', acElements: { ...TERMINAL_VISA, CVR: '03A06010' },
    steps: {
      arqc: 'arqc/generate_ac/test_visa_cvn10/5', arpc: 'arpc/generate_arpc_1/test_visa_cvn10/6',
      unblockMac: 'sm/generate_command_mac/test_visa_cvn10/1', pinEncrypt: 'sm/encrypt_command_data/test_visa_cvn10/3', pinMac: 'sm/generate_command_mac/test_visa_cvn10/4',
    },
    withCurrentPin: { pinEncrypt: 'sm/encrypt_command_data/test_visa_cvn10/6', pinMac: 'sm/generate_command_mac/test_visa_cvn10/7' },
  },
  {
    test: 'test_visa_cvn18', profile: 'visa-18', ...CARD, un: '52BF4585', acElements: { ...TERMINAL_VISA, '9F10': '06011203A0B800' },
    steps: {
      arqc: 'arqc/generate_ac/test_visa_cvn18/6', arpc: 'arpc/generate_arpc_2/test_visa_cvn18/7',
      unblockMac: 'sm/generate_command_mac/test_visa_cvn18/8', pinEncrypt: 'sm/encrypt_command_data/test_visa_cvn10/3', pinMac: 'sm/generate_command_mac/test_visa_cvn18/9',
    },
    withCurrentPin: { pinEncrypt: 'sm/encrypt_command_data/test_visa_cvn10/6', pinMac: 'sm/generate_command_mac/test_visa_cvn18/10' },
  },
  {
    // AC and ARPC records are CVN 18's: the capture de-duplicated identical CVN 22 calls (test/emv/cvn-profiles.test.ts)
    test: 'test_visa_cvn22', profile: 'visa-22', ...CARD, un: '52BF4585', acElements: { ...TERMINAL_VISA, '9F10': '06011203A0B800' },
    steps: {
      arqc: 'arqc/generate_ac/test_visa_cvn18/6', arpc: 'arpc/generate_arpc_2/test_visa_cvn18/7',
      unblockMac: 'sm/generate_command_mac/test_visa_cvn22/11', pinEncrypt: 'sm/encrypt_command_data/test_visa_cvn22/13', pinMac: 'sm/generate_command_mac/test_visa_cvn22/14',
    },
    withCurrentPin: { pinEncrypt: 'sm/encrypt_command_data/test_visa_cvn22/15', pinMac: 'sm/generate_command_mac/test_visa_cvn22/16' },
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
      arqc: 'arqc/generate_ac/pyemv.cvn/21', arpc: 'arpc/generate_arpc_2/pyemv.cvn/25',
      unblockMac: 'sm/generate_command_mac/pyemv.cvn/52', pinEncrypt: 'sm/encrypt_command_data/pyemv.cvn/54', pinMac: 'sm/generate_command_mac/pyemv.cvn/55',
    },
  },
];

/** Every captured vector name a chain step uses. */
export function chainVectorNames(): ReadonlySet<string> {
  const names = new Set<string>();
  for (const c of EMV_CHAINS) {
    for (const n of Object.values(c.steps)) names.add(n);
    if (c.withCurrentPin !== undefined) for (const n of Object.values(c.withCurrentPin)) names.add(n);
  }
  return names;
}
