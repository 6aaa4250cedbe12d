/**
 * SCP03 implementation options: the "i" parameter bit map of GPC Amd D v1.1.1 Table 5-1, with the
 * S16 bit (b1) of Amd D v1.2 Table 5-1, as data.
 */
import { GpError } from '../errors.ts';
import { assertGpInt, hex2 } from './assert.ts';

/** GPC Amd D v1.1.1 Table 5-1 (b5–b7) and Amd D v1.2 Table 5-1 (b1). */
export const SCP03_I_BITS = {
  /** b1 (Amd D v1.2): S16 mode, 16-byte challenges, cryptograms and MACs (else S8). */
  S16: 0x01,
  /** b5: pseudo-random card challenge (Amd D v1.1.1 §6.2.2.1), else random. */
  PSEUDO_RANDOM_CHALLENGE: 0x10,
  /** b6: R-MAC support. */
  R_MAC: 0x20,
  /** b7: R-ENCRYPTION support (only together with R-MAC). */
  R_ENCRYPTION: 0x40,
} as const;

const KNOWN_BITS = 0x71;

/** The S8 "i" values Table 5-1 allows (each may add S16, b1). */
export const SCP03_I_VALUES = [0x00, 0x10, 0x20, 0x30, 0x60, 0x70] as const;

/** SCP03 "i" decoded, with the lengths it implies. */
export interface Scp03Options {
  readonly i: number;
  readonly s16: boolean;
  readonly pseudoRandomChallenge: boolean;
  readonly rMac: boolean;
  readonly rEncryption: boolean;
  /** Challenge and cryptogram length: 8 (S8) or 16 (S16) (Amd D v1.2 §6.2.2). */
  readonly challengeLength: 8 | 16;
  /** C-MAC / R-MAC length: 8 (S8) or 16 (S16) (Amd D v1.2 §6.2.4). */
  readonly macLength: 8 | 16;
}

/**
 * Decodes SCP03 "i"; RFU bits and R-ENCRYPTION without R-MAC give `ERR_GP_UNSUPPORTED`.
 * @example scp03Options(0x70).rEncryption // true
 */
export function scp03Options(i: number): Scp03Options {
  assertGpInt(i, 0, 0x7f, 'SCP03 "i" parameter');
  const has = (bit: number): boolean => (i & bit) !== 0;
  // Amd D v1.1.1 Table 5-1: b2–b4 RFU; b7b6 = 10 is not a listed combination
  if ((i & ~KNOWN_BITS) !== 0 || (has(SCP03_I_BITS.R_ENCRYPTION) && !has(SCP03_I_BITS.R_MAC))) {
    throw new GpError('ERR_GP_UNSUPPORTED', `SCP03 "i" = ${hex2(i)} is not a value of Amd D Table 5-1`);
  }
  const s16 = has(SCP03_I_BITS.S16);
  return Object.freeze({
    i,
    s16,
    pseudoRandomChallenge: has(SCP03_I_BITS.PSEUDO_RANDOM_CHALLENGE),
    rMac: has(SCP03_I_BITS.R_MAC),
    rEncryption: has(SCP03_I_BITS.R_ENCRYPTION),
    challengeLength: s16 ? 16 : 8,
    macLength: s16 ? 16 : 8,
  });
}
