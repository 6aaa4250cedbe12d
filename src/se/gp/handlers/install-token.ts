/**
 * Signature checks of card content management (GPC 2.3.1 Appendix C): Delegated Management tokens
 * (C.4) with the token key (KVN '70') of the Security Domain with Token Verification, and DAP
 * signatures of the Load File Data Block Hash (C.3) with the DAP key (KVN '73'). Signature schemes
 * by key type (Table C-1): RSA scheme 1 (≤ 1024 bits, PKCS#1 v1.5 with SHA-1, B.3.1.1), RSA scheme 2
 * (PSS with SHA-256, B.3.2.1), ECDSA with plain r‖s (B.4.3), AES-CMAC (B.2.2). DES signatures are
 * not supported: a DES key never verifies.
 */
import { createPublicKey, constants, verify, type KeyObject } from 'node:crypto';
import { SW } from '../../../apdu/index.ts';
import { equalCt } from '../../../bytes/index.ts';
import { aesCmac } from '../../../crypto/index.ts';
import { KEY_TYPES } from '../../../gp/index.ts';
import { CardException } from '../../runtime/card-exception.ts';
import type { ApplicationState, CardState, KeySetState } from '../../state/card-state.ts';
import { sdAncestry } from '../instances.ts';
import { findApp, holds } from '../registry.ts';

/** Key version number of the token verification key set (the GPPro / pySim convention; gp.md §4.9, §4.13). */
export const TOKEN_KVN = 0x70;
/** Key version number of the DAP verification key set (same convention). */
export const DAP_KVN = 0x73;

/** Curves by the length of an uncompressed public point 04 ‖ X ‖ Y (GPC 2.3.1 Table B-1: P-256, P-384, P-521). */
const CURVES: ReadonlyMap<number, { readonly crv: string; readonly hash: string }> = new Map([
  [65, { crv: 'P-256', hash: 'sha256' }],
  [97, { crv: 'P-384', hash: 'sha384' }],
  [133, { crv: 'P-521', hash: 'sha512' }],
]);

/** An unsigned big-endian integer without its leading zero bytes (JWK integers are minimal). */
function minimal(bytes: Uint8Array): Uint8Array {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  return bytes.subarray(start);
}

function b64url(bytes: Uint8Array): string {
  return Buffer.from(minimal(bytes)).toString('base64url');
}

/** A key component of `type` in the set: a one-component key, or one component of an RSA / ECC key. */
function component(set: KeySetState, type: number): Uint8Array | undefined {
  for (const k of set.keys) {
    const found = (k.components ?? [k]).find((c) => c.type === type);
    if (found !== undefined) return found.value;
  }
  return undefined;
}

function rsaVerify(n: Uint8Array, e: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const key: KeyObject = createPublicKey({ key: { kty: 'RSA', n: b64url(n), e: b64url(e) }, format: 'jwk' });
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits <= 1024) return verify('sha1', message, { key, padding: constants.RSA_PKCS1_PADDING }, signature); // B.3.1.1
  // B.3.2.1: RSASSA-PSS, SHA-256, MGF1 with SHA-256, salt as long as the hash
  return verify('sha256', message, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature);
}

function ecdsaVerify(point: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const curve = CURVES.get(point.length);
  if (curve === undefined || point[0] !== 0x04) return false;
  const half = (point.length - 1) / 2;
  const jwk = { kty: 'EC', crv: curve.crv, x: Buffer.from(point.subarray(1, 1 + half)).toString('base64url'), y: Buffer.from(point.subarray(1 + half)).toString('base64url') };
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  return verify(curve.hash, message, { key, dsaEncoding: 'ieee-p1363' }, signature); // B.4.3: plain r ‖ s
}

/**
 * Verifies `signature` over `message` with the public (or AES) key in `set` (Table C-1). Any
 * failure — no usable key, a malformed key or signature, a mismatch — is `false`, never a throw.
 */
export function verifyWithKeySet(set: KeySetState | undefined, message: Uint8Array, signature: Uint8Array): boolean {
  if (set === undefined) return false;
  try {
    const n = component(set, KEY_TYPES.RSA_PUBLIC_N);
    const e = component(set, KEY_TYPES.RSA_PUBLIC_E);
    if (n !== undefined && e !== undefined) return rsaVerify(n, e, message, signature);
    const point = component(set, KEY_TYPES.ECC_PUBLIC);
    if (point !== undefined) return ecdsaVerify(point, message, signature);
    const aes = component(set, KEY_TYPES.AES);
    if (aes !== undefined && signature.length === 16) return equalCt(aesCmac(aes, message, { length: 16 }), signature); // B.2.2
    return false;
  } catch {
    return false;
  }
}

/**
 * Verifies a Delegated Management token (Appendix C.4) over `data` (see `dmTokenData`): the
 * verifier is the nearest Security Domain with Token Verification on the performing SD's
 * association path (§9.1.3.1), with its key set '70'. A missing key or a bad token is 6982 (C.1.1.1:
 * "token verification ... shall fail if the Token verification key is not present").
 */
export function verifyToken(state: CardState, performing: ApplicationState, data: Uint8Array, token: Uint8Array): void {
  const verifier = sdAncestry(state, performing.aid).map((aid) => findApp(state, aid)).find((a) => a?.sd !== undefined && holds(a, 'TokenManagement'));
  const set = verifier?.sd?.keySets.find((k) => k.kvn === TOKEN_KVN);
  if (!verifyWithKeySet(set, data, token)) throw new CardException(SW.SECURITY_STATUS_NOT_SATISFIED, 'token verification failed');
}

/**
 * Whether the DAP `signature` of the Load File Data Block Hash verifies with the DAP key set '73'
 * of `sd` (Appendix C.3). RSA scheme 2 and ECDSA on P-256 hash with SHA-256, so they need a hash of
 * at least 32 bytes (Table C-3).
 */
export function verifyDap(sd: ApplicationState, lfdbHash: Uint8Array, signature: Uint8Array): boolean {
  const set = sd.sd?.keySets.find((k) => k.kvn === DAP_KVN);
  if (set === undefined) return false;
  const n = component(set, KEY_TYPES.RSA_PUBLIC_N);
  const strong = component(set, KEY_TYPES.ECC_PUBLIC) !== undefined || (n !== undefined && minimal(n).length > 128);
  if (strong && lfdbHash.length < 32) return false;
  return verifyWithKeySet(set, lfdbHash, signature);
}
