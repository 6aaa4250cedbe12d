/**
 * ANSI X9.143 key block header codes as data (CONVENTIONS.md §10). Names follow X9.143:2021 §6.2
 * table 1 and §6.3 tables 2–6 (as transcribed in openemv/tr31 src/tr31.h); only these codes are
 * accepted, so proprietary numeric codes are refused.
 */

/** Key usage, header bytes 5–6 (X9.143:2021 §6.3.1, table 2). */
export const KEY_USAGES = {
  B0: 'Base derivation key (BDK)',
  B1: 'Initial DUKPT key (IK/IPEK)',
  B2: 'Base key variant key (deprecated)',
  B3: 'Key derivation key (non-X9.24)',
  C0: 'Card verification key (CVK)',
  D0: 'Symmetric key for data encryption',
  D1: 'Asymmetric key for data encryption',
  D2: 'Data encryption key for decimalization table',
  D3: 'Data encryption key for sensitive data',
  E0: 'EMV/chip issuer master key: application cryptograms (MK-AC)',
  E1: 'EMV/chip issuer master key: secure messaging for confidentiality (MK-SMC)',
  E2: 'EMV/chip issuer master key: secure messaging for integrity (MK-SMI)',
  E3: 'EMV/chip issuer master key: data authentication code (MK-DAC)',
  E4: 'EMV/chip issuer master key: dynamic numbers (MK-DN)',
  E5: 'EMV/chip issuer master key: card personalization',
  E6: 'EMV/chip issuer master key: other',
  E7: 'EMV/chip asymmetric key pair for PIN encryption',
  I0: 'Initialization vector (IV)',
  K0: 'Key encryption or wrapping key (KEK)',
  K1: 'TR-31 key block protection key (KBPK)',
  K2: 'TR-34 asymmetric key pair',
  K3: 'Asymmetric key pair for key wrapping or key agreement',
  K4: 'ISO 20038 key block protection key',
  M0: 'ISO 16609 MAC algorithm 1 (TDEA)',
  M1: 'ISO 9797-1 MAC algorithm 1 (CBC-MAC)',
  M2: 'ISO 9797-1 MAC algorithm 2',
  M3: 'ISO 9797-1 MAC algorithm 3 (retail MAC)',
  M4: 'ISO 9797-1 MAC algorithm 4',
  M5: 'ISO 9797-1:1999 MAC algorithm 5 (legacy)',
  M6: 'ISO 9797-1:2011 MAC algorithm 5 (CMAC)',
  M7: 'HMAC key',
  M8: 'ISO 9797-1:2011 MAC algorithm 6',
  P0: 'PIN encryption key',
  P1: 'PIN generation key',
  S0: 'Asymmetric key pair for digital signature',
  S1: 'Asymmetric key pair for CA use',
  S2: 'Asymmetric key pair for non-X9.24 use',
  V0: 'PIN verification key, other algorithm',
  V1: 'PIN verification key, IBM 3624',
  V2: 'PIN verification key, Visa PVV',
  V3: 'PIN verification key, ANSI X9.132 algorithm 1',
  V4: 'PIN verification key, ANSI X9.132 algorithm 2',
  V5: 'PIN verification key, ANSI X9.132 algorithm 3',
} as const;
export type KeyUsage = keyof typeof KEY_USAGES;

/** Algorithm of the wrapped key, header byte 7 (X9.143:2021 §6.3.2, table 3). */
export const KEY_ALGORITHMS = {
  A: 'AES',
  D: 'DES (legacy)',
  E: 'Elliptic curve',
  H: 'HMAC',
  R: 'RSA',
  S: 'DSA',
  T: 'Triple DES (TDEA)',
} as const;
export type KeyAlgorithm = keyof typeof KEY_ALGORITHMS;

/** Mode of use, header byte 8 (X9.143:2021 §6.3.3, table 4). */
export const MODES_OF_USE = {
  B: 'Encrypt/wrap and decrypt/unwrap',
  C: 'MAC generate and verify',
  D: 'Decrypt/unwrap only',
  E: 'Encrypt/wrap only',
  G: 'MAC generate only',
  N: 'No special restrictions (other than those implied by the key usage)',
  S: 'Signature only',
  T: 'Sign and decrypt',
  V: 'MAC verify only',
  X: 'Derive other keys',
  Y: 'Create key variants',
} as const;
export type ModeOfUse = keyof typeof MODES_OF_USE;

/** Exportability, header byte 11 (X9.143:2021 §6.3.5, table 6). */
export const EXPORTABILITY = {
  E: 'Exportable under a trusted key (in accordance with X9.24)',
  N: 'Not exportable',
  S: 'Sensitive: exportable in forms not in accordance with X9.24',
} as const;
export type Exportability = keyof typeof EXPORTABILITY;

/**
 * Key context, header byte 14 (X9.143:2021 §6.2, table 1; TR-31:2018 had bytes 14–15 reserved as
 * "00", which reads as context 0). Byte 15 stays reserved and must be "0".
 */
export const KEY_CONTEXTS = {
  '0': 'Determined by the wrapping key',
  '1': 'Storage context only',
  '2': 'Key exchange context only',
} as const;
export type KeyContext = keyof typeof KEY_CONTEXTS;

/** True when `value` is one of the codes of `table` (own keys only, so no prototype names). */
export function isCode<T extends object>(table: T, value: unknown): value is keyof T & string {
  return typeof value === 'string' && Object.hasOwn(table, value);
}
