/**
 * EMV public-key certificates for offline data authentication (EMV Book 2 §5.3 Table 13: issuer
 * public key certificate, format 02, signed by a payment system CA key; §6.4 Table 14: ICC public
 * key certificate, format 04, signed by the issuer key), with ISO/IEC 9796-2 scheme 1 and SHA-1
 * (shared/iso9796-2.ts). The signer is an RSA key of usage S1 (CA use) in this HSM; the subject key is
 * given as SPKI DER. Returns the certificate and what travels beside it: the public key remainder
 * (tags 92 / 9F48) and the exponent (9F32 / 9F47).
 *
 * Layout of the recovered data, elements 2 to 10 (MSG1, N − 22 bytes for a signer of N bytes):
 * format ‖ identifier ‖ expiry MMYY ‖ serial (3) ‖ hash algorithm 01 ‖ key algorithm 01 ‖ key length
 * ‖ exponent length ‖ the key's leftmost N − 36 (issuer) or N − 42 (ICC) bytes, padded with BB.
 * The hash covers MSG1 ‖ remainder ‖ exponent (‖ static data to authenticate, ICC).
 */
import { createPublicKey } from 'node:crypto';
import { concat } from '../../bytes/index.ts';
import type { OperationContext } from '../context.ts';
import { HsmError } from '../errors.ts';
import type { Trail } from '../shared/audit-trail.ts';
import { withPrivateKey } from './asymmetric-ops.ts';
import type { SoftwareCore } from './core.ts';
import { modulusBytes, signIso9796 } from '../shared/iso9796-2.ts';

/** What to certify. `serialNumber` is 3 bytes; `expiry` is 'MMYY'. */
export type EmvCertificateRequest =
  | {
    readonly kind: 'issuer';
    /** The leftmost 3 to 8 digits of the PANs of this issuer key (Book 2 Table 13, Issuer Identifier). */
    readonly issuerIdentifier: string;
    readonly expiry: string;
    readonly serialNumber: Uint8Array;
    readonly subjectPublicKey: Uint8Array;
  }
  | {
    readonly kind: 'icc';
    /** The card's PAN (Application PAN, 5A). */
    readonly pan: string;
    readonly expiry: string;
    readonly serialNumber: Uint8Array;
    readonly subjectPublicKey: Uint8Array;
    /** The static data to be authenticated (Book 2 §6.4, from the AFL records and 9F4A). */
    readonly staticData: Uint8Array;
  };

export interface EmvCertificate {
  /** The certificate (tag 90 issuer / 9F46 ICC), N bytes for a signer of N bytes. */
  readonly certificate: Uint8Array;
  /** The public key remainder (tag 92 / 9F48); empty when the key fits in the certificate. */
  readonly remainder: Uint8Array;
  /** The public key exponent (tag 9F32 / 9F47): 03 or 010001. */
  readonly exponent: Uint8Array;
}

/** EMV allows public exponents 3 and 2^16 + 1 (Book 2 §5.1, Table 11 note) [M]. */
const EXPONENTS: Readonly<Record<string, Uint8Array>> = { AQAB: Uint8Array.of(0x01, 0x00, 0x01), Aw: Uint8Array.of(0x03) };
/** The largest EMV public key, 1984 bits (its length goes into one byte) [M]. */
const MAX_KEY_BYTES = 248;

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
  if (modulus.length > MAX_KEY_BYTES || modulus.length > n) throw param(`the subject key (${modulus.length} bytes) may not be longer than the signer's (${n}) nor than ${MAX_KEY_BYTES} bytes`);
  if (modulus.length <= room) return { leftmost: concat(modulus, new Uint8Array(room - modulus.length).fill(0xbb)), remainder: new Uint8Array(0) };
  return { leftmost: modulus.slice(0, room), remainder: modulus.slice(room) };
}

/** The message MSG = MSG1 ‖ MSG2 of Book 2 Table 13 / 14 for a signer of `n` bytes. */
function message(request: EmvCertificateRequest, n: number): { msg: Uint8Array; remainder: Uint8Array; exponent: Uint8Array } {
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
    if (typeof request.pan !== 'string' || !/^\d{8,19}$/.test(request.pan)) throw param('pan: 8 to 19 digits');
    if (!(request.staticData instanceof Uint8Array)) throw param('staticData: a Uint8Array');
    const { leftmost, remainder } = keyFields(modulus, n, 42);
    return { msg: concat(common(0x04, cn(request.pan, 20)), leftmost, remainder, exponent, request.staticData), remainder, exponent };
  }
  throw param("kind: 'issuer' or 'icc'");
}

/** Issues the certificate `request` describes, signed by RSA key `signerId` (usage S1). */
export async function issueEmvCertificate(core: SoftwareCore, signerId: string, request: EmvCertificateRequest, ctx: OperationContext, trail: Trail): Promise<EmvCertificate> {
  const signer = await core.vault.usable(signerId, 'sign', ctx, trail);
  const a = signer.record.attributes;
  if (a.algorithm !== 'R' || a.usage !== 'S1') throw new HsmError('ERR_HSM_USAGE', `key ${signer.record.id} (KCV ${signer.record.kcv}) is not an RSA certification key (S1)`);
  if (typeof request !== 'object' || request === null) throw param('expected a request');
  const certificate = withPrivateKey(core, signer, (privateKey) => {
    const { msg } = message(request, modulusBytes(privateKey));
    return signIso9796(privateKey, msg);
  });
  const { remainder, exponent } = message(request, certificate.length);
  trail.detail = `${request.kind} public key certificate`;
  return Object.freeze({ certificate, remainder, exponent });
}
