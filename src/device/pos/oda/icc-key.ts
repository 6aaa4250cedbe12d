/**
 * Retrieval of the ICC public key (EMV Book 2 §6.4): the ICC public key certificate (9F46), recovered
 * with the issuer public key, layout of Table 14:
 * 6A ‖ 04 ‖ PAN (10, cn) ‖ expiry MMYY ‖ serial (3) ‖ hash algorithm 01 ‖ key algorithm 01 ‖ key length
 * ‖ exponent length ‖ leftmost N_I − 42 bytes of the key ‖ hash (20) ‖ BC; the hash also covers the
 * static data to be authenticated (Book 3 §10.3).
 */
import { cnDigits } from '../pan.ts';
import { notExpired, subjectKey } from './certificate-fields.ts';
import type { KeyRetrieval } from './issuer-key.ts';
import { hashMatches, recover, type RsaPublicKey } from './rsa-recover.ts';

/** What the terminal knows when it checks the ICC certificate. */
export interface IccCertificateInput {
  readonly certificate: Uint8Array;
  /** ICC public key remainder (9F48), empty when absent. */
  readonly remainder: Uint8Array;
  /** ICC public key exponent (9F47). */
  readonly exponent: Uint8Array;
  /** Static data to be authenticated: the ODA records, then the AIP when 9F4A lists 82. */
  readonly staticData: Uint8Array;
  /** The Application PAN digits (5A). */
  readonly pan: string;
  /** Transaction date, 'YYMMDD'. */
  readonly date: string;
}

/** Book 2 §6.4 steps 1–10. */
export function retrieveIccKey(issuer: RsaPublicKey, input: IccCertificateInput): KeyRetrieval {
  const n = issuer.modulus.length;
  // steps 1–3: the certificate has the issuer modulus length and recovers to 6A … BC
  const x = recover(issuer, input.certificate);
  if (x === undefined || n < 42 + 1) return { ok: false, failure: 'recovery' };
  // step 4: certificate format 04
  if (x[1] !== 0x04) return { ok: false, failure: 'format' };
  // steps 5–7: SHA-1 over fields 2–10, the remainder, the exponent and the static data
  if (x[17] !== 0x01 || !hashMatches(x, input.remainder, input.exponent, input.staticData)) return { ok: false, failure: 'hash' };
  // step 8: the recovered PAN equals the Application PAN
  const pan = cnDigits(x.subarray(2, 12));
  if (pan === undefined || pan !== input.pan) return { ok: false, failure: 'identifier' };
  // step 9: not expired at the transaction date
  if (!notExpired(x.subarray(12, 14), input.date)) return { ok: false, failure: 'expired' };
  // step 10: RSA, and the key itself
  if (x[18] !== 0x01) return { ok: false, failure: 'algorithm' };
  if (x[20] !== input.exponent.length) return { ok: false, failure: 'key' };
  const key = subjectKey(x.subarray(21, n - 21), input.remainder, x[19]!, input.exponent);
  return key === undefined ? { ok: false, failure: 'key' } : { ok: true, key };
}
