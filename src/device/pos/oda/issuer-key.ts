/**
 * Retrieval of the issuer public key (EMV Book 2 §5.3): the issuer public key certificate (90),
 * recovered with the CA public key, layout of Table 13:
 * 6A ‖ 02 ‖ issuer identifier (4, cn) ‖ expiry MMYY ‖ serial (3) ‖ hash algorithm 01 ‖ key algorithm 01
 * ‖ key length NI ‖ exponent length ‖ leftmost N_CA − 36 bytes of the key ‖ hash (20) ‖ BC.
 */
import { cnDigits } from '../pan.ts';
import { notExpired, subjectKey } from './certificate-fields.ts';
import { hashMatches, recover, type RsaPublicKey } from './rsa-recover.ts';

/** What the terminal knows when it checks the issuer certificate. */
export interface IssuerCertificateInput {
  readonly certificate: Uint8Array;
  /** Issuer public key remainder (92), empty when absent. */
  readonly remainder: Uint8Array;
  /** Issuer public key exponent (9F32). */
  readonly exponent: Uint8Array;
  /** The Application PAN digits (5A). */
  readonly pan: string;
  /** Transaction date, 'YYMMDD'. */
  readonly date: string;
}

/** Why a certificate did not give a key (for tests and traces; never includes card data). */
export type CertificateFailure = 'recovery' | 'format' | 'hash' | 'identifier' | 'expired' | 'algorithm' | 'key';

/** The key, or why there is none. */
export type KeyRetrieval = { readonly ok: true; readonly key: RsaPublicKey } | { readonly ok: false; readonly failure: CertificateFailure };

function fail(failure: CertificateFailure): KeyRetrieval {
  return { ok: false, failure };
}

/** Book 2 §5.3 steps 1–11. */
export function retrieveIssuerKey(ca: RsaPublicKey, input: IssuerCertificateInput): KeyRetrieval {
  const n = ca.modulus.length;
  // steps 1–3: the certificate has the CA modulus length and recovers to 6A … BC
  const x = recover(ca, input.certificate);
  if (x === undefined || n < 36 + 1) return fail('recovery');
  // step 4: certificate format 02
  if (x[1] !== 0x02) return fail('format');
  // steps 5–7: SHA-1 over the recovered fields 2–10, the remainder and the exponent
  if (x[11] !== 0x01 || !hashMatches(x, input.remainder, input.exponent)) return fail('hash');
  // step 8: the issuer identifier (3–8 digits, F-padded) is the leftmost digits of the PAN
  const id = cnDigits(x.subarray(2, 6));
  if (id === undefined || id.length < 3 || !input.pan.startsWith(id)) return fail('identifier');
  // step 9: not expired at the transaction date
  if (!notExpired(x.subarray(6, 8), input.date)) return fail('expired');
  // step 11 (after the revocation check of step 10, which this terminal does not keep): RSA, and the key itself
  if (x[12] !== 0x01) return fail('algorithm');
  if (x[14] !== input.exponent.length) return fail('key');
  const key = subjectKey(x.subarray(15, n - 21), input.remainder, x[13]!, input.exponent);
  return key === undefined ? fail('key') : { ok: true, key };
}

