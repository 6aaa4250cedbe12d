/**
 * EMV public-key certificates for offline data authentication, as messages to sign: EMV Book 2
 * §5.3 Table 13 (issuer public key certificate, format 02, signed by a payment system CA key) and
 * §6.4 Table 14 (ICC public key certificate, format 04, signed by the issuer key), with ISO/IEC
 * 9796-2 scheme 1 and SHA-1 (iso9796-2.ts). Each backend signs the message with its own ISO 9796-2
 * path (software: the private key under the LMK; PKCS#11: CKM_RSA_X_509 in the token); the message
 * and the checks are here, once.
 *
 * Layout of the recovered data, elements 2 to 10 (MSG1, N − 22 bytes for a signer of N bytes):
 * format ‖ identifier ‖ expiry MMYY ‖ serial (3) ‖ hash algorithm 01 ‖ key algorithm 01 ‖ key length
 * ‖ exponent length ‖ the key's leftmost N − 36 (issuer) or N − 42 (ICC) bytes, padded with BB.
 * The hash covers MSG1 ‖ remainder ‖ exponent (‖ static data to authenticate, ICC).
 */
import { createPublicKey } from 'node:crypto';
import { concat } from '../../bytes/index.ts';
import { HsmError } from '../errors.ts';
import type { EmvCertificate, EmvCertificateRequest } from '../hsm.ts';
import type { KeyAttributes } from '../key-attributes.ts';

/** EMV allows public exponents 3 and 2^16 + 1 (Book 2 §5.1, Table 11 note) [M]. */
const EXPONENTS: Readonly<Record<string, Uint8Array>> = { AQAB: Uint8Array.of(0x01, 0x00, 0x01), Aw: Uint8Array.of(0x03) };
/** The largest EMV public key, 1984 bits (its length goes into one byte) [M]. */
export const MAX_EMV_KEY_BYTES = 248;

function param(message: string): HsmError {
  return new HsmError('ERR_HSM_PARAM', `EMV certificate: ${message}`);
}

/** Digits right-padded with F to `nibbles`, packed (cn format). */
function cn(digits: string, nibbles: number): Uint8Array {
  return Uint8Array.from(Buffer.from(digits.padEnd(nibbles, 'F'), 'hex'));
}

function expiryBytes(expiry: unknown): Uint8Array {
  if (typeof expiry !== 'string' || !/^(0[1-9]|1[0-2])\d\d$/.test(expiry)) throw param("expiry: 'MMYY'");
  return Uint8Array.from(Buffer.from(expiry, 'hex'));
}

function subjectKey(spki: unknown): { modulus: Uint8Array; exponent: Uint8Array } {
  if (!(spki instanceof Uint8Array)) throw param('subjectPublicKey: SPKI DER');
  let jwk: { n?: string; e?: string; kty?: string };
  try {
    jwk = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }).export({ format: 'jwk' });
  } catch (cause) {
    throw new HsmError('ERR_HSM_PARAM', 'EMV certificate: subjectPublicKey is not an SPKI public key', { cause });
  }
  if (jwk.kty !== 'RSA' || jwk.n === undefined || jwk.e === undefined) throw param('the subject key must be RSA');
  const exponent = EXPONENTS[jwk.e];
  if (exponent === undefined) throw param('the subject key exponent must be 3 or 65537');
  return { modulus: new Uint8Array(Buffer.from(jwk.n, 'base64url')), exponent };
}

/** Elements 2–10 and the remainder, for a signer of `n` bytes and `reserved` fixed bytes before the key. */
function keyFields(modulus: Uint8Array, n: number, reserved: number): { leftmost: Uint8Array; remainder: Uint8Array } {
  const room = n - reserved;
  if (modulus.length > MAX_EMV_KEY_BYTES || modulus.length > n) throw param(`the subject key (${modulus.length} bytes) may not be longer than the signer's (${n}) nor than ${MAX_EMV_KEY_BYTES} bytes`);
  if (modulus.length <= room) return { leftmost: concat(modulus, new Uint8Array(room - modulus.length).fill(0xbb)), remainder: new Uint8Array(0) };
  return { leftmost: modulus.slice(0, room), remainder: modulus.slice(room) };
}

/** Checks the ICC certificate fields that are not the key (Table 14): PAN, expiry, serial, static data. */
export function checkIccFields(request: { readonly pan: unknown; readonly expiry: unknown; readonly serialNumber: unknown; readonly staticData: unknown }): void {
  if (typeof request.pan !== 'string' || !/^\d{8,19}$/.test(request.pan)) throw param('pan: 8 to 19 digits');
  expiryBytes(request.expiry);
  if (!(request.serialNumber instanceof Uint8Array) || request.serialNumber.length !== 3) throw param('serialNumber: 3 bytes');
  if (!(request.staticData instanceof Uint8Array)) throw param('staticData: a Uint8Array');
}

/** The message MSG = MSG1 ‖ MSG2 of Book 2 Table 13 / 14 for a signer of `n` bytes, with the remainder and exponent. */
export function emvCertificateMessage(request: EmvCertificateRequest, n: number): { msg: Uint8Array; remainder: Uint8Array; exponent: Uint8Array } {
  if (typeof request !== 'object' || request === null) throw param('expected a request');
  if (!(request.serialNumber instanceof Uint8Array) || request.serialNumber.length !== 3) throw param('serialNumber: 3 bytes');
  const { modulus, exponent } = subjectKey(request.subjectPublicKey);
  const common = (format: number, id: Uint8Array): Uint8Array =>
    concat(Uint8Array.of(format), id, expiryBytes(request.expiry), request.serialNumber, Uint8Array.of(0x01, 0x01, modulus.length, exponent.length));
  if (request.kind === 'issuer') {
    if (typeof request.issuerIdentifier !== 'string' || !/^\d{3,8}$/.test(request.issuerIdentifier)) throw param('issuerIdentifier: 3 to 8 digits');
    const { leftmost, remainder } = keyFields(modulus, n, 36);
    return { msg: concat(common(0x02, cn(request.issuerIdentifier, 8)), leftmost, remainder, exponent), remainder, exponent };
  }
  if (request.kind === 'icc') {
    checkIccFields(request);
    const { leftmost, remainder } = keyFields(modulus, n, 42);
    return { msg: concat(common(0x04, cn(request.pan, 20)), leftmost, remainder, exponent, request.staticData), remainder, exponent };
  }
  throw param("kind: 'issuer' or 'icc'");
}

/** Refuses a signer that is not an RSA certification key (S1), whatever the usage table allows. */
export function checkCertificationKey(key: { readonly id: string; readonly kcv: string; readonly attributes: KeyAttributes }): number {
  const a = key.attributes;
  if (a.algorithm !== 'R' || a.usage !== 'S1') throw new HsmError('ERR_HSM_USAGE', `key ${key.id} (KCV ${key.kcv}) is not an RSA certification key (S1)`);
  return Math.ceil(a.length / 8);
}

/**
 * The certificate `request` describes, signed by `sign` (the backend's ISO 9796-2 scheme 1 over
 * MSG, under a key of `n` bytes).
 */
export function issueWith(request: EmvCertificateRequest, n: number, sign: (msg: Uint8Array) => Uint8Array): EmvCertificate {
  const { msg, remainder, exponent } = emvCertificateMessage(request, n);
  const certificate = sign(msg);
  if (certificate.length !== n) throw new HsmError('ERR_HSM_BACKEND', `the certificate is ${certificate.length} bytes, not the signer's ${n}`);
  return Object.freeze({ certificate, remainder, exponent });
}
