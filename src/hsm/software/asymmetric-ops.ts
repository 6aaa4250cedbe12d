/**
 * Asymmetric operations: key pairs (RSA 2048–4096, EC P-256) whose private key is sealed under the
 * LMK like any key (asymmetric-keys.ts), signatures in the interface's schemes, and the public key
 * as SPKI DER.
 *
 * Schemes: shared/signature-schemes.ts (RFC 8017 PKCS#1 v1.5 and PSS, FIPS 186-4 ECDSA, ISO/IEC 9796-2
 * scheme 1 for EMV); signing runs here on the private key opened from its sealed block.
 */
import { createPublicKey, sign as nodeSign, type KeyObject } from 'node:crypto';
import { fromHex, wipe } from '../../bytes/index.ts';
import type { OperationContext } from '../context.ts';
import { HsmError } from '../errors.ts';
import type { AsymmetricKeySpec, SignatureScheme } from '../hsm.ts';
import type { KeyHandle } from '../key-attributes.ts';
import type { Trail } from '../shared/audit-trail.ts';
import { generatePrivateKey, parsePrivateKey } from './asymmetric-keys.ts';
import type { SoftwareCore } from './core.ts';
import { MAX_DATA_BYTES } from './general-ops.ts';
import { publicKeyKcv } from '../shared/key-check.ts';
import type { LoadedKey } from './key-vault.ts';
import { signIso9796 } from '../shared/iso9796-2.ts';
import { PSS_SALT, keyPairAttributes, schemeFor, verifyWithPublicKey } from '../shared/signature-schemes.ts';

export async function generateKeyPair(core: SoftwareCore, spec: AsymmetricKeySpec, ctx: OperationContext, trail: Trail): Promise<KeyHandle> {
  const attributes = keyPairAttributes(spec, ctx);
  const pair = await generatePrivateKey(spec.algorithm, spec.size, spec.usage);
  try {
    const record = await core.vault.create(attributes, pair.der, publicKeyKcv(pair.spki), pair.spki);
    trail.key(record.id, record.kcv);
    return core.vault.handle(record);
  } finally {
    wipe(pair.der);
  }
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
  const s = schemeFor(key.record, scheme);
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
  const s = schemeFor(key.record, scheme);
  const { publicKey } = publicKeyOf(core, key);
  const ok = verifyWithPublicKey(publicKey, data, signature, scheme, s);
  trail.detail = `${scheme}: ${ok ? 'verified' : 'did not verify'}`;
  return ok;
}

export async function exportPublicKey(core: SoftwareCore, id: string, ctx: OperationContext, trail: Trail): Promise<Uint8Array> {
  const key = await core.vault.load(id, ctx, trail);
  return publicKeyOf(core, key).spki;
}
