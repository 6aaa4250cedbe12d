/**
 * Key check values and weak-key checks of the software HSM, as data (CONVENTIONS.md §10).
 *
 * KCVs, 3 bytes in hex (KeyHandle.kcv):
 * - T (TDES): 3DES of 8 zero bytes (ANSI X9.24-1);
 * - A (AES): AES-CMAC of 16 zero bytes (X9.24-1:2017; research/hsm-emv.md §2.2);
 * - H (HMAC): HMAC-SHA-256 of 16 zero bytes — OpenTSM's convention (X9.24 defines none) [M];
 * - R, E (asymmetric): the first 3 bytes of SHA-256 over the public key's SPKI DER.
 */
import { createHash, createHmac } from 'node:crypto';
import { equalCt, toHex } from '../../bytes/index.ts';
import { kcv, type KeyAlgorithm } from '../../crypto/index.ts';
import { HsmError } from '../errors.ts';

/**
 * Receives the KCV of each intermediate key an operation derives (ICC master key, session keys),
 * by step name, e.g. ('icc-mk-ac', '6C6B43'). For key-ceremony checks and tests: KCVs only, never a
 * key. Unset, no KCV is computed.
 */
export type KcvTrace = (step: string, kcv: string) => void;

/** KCV length in bytes, the usual printed form. */
export const KCV_BYTES = 3;

/** The KCV bytes of a symmetric key of `algorithm`. */
export function kcvBytes(algorithm: KeyAlgorithm, key: Uint8Array): Uint8Array {
  switch (algorithm) {
    case 'T':
      return kcv(key, 'tdes-zeros', KCV_BYTES);
    case 'A':
      return kcv(key, 'aes-cmac', KCV_BYTES);
    case 'H':
      return new Uint8Array(createHmac('sha256', key).update(new Uint8Array(16)).digest().subarray(0, KCV_BYTES));
    case 'D':
    case 'E':
    case 'R':
    case 'S':
      throw new HsmError('ERR_HSM_UNSUPPORTED', `no symmetric KCV for algorithm ${algorithm}`);
  }
}

/** The KCV, hex, of a symmetric key of `algorithm`. */
export function kcvOf(algorithm: KeyAlgorithm, key: Uint8Array): string {
  return toHex(kcvBytes(algorithm, key));
}

/** SHA-256 of a public key's SPKI DER, hex: the asymmetric key's identity, bound in its record. */
export function publicKeyHash(spki: Uint8Array): string {
  return createHash('sha256').update(spki).digest('hex').toUpperCase();
}

/** The KCV of an asymmetric key: the first 3 bytes of its public key hash. */
export function publicKeyKcv(spki: Uint8Array): string {
  return publicKeyHash(spki).slice(0, 2 * KCV_BYTES);
}

/**
 * Checks a KCV read out by a custodian (hex, 2 to 8 bytes) against the computed one, in constant
 * time over the stated length. ERR_HSM_KCV with `what` named, never the values.
 */
export function checkKcv(algorithm: KeyAlgorithm, key: Uint8Array, stated: unknown, what: string): void {
  const ok = typeof stated === 'string' && /^([0-9A-Fa-f]{2}){2,8}$/.test(stated);
  const method = algorithm === 'T' ? 'tdes-zeros' : algorithm === 'A' ? 'aes-cmac' : undefined;
  if (method === undefined) throw new HsmError('ERR_HSM_UNSUPPORTED', `${what}: components of algorithm ${algorithm} keys are not supported`);
  const expected = ok ? stated.toUpperCase() : '';
  const computed = toHex(kcv(key, method, ok ? expected.length / 2 : KCV_BYTES));
  const same = equalCt(new TextEncoder().encode(computed), new TextEncoder().encode(expected));
  if (!ok || !same) throw new HsmError('ERR_HSM_KCV', `${what}: the key check value does not match`);
}

/**
 * DES weak and semi-weak keys (FIPS 74 §3.6; with odd parity), on any 8-byte part of a TDES key:
 * such a part makes encryption an involution or pairs it with another key.
 */
const DES_WEAK = new Set([
  '0101010101010101', 'FEFEFEFEFEFEFEFE', 'E0E0E0E0F1F1F1F1', '1F1F1F1F0E0E0E0E',
  '011F011F010E010E', '1F011F010E010E01', '01E001E001F101F1', 'E001E001F101F101',
  '01FE01FE01FE01FE', 'FE01FE01FE01FE01', '1FE01FE00EF10EF1', 'E01FE01FF10EF10E',
  '1FFE1FFE0EFE0EFE', 'FE1FFE1FFE0EFE0E', 'E0FEE0FEF1FEF1FE', 'FEE0FEE0FEF1FEF1',
]);

/** DES ignores the low bit of each byte: the key part with odd parity, for comparisons. */
function oddParityHex(part: Uint8Array): string {
  return toHex(part.map((b) => {
    let ones = 0;
    for (let v = b & 0xfe; v !== 0; v >>= 1) ones += v & 1;
    return ones % 2 === 0 ? (b & 0xfe) | 1 : b & 0xfe;
  }));
}

/**
 * Refuses a weak key (ERR_HSM_WEAK_KEY): all zeros (any algorithm), and for TDES a weak or
 * semi-weak DES part, or equal parts (K1 = K2, or K2 = K3, so 3DES collapses to single DES).
 */
export function assertNotWeak(algorithm: KeyAlgorithm, key: Uint8Array, what: string): void {
  if (key.every((b) => b === 0)) throw new HsmError('ERR_HSM_WEAK_KEY', `${what} is all zeros`);
  if (algorithm !== 'T') return;
  const parts: string[] = [];
  for (let i = 0; i < key.length; i += 8) parts.push(oddParityHex(key.subarray(i, i + 8)));
  if (parts.some((p) => DES_WEAK.has(p))) throw new HsmError('ERR_HSM_WEAK_KEY', `${what} has a weak or semi-weak DES part`);
  if (parts[0] === parts[1] || (parts.length === 3 && parts[1] === parts[2])) {
    throw new HsmError('ERR_HSM_WEAK_KEY', `${what} repeats a DES part (single-DES strength)`);
  }
}
