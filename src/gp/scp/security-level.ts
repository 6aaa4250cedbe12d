/**
 * Secure-channel security levels as data: the EXTERNAL AUTHENTICATE P1 bit map and the combinations
 * each protocol allows (GPC 2.3.1 Table E-11 for SCP02, GPC Amd D v1.1.1 Table 7-3 for SCP03).
 */
import { GpError } from '../errors.ts';
import { assertGpInt, hex2 } from './assert.ts';

/** EXTERNAL AUTHENTICATE P1 bits (GPC 2.3.1 Table E-11; GPC Amd D v1.1.1 Table 7-3). */
export const SECURITY_LEVEL = {
  /** No secure messaging expected after authentication. */
  NONE: 0x00,
  C_MAC: 0x01,
  C_DECRYPTION: 0x02,
  R_MAC: 0x10,
  R_ENCRYPTION: 0x20,
} as const;

/** A security-level byte decoded into its flags. */
export interface SecurityLevel {
  readonly level: number;
  readonly cMac: boolean;
  readonly cDecryption: boolean;
  readonly rMac: boolean;
  readonly rEncryption: boolean;
}

/**
 * The P1 values EXTERNAL AUTHENTICATE accepts, per protocol. SCP02 `10` (R-MAC alone) is in GPC
 * 2.3.1 Table E-11 but needs R-MAC support, which the implemented SCP02 options (`i` = 15, 55) lack.
 */
export const ALLOWED_SECURITY_LEVELS = {
  /** GPC 2.3.1 Table E-11 (rows marked RFU excluded). */
  scp02: [0x00, 0x01, 0x03, 0x10, 0x11, 0x13],
  /** GPC Amd D v1.1.1 Table 7-3: R-ENCRYPTION only with C-DECRYPTION and R-MAC. */
  scp03: [0x00, 0x01, 0x03, 0x11, 0x13, 0x33],
} as const;

/** What the card's `i` parameter supports on the response side. */
export interface ResponseProtection {
  readonly rMac: boolean;
  readonly rEncryption: boolean;
}

/**
 * Decodes and validates a security level for `scp`, against the response protection the `i`
 * parameter supports. Throws `ERR_GP_SECURITY_LEVEL` for a combination the spec does not list.
 * @example securityLevel('scp03', 0x33, { rMac: true, rEncryption: true }).rEncryption // true
 */
export function securityLevel(scp: keyof typeof ALLOWED_SECURITY_LEVELS, level: number, supports: ResponseProtection): SecurityLevel {
  assertGpInt(level, 0, 0xff, 'security level', 'ERR_GP_SECURITY_LEVEL');
  const allowed: readonly number[] = ALLOWED_SECURITY_LEVELS[scp];
  if (!allowed.includes(level)) {
    throw new GpError('ERR_GP_SECURITY_LEVEL', `security level ${hex2(level)} is not allowed for ${scp.toUpperCase()} (allowed: ${allowed.map(hex2).join(', ')})`);
  }
  const flags: SecurityLevel = Object.freeze({
    level,
    cMac: (level & SECURITY_LEVEL.C_MAC) !== 0,
    cDecryption: (level & SECURITY_LEVEL.C_DECRYPTION) !== 0,
    rMac: (level & SECURITY_LEVEL.R_MAC) !== 0,
    rEncryption: (level & SECURITY_LEVEL.R_ENCRYPTION) !== 0,
  });
  // GPC Amd D v1.1.1 §6.2.1 / Table 5-1: R-MAC and R-ENCRYPTION need support announced in "i"
  if ((flags.rMac && !supports.rMac) || (flags.rEncryption && !supports.rEncryption)) {
    throw new GpError('ERR_GP_SECURITY_LEVEL', `security level ${hex2(level)} needs response protection the card's "i" parameter does not support`);
  }
  return flags;
}
