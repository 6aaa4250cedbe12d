/**
 * ISO/IEC 9796-2 digital signature scheme 1 with SHA-1 and partial message recovery, as EMV uses it
 * for certificates and signed data (EMV Book 2 Annex A2.1; §5–6): with an RSA key of N bytes, the
 * message MSG is split into MSG1 (its leftmost N − 22 bytes, recovered from the signature) and MSG2
 * (the rest, sent alongside), and the signature is the RSA private operation on
 * X = 6A ‖ MSG1 ‖ SHA-1(MSG) ‖ BC.
 */
import { constants, createHash, privateDecrypt, publicEncrypt, type KeyObject } from 'node:crypto';
import { concat, equalCt } from '../../bytes/index.ts';
import { HsmError } from '../errors.ts';

const HEADER = 0x6a;
const TRAILER = 0xbc;
const HASH_LENGTH = 20;
/** Header, hash and trailer: the bytes of X that are not MSG1. */
export const ISO9796_OVERHEAD = 2 + HASH_LENGTH;

function sha1(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha1').update(data).digest());
}

function raw(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Modulus length in bytes of an RSA key. */
export function modulusBytes(key: KeyObject): number {
  return Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
}

/** EMV Book 2 A2.1.2: the signature of `message` (at least N − 22 bytes) under RSA private `key`. */
export function signIso9796(key: KeyObject, message: Uint8Array): Uint8Array {
  const n = modulusBytes(key);
  if (key.asymmetricKeyType !== 'rsa' || n === 0) throw new HsmError('ERR_HSM_USAGE', 'ISO 9796-2 signatures need an RSA key');
  // RSA private operation on X (X < n: the modulus has its top bit set, X starts with 6A)
  return new Uint8Array(privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, raw(iso9796Representative(n, message))));
}

/** EMV Book 2 A2.1.2 step 5: X = 6A ‖ MSG1 ‖ SHA-1(MSG) ‖ BC, MSG1 the leftmost N − 22 bytes of `message`. */
export function iso9796Representative(n: number, message: Uint8Array): Uint8Array {
  if (message.length < n - ISO9796_OVERHEAD) {
    throw new HsmError('ERR_HSM_PARAM', `ISO 9796-2 scheme 1: the message must be at least N − 22 = ${n - ISO9796_OVERHEAD} bytes for this key`);
  }
  return concat(Uint8Array.of(HEADER), message.subarray(0, n - ISO9796_OVERHEAD), sha1(message), Uint8Array.of(TRAILER));
}

/** EMV Book 2 A2.1.3: the recovered X of a signature, or undefined if it is not one of this key's. */
export function recoverIso9796(publicKey: KeyObject, signature: Uint8Array): Uint8Array | undefined {
  const n = modulusBytes(publicKey);
  if (signature.length !== n) return undefined;
  try {
    return new Uint8Array(publicEncrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, raw(signature)));
  } catch {
    return undefined; // a signature not below the modulus
  }
}

/** True when `signature` recovers MSG1 of `message` and the hash of the whole message. */
export function verifyIso9796(publicKey: KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  const x = recoverIso9796(publicKey, signature);
  if (x === undefined || message.length < x.length - ISO9796_OVERHEAD) return false;
  const expected = concat(Uint8Array.of(HEADER), message.subarray(0, x.length - ISO9796_OVERHEAD), sha1(message), Uint8Array.of(TRAILER));
  return equalCt(x, expected);
}
