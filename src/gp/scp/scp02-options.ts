/**
 * SCP02 implementation options: the "i" parameter bit map of GPC 2.3.1 Table E-1, as data.
 *
 * LEGACY: SCP02 is deprecated (GPC 2.3.1 Appendix E) and built on single DES; it exists for the
 * UICCs in the field. Only explicit initiation with C-MAC on the modified APDU, ICV encryption and
 * three keys is implemented: `i` = 15 and 55, the options UICCs use.
 */
import { GpError } from '../errors.ts';
import { assertGpInt, hex2 } from './assert.ts';

/** GPC 2.3.1 Table E-1: the meaning of each bit of SCP02 "i". */
export const SCP02_I_BITS = {
  /** b1: 3 Secure Channel keys (else one base key). */
  THREE_KEYS: 0x01,
  /** b2: C-MAC on the unmodified APDU (else on the modified APDU). */
  CMAC_ON_UNMODIFIED_APDU: 0x02,
  /** b3: explicit initiation with INITIALIZE UPDATE / EXTERNAL AUTHENTICATE (else implicit). */
  EXPLICIT_INITIATION: 0x04,
  /** b4: ICV set to a MAC over the AID (else zero). */
  ICV_MAC_OVER_AID: 0x08,
  /** b5: ICV encryption for the C-MAC session. */
  ICV_ENCRYPTION: 0x10,
  /** b6: R-MAC support. */
  R_MAC: 0x20,
  /** b7: well-known pseudo-random card challenge algorithm (GPC 2.3.1 §E.4.2.3). */
  PSEUDO_RANDOM_CHALLENGE: 0x40,
} as const;

/** SCP02 "i" decoded. */
export interface Scp02Options {
  readonly i: number;
  readonly threeKeys: boolean;
  readonly cMacOnUnmodifiedApdu: boolean;
  readonly explicitInitiation: boolean;
  readonly icvMacOverAid: boolean;
  readonly icvEncryption: boolean;
  readonly rMac: boolean;
  readonly pseudoRandomChallenge: boolean;
}

/**
 * The "i" values implemented here (GPC 2.3.1 §E.1.1 lists 15, 1A and 55 as the options a Security
 * Domain supports at least one of): 15 (random card challenge) and 55 (pseudo-random challenge).
 */
export const SCP02_SUPPORTED_I = [0x15, 0x55] as const;

/**
 * Decodes SCP02 "i" and refuses the options this library does not offer (implicit initiation, C-MAC on the
 * unmodified APDU, ICV over the AID, R-MAC) with `ERR_GP_UNSUPPORTED`.
 * @example scp02Options(0x55).pseudoRandomChallenge // true
 */
export function scp02Options(i: number): Scp02Options {
  assertGpInt(i, 0, 0x7f, 'SCP02 "i" parameter');
  if (!(SCP02_SUPPORTED_I as readonly number[]).includes(i)) {
    throw new GpError('ERR_GP_UNSUPPORTED', `SCP02 "i" = ${hex2(i)} is not supported (supported: ${SCP02_SUPPORTED_I.map(hex2).join(', ')})`);
  }
  const has = (bit: number): boolean => (i & bit) !== 0;
  return Object.freeze({
    i,
    threeKeys: has(SCP02_I_BITS.THREE_KEYS),
    cMacOnUnmodifiedApdu: has(SCP02_I_BITS.CMAC_ON_UNMODIFIED_APDU),
    explicitInitiation: has(SCP02_I_BITS.EXPLICIT_INITIATION),
    icvMacOverAid: has(SCP02_I_BITS.ICV_MAC_OVER_AID),
    icvEncryption: has(SCP02_I_BITS.ICV_ENCRYPTION),
    rMac: has(SCP02_I_BITS.R_MAC),
    pseudoRandomChallenge: has(SCP02_I_BITS.PSEUDO_RANDOM_CHALLENGE),
  });
}
