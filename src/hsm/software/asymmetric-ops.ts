/**
 * Asymmetric operations: key pairs (RSA 2048–4096, EC P-256) whose private key is sealed under the
 * LMK like any key (asymmetric-keys.ts), signatures in the interface's schemes, and the public key
 * as SPKI DER.
 *
 * Schemes: RSASSA-PKCS1-v1_5 with SHA-1 or SHA-256 and RSASSA-PSS with SHA-256, salt 32 bytes,
 * MGF1-SHA-256 (RFC 8017 §8); ECDSA with SHA-256 (FIPS 186-4), DER-encoded (r, s); ISO/IEC 9796-2
 * scheme 1 with SHA-1 for EMV (shared/iso9796-2.ts: `data` is the whole message, MSG1 ‖ MSG2).
 */
import { constants, createPublicKey, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { fromHex, wipe } from '../../bytes/index.ts';
import type { OperationContext } from '../context.ts';
import { HsmError } from '../errors.ts';
import type { AsymmetricKeySpec, SignatureScheme } from '../hsm.ts';
import type { KeyAttributes, KeyHandle } from '../key-attributes.ts';
import type { Trail } from '../shared/audit-trail.ts';
import { generatePrivateKey, parsePrivateKey } from './asymmetric-keys.ts';
import type { SoftwareCore } from './core.ts';
import { MAX_DATA_BYTES } from './general-ops.ts';
import { publicKeyKcv } from '../shared/key-check.ts';
import { checkOwnerAndLabel } from '../shared/key-spec.ts';
import type { LoadedKey } from './key-vault.ts';
import { signIso9796, verifyIso9796 } from '../shared/iso9796-2.ts';

/** Each scheme: the key algorithm it needs, and how node:crypto runs it. */
const SCHEMES = {
  'rsa-pkcs1-sha1': { algorithm: 'R', hash: 'sha1', padding: constants.RSA_PKCS1_PADDING },
  'rsa-pkcs1-sha256': { algorithm: 'R', hash: 'sha256', padding: constants.RSA_PKCS1_PADDING },
  'rsa-pss-sha256': { algorithm: 'R', hash: 'sha256', padding: constants.RSA_PKCS1_PSS_PADDING },
  'ecdsa-sha256': { algorithm: 'E', hash: 'sha256', padding: undefined },
  'iso9796-2-sha1': { algorithm: 'R', hash: 'sha1', padding: undefined },
} as const satisfies Record<SignatureScheme, { algorithm: 'R' | 'E'; hash: string; padding: number | undefined }>;

const PSS_SALT = 32;

export async function generateKeyPair(core: SoftwareCore, spec: AsymmetricKeySpec, ctx: OperationContext, trail: Trail): Promise<KeyHandle> {
  if (typeof spec !== 'object' || spec === null) throw new HsmError('ERR_HSM_PARAM', 'key pair spec: expected an object');
  if (spec.usage !== 'S0' && spec.usage !== 'S1' && spec.usage !== 'S2') throw new HsmError('ERR_HSM_PARAM', 'key pair usage: S0, S1 or S2');
  if (spec.algorithm !== 'R' && spec.algorithm !== 'E') throw new HsmError('ERR_HSM_PARAM', 'key pair algorithm: R (RSA) or E (EC)');
  checkOwnerAndLabel(spec.owner, spec.label, ctx);
  const pair = await generatePrivateKey(spec.algorithm, spec.size);
  const attributes: KeyAttributes = {
    usage: spec.usage, algorithm: spec.algorithm, modeOfUse: 'S', exportability: 'N', length: spec.size,
    version: 0, owner: spec.owner, label: spec.label, class: 'hsm',
  };
  try {
    const record = await core.vault.create(attributes, pair.der, publicKeyKcv(pair.spki), pair.spki);
    trail.key(record.id, record.kcv);
    return core.vault.handle(record);
  } finally {
    wipe(pair.der);
  }
}

function schemeFor(key: LoadedKey, scheme: SignatureScheme): (typeof SCHEMES)[SignatureScheme] {
  if (typeof scheme !== 'string' || !Object.hasOwn(SCHEMES, scheme)) throw new HsmError('ERR_HSM_PARAM', `unknown signature scheme ${JSON.stringify(scheme)?.slice(0, 24)}`);
  const s = SCHEMES[scheme];
  if (key.record.attributes.algorithm !== s.algorithm) {
    throw new HsmError('ERR_HSM_USAGE', `key ${key.record.id} (KCV ${key.record.kcv}) is not ${s.algorithm === 'R' ? 'an RSA' : 'an EC'} key, which ${scheme} needs`);
  }
  return s;
}

function checkData(data: unknown): asserts data is Uint8Array {
  if (!(data instanceof Uint8Array) || data.length > MAX_DATA_BYTES) throw new HsmError('ERR_HSM_PARAM', `data: a Uint8Array of at most ${MAX_DATA_BYTES} bytes`);
}

/** Runs `fn` with the private KeyObject of an asymmetric record (parsed inside the vault's loan). */
export function withPrivateKey<T>(core: SoftwareCore, key: LoadedKey, fn: (privateKey: KeyObject) => T): T {
  const algorithm = key.record.attributes.algorithm;
  if (algorithm !== 'R' && algorithm !== 'E') throw new HsmError('ERR_HSM_USAGE', `key ${key.record.id} is not an asymmetric key`);
  return core.vault.withKey(key.record, (der) => fn(parsePrivateKey(algorithm, der).privateKey));
}

export async function sign(core: SoftwareCore, id: string, data: Uint8Array, scheme: SignatureScheme, ctx: OperationContext, trail: Trail): Promise<Uint8Array> {
  checkData(data);
  const key = await core.vault.usable(id, 'sign', ctx, trail);
  const s = schemeFor(key, scheme);
  trail.detail = scheme;
  return withPrivateKey(core, key, (privateKey) => {
    if (scheme === 'iso9796-2-sha1') return signIso9796(privateKey, data);
    const options = s.padding === undefined ? { key: privateKey } : { key: privateKey, padding: s.padding, saltLength: PSS_SALT };
    return new Uint8Array(nodeSign(s.hash, data, options));
  });
}

/** The public KeyObject of an asymmetric record, after checking the record against its sealed block. */
function publicKeyOf(core: SoftwareCore, key: LoadedKey): { publicKey: KeyObject; spki: Uint8Array } {
  const algorithm = key.record.attributes.algorithm;
  if ((algorithm !== 'R' && algorithm !== 'E') || key.record.publicKey === undefined) throw new HsmError('ERR_HSM_USAGE', `key ${key.record.id} is not an asymmetric key`);
  core.vault.withKey(key.record, () => undefined); // the public key must be the one bound under the LMK
  const spki = fromHex(key.record.publicKey);
  return { publicKey: createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }), spki };
}

export async function verify(core: SoftwareCore, id: string, data: Uint8Array, signature: Uint8Array, scheme: SignatureScheme, ctx: OperationContext, trail: Trail): Promise<boolean> {
  checkData(data);
  if (!(signature instanceof Uint8Array)) throw new HsmError('ERR_HSM_PARAM', 'signature: expected a Uint8Array');
  const key = await core.vault.usable(id, 'verify', ctx, trail);
  const s = schemeFor(key, scheme);
  const { publicKey } = publicKeyOf(core, key);
  let ok: boolean;
  if (scheme === 'iso9796-2-sha1') ok = verifyIso9796(publicKey, data, signature);
  else {
    const options = s.padding === undefined ? { key: publicKey } : { key: publicKey, padding: s.padding, saltLength: PSS_SALT };
    try {
      ok = nodeVerify(s.hash, data, options, signature);
    } catch {
      ok = false; // a malformed signature (e.g. not DER) is a signature that does not verify
    }
  }
  trail.detail = `${scheme}: ${ok ? 'verified' : 'did not verify'}`;
  return ok;
}

export async function exportPublicKey(core: SoftwareCore, id: string, ctx: OperationContext, trail: Trail): Promise<Uint8Array> {
  const key = await core.vault.load(id, ctx, trail);
  return publicKeyOf(core, key).spki;
}
