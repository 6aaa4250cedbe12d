/**
 * TR-31 / ANSI X9.143 key block versions and the per-algorithm key rules, as data
 * (CONVENTIONS.md §10).
 */
import { CryptoError } from '../errors.ts';

/**
 * Key block version IDs (header byte 0) and their binding method parameters.
 *
 * - `A` (TR-31:2005) and `C` (TR-31:2010): key variant binding under a TDES KBPK. LEGACY: accepted
 *   for import only, never produced (`wrap: false`).
 * - `B` (TR-31:2010): TDES key derivation binding (TDES-CMAC), 8-byte MAC.
 * - `D` (TR-31:2018): AES key derivation binding (AES-CMAC), 16-byte MAC.
 */
export const KEY_BLOCK_VERSIONS = {
  A: { binding: 'variant', cipher: 'tdes', blockSize: 8, macLength: 4, kbpkLengths: [16, 24], wrap: false },
  B: { binding: 'derivation', cipher: 'tdes', blockSize: 8, macLength: 8, kbpkLengths: [16, 24], wrap: true },
  C: { binding: 'variant', cipher: 'tdes', blockSize: 8, macLength: 4, kbpkLengths: [16, 24], wrap: false },
  D: { binding: 'derivation', cipher: 'aes', blockSize: 16, macLength: 16, kbpkLengths: [16, 24, 32], wrap: true },
} as const;
export type KeyBlockVersion = keyof typeof KEY_BLOCK_VERSIONS;
export type KeyBlockVersionParams = (typeof KEY_BLOCK_VERSIONS)[KeyBlockVersion];

/**
 * Key lengths in bytes a block may carry, by header algorithm. `unwrap` is what import accepts
 * (single-length 'T' keys appear in legacy blocks, e.g. psec's known values); `wrap` what export
 * produces (no single DES); `masked` the length the padding hides the key behind (X9.143:2021 §5
 * and §6.1 key length obfuscation: the longest key of the algorithm). Other algorithms (HMAC, RSA,
 * EC, DSA) carry any length and are not masked.
 */
export const KEY_LENGTHS = {
  T: { unwrap: [8, 16, 24], wrap: [16, 24], masked: 24 },
  D: { unwrap: [8], wrap: [], masked: 8 },
  A: { unwrap: [16, 24, 32], wrap: [16, 24, 32], masked: 32 },
} as const satisfies Record<string, { unwrap: readonly number[]; wrap: readonly number[]; masked: number }>;

/** Security strength in bits of a symmetric key (NIST SP 800-57 Part 1 Table 2: 2TDEA 80, 3TDEA 112). */
const STRENGTH: Readonly<Record<'tdes' | 'aes', Readonly<Record<number, number>>>> = {
  tdes: { 8: 56, 16: 80, 24: 112 },
  aes: { 16: 128, 24: 192, 32: 256 },
};

/** The strength of a key of `length` bytes for a cipher family; 0 if unknown. */
export function strengthBits(cipher: 'tdes' | 'aes', length: number): number {
  return STRENGTH[cipher][length] ?? 0;
}

/** The cipher family of a symmetric header algorithm code, if it has one. */
export function cipherOf(algorithm: string): 'tdes' | 'aes' | undefined {
  if (algorithm === 'T' || algorithm === 'D') return 'tdes';
  if (algorithm === 'A') return 'aes';
  return undefined;
}

/** The parameters of `version`, or a typed error for a version this code does not implement. */
export function versionParams(version: string): KeyBlockVersionParams {
  if (!Object.hasOwn(KEY_BLOCK_VERSIONS, version)) {
    throw new CryptoError('ERR_CRYPTO_KEY_BLOCK', `TR-31 key block: unsupported version ID ${JSON.stringify(version)}`);
  }
  return KEY_BLOCK_VERSIONS[version as KeyBlockVersion];
}
