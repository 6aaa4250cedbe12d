/**
 * The signature schemes of the Hsm interface, the same on every backend: RSASSA-PKCS1-v1_5 with
 * SHA-1 or SHA-256 and RSASSA-PSS with SHA-256, salt 32 bytes, MGF1-SHA-256 (RFC 8017 §8); ECDSA
 * with SHA-256 (FIPS 186-4), DER-encoded (r, s); ISO/IEC 9796-2 scheme 1 with SHA-1 for EMV
 * (iso9796-2.ts). Verification is a public-key operation and runs here, through node:crypto, for
 * both backends — so both accept and refuse exactly the same signatures.
 */
import { constants, verify as nodeVerify, type KeyObject } from 'node:crypto';
import type { OperationContext } from '../context.ts';
import { HsmError } from '../errors.ts';
import type { AsymmetricKeySpec, SignatureScheme } from '../hsm.ts';
import type { KeyAttributes } from '../key-attributes.ts';
import { verifyIso9796 } from './iso9796-2.ts';
import { checkOwnerAndLabel } from './key-spec.ts';

/** Each scheme: the key algorithm it needs, and how node:crypto runs it. */
export const SCHEMES = {
  'rsa-pkcs1-sha1': { algorithm: 'R', hash: 'sha1', padding: constants.RSA_PKCS1_PADDING },
  'rsa-pkcs1-sha256': { algorithm: 'R', hash: 'sha256', padding: constants.RSA_PKCS1_PADDING },
  'rsa-pss-sha256': { algorithm: 'R', hash: 'sha256', padding: constants.RSA_PKCS1_PSS_PADDING },
  'ecdsa-sha256': { algorithm: 'E', hash: 'sha256', padding: undefined },
  'iso9796-2-sha1': { algorithm: 'R', hash: 'sha1', padding: undefined },
} as const satisfies Record<SignatureScheme, { algorithm: 'R' | 'E'; hash: string; padding: number | undefined }>;

export type Scheme = (typeof SCHEMES)[SignatureScheme];

/** RSASSA-PSS salt length in bytes (the SHA-256 output length). */
export const PSS_SALT = 32;

/** The scheme `scheme` names, refused unless `key` is a key pair of the algorithm it needs. */
export function schemeFor(key: { readonly id: string; readonly kcv: string; readonly attributes: KeyAttributes }, scheme: SignatureScheme, isPair = true): Scheme {
  if (typeof scheme !== 'string' || !Object.hasOwn(SCHEMES, scheme)) throw new HsmError('ERR_HSM_PARAM', `unknown signature scheme ${JSON.stringify(scheme)?.slice(0, 24)}`);
  const s = SCHEMES[scheme];
  if (!isPair || key.attributes.algorithm !== s.algorithm) {
    throw new HsmError('ERR_HSM_USAGE', `key ${key.id} (KCV ${key.kcv}) is not ${s.algorithm === 'R' ? 'an RSA' : 'an EC'} key, which ${scheme} needs`);
  }
  return s;
}

/** The attributes of a new signing key pair (usage S0, S1 or S2; mode S; never exportable). */
export function keyPairAttributes(spec: AsymmetricKeySpec, ctx: OperationContext): KeyAttributes {
  if (typeof spec !== 'object' || spec === null) throw new HsmError('ERR_HSM_PARAM', 'key pair spec: expected an object');
  if (spec.usage !== 'S0' && spec.usage !== 'S1' && spec.usage !== 'S2') throw new HsmError('ERR_HSM_PARAM', 'key pair usage: S0, S1 or S2');
  if (spec.algorithm !== 'R' && spec.algorithm !== 'E') throw new HsmError('ERR_HSM_PARAM', 'key pair algorithm: R (RSA) or E (EC)');
  checkOwnerAndLabel(spec.owner, spec.label, ctx);
  return {
    usage: spec.usage, algorithm: spec.algorithm, modeOfUse: 'S', exportability: 'N', length: spec.size,
    version: 0, owner: spec.owner, label: spec.label, class: 'hsm',
  };
}

/** Whether `signature` over `data` verifies under `publicKey` by `scheme` (a malformed signature does not). */
export function verifyWithPublicKey(publicKey: KeyObject, data: Uint8Array, signature: Uint8Array, scheme: SignatureScheme, s: Scheme): boolean {
  if (!(signature instanceof Uint8Array)) throw new HsmError('ERR_HSM_PARAM', 'signature: expected a Uint8Array');
  if (scheme === 'iso9796-2-sha1') return verifyIso9796(publicKey, data, signature);
  const options = s.padding === undefined ? { key: publicKey } : { key: publicKey, padding: s.padding, saltLength: PSS_SALT };
  try {
    return nodeVerify(s.hash, data, options, signature);
  } catch {
    return false; // a malformed signature (e.g. not DER) is a signature that does not verify
  }
}
