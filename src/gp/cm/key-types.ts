/**
 * Key type, key usage and key access codings (GPC 2.3.1 §11.1.8–11.1.10, Tables 11-16..11-19) as
 * data tables, shared by PUT KEY, the Key Information Template and DELETE [key].
 */

/** Key types (Table 11-16). 'FF' announces the extended two-byte format. */
export const KEY_TYPES = {
  DES: 0x80,
  TLS_PSK: 0x85,
  AES: 0x88,
  HMAC_SHA1: 0x90,
  HMAC_SHA1_160: 0x91,
  RSA_PUBLIC_E: 0xa0,
  RSA_PUBLIC_N: 0xa1,
  RSA_PRIVATE_N: 0xa2,
  RSA_PRIVATE_D: 0xa3,
  RSA_CRT_P: 0xa4,
  RSA_CRT_Q: 0xa5,
  RSA_CRT_PQ: 0xa6,
  RSA_CRT_DP1: 0xa7,
  RSA_CRT_DQ1: 0xa8,
  ECC_PUBLIC: 0xb0,
  ECC_PRIVATE: 0xb1,
  ECC_FIELD_P: 0xb2,
  ECC_FIELD_A: 0xb3,
  ECC_FIELD_B: 0xb4,
  ECC_FIELD_G: 0xb5,
  ECC_FIELD_N: 0xb6,
  ECC_FIELD_K: 0xb7,
  ECC_PARAMETER_REFERENCE: 0xf0,
  EXTENDED: 0xff,
} as const;

/** A key type name (Table 11-16). */
export type KeyTypeName = keyof typeof KEY_TYPES;

/** The name of a key type byte, or undefined for reserved / RFU values (Table 11-16). */
export function keyTypeName(value: number): KeyTypeName | undefined {
  return (Object.keys(KEY_TYPES) as KeyTypeName[]).find((k) => KEY_TYPES[k] === value);
}

/**
 * Key components that are never encrypted in PUT KEY: public values and curve parameters
 * (GPC 2.3.1 §11.8.2.3.2, Tables 11-72..11-77). Every other component is a secret or private value
 * sent encrypted under the DEK.
 */
export const CLEAR_KEY_COMPONENTS: ReadonlySet<number> = new Set([
  KEY_TYPES.RSA_PUBLIC_E,
  KEY_TYPES.RSA_PUBLIC_N,
  KEY_TYPES.ECC_PUBLIC,
  KEY_TYPES.ECC_FIELD_P,
  KEY_TYPES.ECC_FIELD_A,
  KEY_TYPES.ECC_FIELD_B,
  KEY_TYPES.ECC_FIELD_G,
  KEY_TYPES.ECC_FIELD_N,
  KEY_TYPES.ECC_FIELD_K,
  KEY_TYPES.ECC_PARAMETER_REFERENCE,
]);

/** Key usage values GlobalPlatform uses (§11.1.9, after Table 11-18). */
export const KEY_USAGE = {
  C_MAC: 0x14,
  R_MAC: 0x24,
  C_MAC_R_MAC: 0x34,
  C_ENC: 0x18,
  R_ENC: 0x28,
  C_ENC_R_ENC: 0x38,
  C_DEK: 0x48,
  R_DEK: 0x88,
  C_DEK_R_DEK: 0xc8,
  PK_SD_AUT: 0x82,
  SK_SD_AUT: 0x42,
  TOKEN: 0x81,
  RECEIPT: 0x44,
  DAP: 0x84,
  PK_SD_AUT_TOKEN: 0x83,
  SK_SD_AUT_RECEIPT: 0x43,
  PK_SD_AUT_DAP: 0x86,
  PK_SD_AUT_TOKEN_DAP: 0x87,
} as const;

/** Key access (Table 11-19). */
export const KEY_ACCESS = {
  SD_AND_APPLICATIONS: 0x00,
  SD_ONLY: 0x01,
  APPLICATIONS_ONLY: 0x02,
  NOT_AVAILABLE: 0xff,
} as const;

/**
 * Conventional Key Version Number ranges (gp.md §4.9, after GPC_GUI_010 as cited by pySim). Not
 * normative; for display and sanity checks.
 */
export const KVN_RANGES = [
  { from: 0x01, to: 0x0f, use: 'SCP80' },
  { from: 0x20, to: 0x2f, use: 'SCP02' },
  { from: 0x30, to: 0x3f, use: 'SCP03' },
  { from: 0x70, to: 0x70, use: 'token' },
  { from: 0x71, to: 0x71, use: 'receipt' },
  { from: 0x73, to: 0x73, use: 'DAP' },
  { from: 0xff, to: 0xff, use: 'factory default' },
] as const;
