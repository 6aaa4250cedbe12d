/**
 * What the issuer and ICC public key certificates share once recovered (EMV Book 2 §5.3 Table 13,
 * §6.4 Table 14): the expiry check and the assembly of the subject's modulus from the certificate's
 * leftmost digits and the remainder.
 */
import { concat } from '../../../bytes/index.ts';
import type { RsaPublicKey } from './rsa-recover.ts';

/** Book 3 Annex A, year windowing: YY < 50 is 20YY, otherwise 19YY. */
function fullYear(yy: number): number {
  return yy < 50 ? 2000 + yy : 1900 + yy;
}

function bcdByte(b: number): number | undefined {
  return b >> 4 <= 9 && (b & 0x0f) <= 9 ? (b >> 4) * 10 + (b & 0x0f) : undefined;
}

/**
 * Book 2 §5.3 step 8 / §6.4 step 9: a certificate expiring MMYY is valid through the last day of
 * that month, so it is expired when MMYY is before the transaction's month. False for a malformed date.
 */
export function notExpired(mmyy: Uint8Array, transactionDate: string): boolean {
  const month = bcdByte(mmyy[0] ?? 0xff);
  const year = bcdByte(mmyy[1] ?? 0xff);
  if (month === undefined || year === undefined || month < 1 || month > 12) return false;
  const txYear = fullYear(Number(transactionDate.slice(0, 2)));
  const txMonth = Number(transactionDate.slice(2, 4));
  return fullYear(year) * 12 + month >= txYear * 12 + txMonth;
}

/**
 * Book 2 §5.3 step 11 / §6.4 step 10: the subject key of `length` bytes from the certificate's
 * `leftmost` field and the remainder; when the key fits the field, the rest of the field is BB
 * padding and there is no remainder. Undefined when the parts do not make the stated length.
 */
export function subjectKey(leftmost: Uint8Array, remainder: Uint8Array, length: number, exponent: Uint8Array): RsaPublicKey | undefined {
  if (length <= leftmost.length) {
    if (remainder.length !== 0 || leftmost.subarray(length).some((b) => b !== 0xbb)) return undefined;
    return { modulus: leftmost.slice(0, length), exponent };
  }
  if (leftmost.length + remainder.length !== length) return undefined;
  return { modulus: concat(leftmost, remainder), exponent };
}
