/**
 * The verifier's half of ISO/IEC 9796-2 scheme 1 as EMV uses it (EMV Book 2 Annex A2.1.3): the RSA
 * public operation on a certificate or signature, and the checks every recovered block gets (header
 * 6A, trailer BC, the SHA-1 over MSG1 ‖ MSG2). Written on the terminal side on purpose, apart from
 * the HSM's signer, so each tests the other.
 */
import { constants, createHash, createPublicKey, publicEncrypt, type KeyObject } from 'node:crypto';
import { concat, equalCt, toHex } from '../../../bytes/index.ts';

/** An RSA public key as EMV carries it: modulus and exponent, big-endian. */
export interface RsaPublicKey {
  readonly modulus: Uint8Array;
  readonly exponent: Uint8Array;
}

/** Book 2 §5.1 / §6.1: the exponents EMV allows (3 and 2^16 + 1). */
export function isEmvExponent(exponent: Uint8Array): boolean {
  const e = toHex(exponent);
  return e === '03' || e === '010001';
}

/**
 * Public keys already built, by exponent and modulus (most recently used last): building a KeyObject
 * costs more than the RSA operation, and a terminal meets the same CA and issuer keys all day.
 * Public keys only — nothing secret is kept.
 */
const KEY_OBJECTS = new Map<string, KeyObject>();
const KEY_OBJECT_CACHE_SIZE = 256;

function keyObject(key: RsaPublicKey): KeyObject | undefined {
  // a modulus with a leading zero byte is not N bytes long; an even modulus is not an RSA modulus
  if (key.modulus.length < 64 || key.modulus[0] === 0 || (key.modulus[key.modulus.length - 1]! & 1) === 0 || !isEmvExponent(key.exponent)) return undefined;
  const id = `${toHex(key.exponent)}:${toHex(key.modulus)}`;
  const cached = KEY_OBJECTS.get(id);
  if (cached !== undefined) {
    KEY_OBJECTS.delete(id);
    KEY_OBJECTS.set(id, cached);
    return cached;
  }
  let built: KeyObject;
  try {
    const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');
    built = createPublicKey({ key: { kty: 'RSA', n: b64(key.modulus), e: b64(key.exponent) }, format: 'jwk' });
  } catch {
    return undefined;
  }
  if (KEY_OBJECTS.size >= KEY_OBJECT_CACHE_SIZE) KEY_OBJECTS.delete(KEY_OBJECTS.keys().next().value!);
  KEY_OBJECTS.set(id, built);
  return built;
}

/**
 * Book 2 A2.1.3 steps 1–3: X = S^e mod n for a signature of exactly the modulus length, with header
 * 6A and trailer BC; undefined when the signature does not recover.
 */
export function recover(key: RsaPublicKey, signature: Uint8Array): Uint8Array | undefined {
  if (signature.length !== key.modulus.length) return undefined;
  const k = keyObject(key);
  if (k === undefined) return undefined;
  let x: Uint8Array;
  try {
    x = new Uint8Array(publicEncrypt({ key: k, padding: constants.RSA_NO_PADDING }, Buffer.from(signature)));
  } catch {
    return undefined; // S ≥ n
  }
  if (x.length !== signature.length || x[0] !== 0x6a || x[x.length - 1] !== 0xbc) return undefined;
  return x;
}

/** SHA-1 (FIPS 180-4), the only hash algorithm EMV certificates name (indicator 01). */
export function sha1(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(createHash('sha1').update(concat(...parts)).digest());
}

/** Book 2 A2.1.3 steps 5–7: the hash in X (the 20 bytes before BC) equals SHA-1(MSG1 ‖ `msg2`). */
export function hashMatches(x: Uint8Array, ...msg2: Uint8Array[]): boolean {
  const msg1 = x.subarray(1, x.length - 21);
  return equalCt(x.subarray(x.length - 21, x.length - 1), sha1(msg1, ...msg2));
}
