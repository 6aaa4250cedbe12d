/**
 * The ICC private key (RSA, e = 3) from its CRT components as personalized (EMV CPS v1.1 Annex A
 * [M]; docs/payment-application.md §4: DGIs 8201 q⁻¹ mod p, 8202 d mod (q−1), 8203 d mod (p−1),
 * 8204 q, 8205 p, each left-padded to half the modulus length and, when deciphered from an AES DEK,
 * possibly followed by ISO/IEC 9797-1 method 2 padding). The components are checked against each
 * other; the raw RSA operation (EMV Book 2 §6.5: the SDAD is X^d mod n) runs in node:crypto.
 */
import { createPrivateKey, privateDecrypt, constants, type KeyObject } from 'node:crypto';
import { inconsistent } from './perso-refusal.ts';

/** A usable ICC private key. */
export interface RsaCrtKey {
  /** Modulus length N_IC in bytes. */
  readonly modulusLength: number;
  readonly key: KeyObject;
}

const E = 3n;

const toBig = (b: Uint8Array): bigint => (b.length === 0 ? 0n : BigInt(`0x${Buffer.from(b).toString('hex')}`));

function b64u(n: bigint): string {
  let hex = n.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  return Buffer.from(hex, 'hex').toString('base64url');
}

/** x⁻¹ mod m (extended Euclid), or 0n when there is none. */
function modInverse(x: bigint, m: bigint): bigint {
  let [a, b, u, v] = [((x % m) + m) % m, m, 1n, 0n];
  while (b !== 0n) {
    const q = a / b;
    [a, b] = [b, a - q * b];
    [u, v] = [v, u - q * v];
  }
  return a === 1n ? ((u % m) + m) % m : 0n;
}

/** `raw` without method-2 padding after its first `length` bytes; 6A80 if what follows is not padding. */
function trimTo(raw: Uint8Array, length: number, what: string): Uint8Array {
  if (raw.length === length) return raw;
  const pad = raw.subarray(length);
  if (raw.length < length || pad[0] !== 0x80 || pad.subarray(1).some((b) => b !== 0)) inconsistent(`${what} has the wrong length`);
  return raw.subarray(0, length);
}

/** The length of a prime component: an odd prime ends in an odd byte, so trailing 80 00… is padding. */
function primeLength(raw: Uint8Array): number {
  if (((raw.at(-1) ?? 0) & 1) === 1) return raw.length;
  let i = raw.length - 1;
  while (i >= 0 && raw[i] === 0) i--;
  if (i < 0 || raw[i] !== 0x80) inconsistent('DGI 8205 is not a prime');
  return i;
}

/**
 * The private key of DGIs [8201, 8202, 8203, 8204, 8205] (in that order). Refuses components that do
 * not belong together: 3·dp ≡ 1 mod (p−1), 3·dq ≡ 1 mod (q−1), qinv·q ≡ 1 mod p, and a modulus of
 * 2 × the component length, 64..248 bytes (EMV Book 2 §6.1: N_IC ≤ 248).
 */
export function readRsaCrt(values: readonly Uint8Array[]): RsaCrtKey {
  const [qinvRaw, dqRaw, dpRaw, qRaw, pRaw] = values;
  if (qinvRaw === undefined || dqRaw === undefined || dpRaw === undefined || qRaw === undefined || pRaw === undefined) return inconsistent('ICC private key components missing');
  const half = primeLength(pRaw);
  const [qinv, dq, dp, q, p] = [qinvRaw, dqRaw, dpRaw, qRaw, pRaw].map((v, i) => toBig(trimTo(v, half, `DGI 820${i + 1}`))) as [bigint, bigint, bigint, bigint, bigint];
  const n = p * q;
  const modulusLength = 2 * half;
  if (half < 32 || modulusLength > 248 || n >> BigInt(8 * modulusLength - 8) === 0n || p < 3n || q < 3n) inconsistent('ICC private key: modulus length');
  if ((E * dp) % (p - 1n) !== 1n || (E * dq) % (q - 1n) !== 1n || (qinv * q) % p !== 1n) inconsistent('ICC private key: components do not match');
  const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? a : gcd(b, a % b));
  const lambda = ((p - 1n) * (q - 1n)) / gcd(p - 1n, q - 1n);
  const d = modInverse(E, lambda);
  if (d === 0n) inconsistent('ICC private key: e = 3 is not invertible');
  try {
    const key = createPrivateKey({
      key: { kty: 'RSA', n: b64u(n), e: b64u(E), d: b64u(d), p: b64u(p), q: b64u(q), dp: b64u(dp), dq: b64u(dq), qi: b64u(qinv) },
      format: 'jwk',
    });
    return { modulusLength, key };
  } catch {
    return inconsistent('ICC private key: refused by the RSA implementation');
  }
}

/** The raw private-key operation X^d mod n (X of the modulus length, below n). */
export function rsaPrivate(key: RsaCrtKey, x: Uint8Array): Uint8Array {
  return new Uint8Array(privateDecrypt({ key: key.key, padding: constants.RSA_NO_PADDING }, x));
}
