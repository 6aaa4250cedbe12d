/**
 * OpenTSM's keys on the token: each a key object (secret key, or private + public key) with
 * CKA_ID = the key id, and its metadata object (metadata.ts). Loading checks the owner against the
 * tenant and the usage policy before anything is used (assertUsable, as the software backend).
 *
 * Crash safety: a key object is created before its metadata and destroyed after its tombstone is
 * written, so an interruption leaves at worst a key object without metadata (invisible to OpenTSM,
 * still non-extractable; removable with the token's tools by its CKA_ID) — never a usable key whose
 * attributes are unknown.
 *
 * An M3 double-length TDES key has a second secret key object with its CKA_ID: its retail MAC
 * companion (K1‖K1, retail-mac.ts), told apart by its CKA_LABEL, created with the key (before the
 * metadata) and destroyed with it (after the tombstone).
 */
import { randomUUID } from 'node:crypto';
import { toHex, wipe } from '../../bytes/index.ts';
import type { HeldKey } from '../../crypto/index.ts';
import { withOddParity } from '../../emv/index.ts';
import type { OperationContext } from '../context.ts';
import { HsmError } from '../errors.ts';
import type { KeyAttributes, KeyHandle } from '../key-attributes.ts';
import { assertUsable, type KeyOperation } from '../usage-policy.ts';
import type { Trail } from '../shared/audit-trail.ts';
import { assertNotWeak } from '../shared/key-check.ts';
import { CKA, CKM, CKO, CKR, type Pkcs11Attribute } from './ck.ts';
import { ckrOf } from './binding.ts';
import { heldKey } from './held.ts';
import { companionLabel, companionSearch, createCompanion, needsCompanion } from './retail-mac.ts';
import { decodeMetadata, handleOf, isKeyId, latest, metadataSearch, metadataTemplate, STATUS_RANK, type KeyMetadata, type TokenKeyStatus } from './metadata.ts';
import { keyIdAttribute, keyPairTemplates, secretKeyTemplate, secretKeyType, type TemplateOptions } from './templates.ts';
import type { Token } from './token.ts';

/** A live key: its metadata, handle and token objects. */
export interface TokenKey {
  readonly meta: KeyMetadata;
  readonly handle: KeyHandle;
  /** The secret key object, or the private key of a pair. */
  readonly object: Buffer;
  /** The public key object of a pair. */
  readonly publicObject: Buffer | undefined;
}

/**
 * A fresh double-length TDES value from the token's RNG (C_GenerateRandom), odd parity, no weak or
 * repeated DES part. HOST MEMORY: returned to the caller, who wipes it after C_CreateObject.
 */
function randomTdes16(token: Token): Uint8Array {
  for (;;) {
    const raw = token.random(16);
    const key = withOddParity(raw);
    wipe(raw);
    try {
      assertNotWeak('T', key, 'generated key');
      return key;
    } catch {
      wipe(key); // a weak or repeated part (probability about 2^-52): draw again
    }
  }
}

const ZERO8 = new Uint8Array(8);
const ZERO16 = new Uint8Array(16);

/** The 3-byte KCV of a secret key object, computed in the token (the same values as shared/key-check.ts). */
function tokenKcv(token: Token, object: Buffer, algorithm: string): string {
  let check: Uint8Array;
  switch (algorithm) {
    case 'T': // ANSI X9.24-1: 3DES of 8 zero bytes
      check = token.encrypt({ mechanism: CKM.DES3_ECB }, object, ZERO8);
      break;
    case 'A': // X9.24-1:2017: AES-CMAC of 16 zero bytes
      check = token.sign({ mechanism: CKM.AES_CMAC }, object, ZERO16, 16);
      break;
    case 'H': // OpenTSM's convention (shared/key-check.ts): HMAC-SHA-256 of 16 zero bytes
      check = token.sign({ mechanism: CKM.SHA256_HMAC }, object, ZERO16, 32);
      break;
    default:
      throw new HsmError('ERR_HSM_UNSUPPORTED', `no KCV for algorithm ${algorithm}`);
  }
  return toHex(check.subarray(0, 3));
}

export class TokenKeys {
  readonly #token: Token;
  readonly #options: TemplateOptions;

  constructor(token: Token, options: TemplateOptions) {
    this.#token = token;
    this.#options = options;
  }

  /** The metadata objects of key `id` and the latest metadata among them. */
  #metadata(id: string): { meta: KeyMetadata; objects: Buffer[] } | undefined {
    const objects = this.#token.find(metadataSearch(id));
    if (objects.length === 0) return undefined;
    const versions = objects.map((o) => decodeMetadata(new Uint8Array(this.#token.attributes(o, [CKA.VALUE]).get(CKA.VALUE) ?? Buffer.alloc(0)), id));
    return { meta: latest(versions)!, objects };
  }

  #object(id: string, objectClass: number): Buffer | undefined {
    let found = this.#token.find([{ type: CKA.CLASS, value: objectClass }, { type: CKA.ID, value: keyIdAttribute(id) }]);
    if (found.length > 1 && objectClass === CKO.SECRET_KEY) {
      // the key and its retail MAC companion share the CKA_ID; the companion's label sets it apart
      const label = companionLabel(id);
      found = found.filter((o) => this.#token.attributes(o, [CKA.LABEL]).get(CKA.LABEL)?.toString('utf8') !== label);
    }
    if (found.length > 1) throw new HsmError('ERR_HSM_KEY_BLOCK', `the token holds ${found.length} key objects with the id of key ${id}: edited token?`);
    return found[0];
  }

  /** Loads live key `id` of `ctx.tenant` (not found, destroyed or another tenant's: refused). */
  load(id: string, ctx: OperationContext, trail: Trail): TokenKey {
    if (typeof id !== 'string' || id.length === 0) throw new HsmError('ERR_HSM_PARAM', 'key id: expected a non-empty string');
    const found = isKeyId(id) ? this.#metadata(id) : undefined;
    if (found === undefined) throw new HsmError('ERR_HSM_KEY_NOT_FOUND', `no key ${id.slice(0, 80)}`);
    const { meta } = found;
    trail.key(meta.id, meta.kcv);
    if (meta.attributes.owner !== ctx.tenant) throw new HsmError('ERR_HSM_TENANT', `key ${meta.id} belongs to another tenant`);
    if (meta.status === 'destroyed') throw new HsmError('ERR_HSM_STATE', `key ${meta.id} was destroyed`);
    const object = this.#object(id, meta.kind === 'pair' ? CKO.PRIVATE_KEY : CKO.SECRET_KEY);
    const publicObject = meta.kind === 'pair' ? this.#object(id, CKO.PUBLIC_KEY) : undefined;
    if (object === undefined || (meta.kind === 'pair' && publicObject === undefined)) {
      throw new HsmError('ERR_HSM_KEY_BLOCK', `key ${meta.id} (KCV ${meta.kcv}) has metadata but no key object on the token: edited token?`);
    }
    return { meta, handle: handleOf(meta), object, publicObject };
  }

  /** Loads key `id` and checks that it may do `operation` for `ctx` (usage-policy.ts). */
  usable(id: string, operation: KeyOperation, ctx: OperationContext, trail: Trail): TokenKey {
    const key = this.load(id, ctx, trail);
    assertUsable(key.handle, operation, ctx);
    return key;
  }

  /** The metadata of every live key of `owner`, optionally filtered by usage and label. */
  list(owner: string, filter: { readonly usage?: string | undefined; readonly label?: string | undefined }): KeyMetadata[] {
    const byId = new Map<string, KeyMetadata[]>();
    for (const object of this.#token.find(metadataSearch())) {
      const attrs = this.#token.attributes(object, [CKA.LABEL, CKA.VALUE]);
      const id = (attrs.get(CKA.LABEL) ?? Buffer.alloc(0)).toString('utf8');
      const meta = decodeMetadata(new Uint8Array(attrs.get(CKA.VALUE) ?? Buffer.alloc(0)), id);
      byId.set(id, [...(byId.get(id) ?? []), meta]);
    }
    return [...byId.values()]
      .map((versions) => latest(versions)!)
      .filter((m) => m.status !== 'destroyed' && m.attributes.owner === owner)
      .filter((m) => (filter.usage === undefined || m.attributes.usage === filter.usage) && (filter.label === undefined || m.attributes.label === filter.label))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  #record(id: string, kind: KeyMetadata['kind'], attributes: KeyAttributes, kcv: string, objects: readonly Buffer[], companions: readonly Buffer[] = []): TokenKey {
    const now = new Date().toISOString();
    const meta: KeyMetadata = Object.freeze({ id, kind, attributes: Object.freeze({ ...attributes }), kcv, status: 'active', createdAt: now, updatedAt: now });
    try {
      this.#token.create(metadataTemplate(meta));
    } catch (e) {
      for (const o of [...objects, ...companions]) this.#token.destroy(o);
      throw e;
    }
    return { meta, handle: handleOf(meta), object: objects[0]!, publicObject: objects[1] };
  }

  /**
   * Creates a secret key: generated in the token (`value` undefined), or from `value` (key bytes
   * composed in host memory, which the caller wipes right after this call — C_CreateObject copies
   * them into the token). Its KCV is computed in the token. An M3 double-length TDES key gets its
   * retail MAC companion (retail-mac.ts) from the same value.
   */
  createSecret(attributes: KeyAttributes, value?: Uint8Array): TokenKey {
    if (value === undefined && needsCompanion(attributes)) {
      // HOST MEMORY: a generated M3 key is drawn from the token's RNG into host memory, because its
      // companion needs K1 and the token cannot take a key object apart (retail-mac.ts); it is
      // there for the two C_CreateObject calls (key, companion) and wiped in `finally`.
      const generated = randomTdes16(this.#token);
      try {
        return this.createSecret(attributes, generated);
      } finally {
        wipe(generated);
      }
    }
    const id = randomUUID();
    const template = secretKeyTemplate(id, attributes, this.#options, value);
    const object = value === undefined
      ? this.#token.generateKey({ mechanism: secretKeyType(attributes.algorithm, attributes.length).generate }, template)
      : this.#token.create(template);
    let kcv: string;
    try {
      kcv = tokenKcv(this.#token, object, attributes.algorithm);
    } catch (e) {
      this.#token.destroy(object);
      if (ckrOf((e as { cause?: unknown }).cause) === CKR.KEY_SIZE_RANGE) {
        throw new HsmError('ERR_HSM_UNSUPPORTED', `the token has no ${attributes.algorithm === 'H' ? 'HMAC-SHA-256' : 'KCV mechanism'} for a ${attributes.length}-byte key (CKR_KEY_SIZE_RANGE)`);
      }
      throw e;
    }
    let companions: Buffer[] = [];
    if (value !== undefined && needsCompanion(attributes)) {
      try {
        companions = [createCompanion(this.#token, id, value)];
      } catch (e) {
        // a token that refuses the degenerate K1‖K1 object: the key is kept, without the retail MAC
        if (!(e instanceof HsmError) || e.code !== 'ERR_HSM_BACKEND') {
          this.#token.destroy(object);
          throw e;
        }
      }
    }
    return this.#record(id, 'secret', attributes, kcv, [object], companions);
  }

  /** Generates a signing key pair in the token; `kcvOf` computes the KCV from the public key objects. */
  createPair(attributes: KeyAttributes, kcvOf: (publicObject: Buffer) => string): TokenKey {
    const id = randomUUID();
    const templates = keyPairTemplates(id, attributes);
    const mechanism = attributes.algorithm === 'R' ? CKM.RSA_PKCS_KEY_PAIR_GEN : CKM.EC_KEY_PAIR_GEN;
    const pair = this.#token.generateKeyPair({ mechanism }, templates.publicKey, templates.privateKey);
    let kcv: string;
    try {
      kcv = kcvOf(pair.publicKey);
    } catch (e) {
      this.#token.destroy(pair.privateKey);
      this.#token.destroy(pair.publicKey);
      throw e;
    }
    return this.#record(id, 'pair', attributes, kcv, [pair.privateKey, pair.publicKey]);
  }

  /**
   * Creates an imported key pair from the key-type parts of its private and public objects (the
   * private parts are secret: the caller wipes their buffers after this call).
   */
  importPair(attributes: KeyAttributes, privateParts: Pkcs11Attribute[], publicParts: Pkcs11Attribute[], kcv: string): TokenKey {
    const id = randomUUID();
    const templates = keyPairTemplates(id, attributes);
    const drop = new Set([CKA.MODULUS_BITS, CKA.PUBLIC_EXPONENT, CKA.EC_PARAMS]); // generation-only parts
    const privateKey = this.#token.create([...templates.privateKey, ...privateParts]);
    let publicKey: Buffer;
    try {
      publicKey = this.#token.create([...templates.publicKey.filter((a) => !drop.has(a.type as 0x122)), ...publicParts]);
    } catch (e) {
      this.#token.destroy(privateKey);
      throw e;
    }
    return this.#record(id, 'pair', attributes, kcv, [privateKey, publicKey]);
  }

  /** Moves key `meta` forward to `status` (writes the new metadata, then removes the old). */
  setStatus(meta: KeyMetadata, status: TokenKeyStatus): KeyMetadata {
    if (STATUS_RANK[status] <= STATUS_RANK[meta.status]) throw new HsmError('ERR_HSM_STATE', `key ${meta.id} is already ${meta.status}`);
    const old = this.#token.find(metadataSearch(meta.id));
    const next: KeyMetadata = Object.freeze({ ...meta, status, updatedAt: new Date().toISOString() });
    this.#token.create(metadataTemplate(next));
    for (const o of old) this.#token.destroy(o);
    return next;
  }

  /** Destroys a key: tombstone first, then its key objects and retail MAC companion (C_DestroyObject). */
  destroy(key: TokenKey): void {
    this.setStatus(key.meta, 'destroyed');
    this.#token.destroy(key.object);
    if (key.publicObject !== undefined) this.#token.destroy(key.publicObject);
    for (const o of this.#token.find(companionSearch(key.meta.id))) this.#token.destroy(o);
  }

  /** Key `key`'s retail MAC companion (K1‖K1, retail-mac.ts), if it has one. */
  companion(key: TokenKey): Buffer | undefined {
    if (key.meta.kind !== 'secret') return undefined;
    const found = this.#token.find(companionSearch(key.meta.id));
    if (found.length > 1) throw new HsmError('ERR_HSM_KEY_BLOCK', `the token holds ${found.length} retail MAC companions of key ${key.meta.id}: edited token?`);
    return found[0];
  }

  /** The secret key `key` as a HeldKey (AES or TDES keys only). */
  held(key: TokenKey): HeldKey {
    const a = key.meta.attributes;
    if (key.meta.kind !== 'secret' || (a.algorithm !== 'A' && a.algorithm !== 'T')) {
      throw new HsmError('ERR_HSM_USAGE', `key ${key.meta.id} (KCV ${key.meta.kcv}) is not an AES or TDES key`);
    }
    return heldKey(this.#token, { object: key.object, cipher: a.algorithm === 'A' ? 'aes' : 'tdes', length: a.length, name: `${key.meta.id}, KCV ${key.meta.kcv}` });
  }

  /** Reads attributes of a key's objects (public values only: the token refuses sensitive ones). */
  read(object: Buffer, types: readonly number[]): Map<number, Buffer> {
    return this.#token.attributes(object, types);
  }

  /** The raw template search, for tests and diagnostics. */
  find(template: Pkcs11Attribute[]): Buffer[] {
    return this.#token.find(template);
  }
}
