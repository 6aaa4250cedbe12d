/**
 * Stored keys of the software HSM: records in a KeyRecordStore, their secret a TR-31 block under
 * the LMK (record-seal.ts). The vault loads a record for a tenant, checks it against the usage
 * policy, and lends its clear key to one synchronous function, wiping it afterwards unless the key
 * cache keeps it (key-cache.ts says what stays in memory and for how long). Nothing here returns
 * a clear key to a caller outside this folder.
 */
import { randomUUID } from 'node:crypto';
import { fromHex, toHex } from '../../bytes/index.ts';
import type { HeldKey, KeyBlockHeader } from '../../crypto/index.ts';
import type { OperationContext } from '../context.ts';
import { HsmError } from '../errors.ts';
import type { KeyAttributes, KeyHandle } from '../key-attributes.ts';
import type { KeyRecord, KeyRecordStore } from '../key-record-store.ts';
import { assertUsable, type KeyOperation } from '../usage-policy.ts';
import type { Trail } from '../shared/audit-trail.ts';
import type { CacheEntry, KeyCache } from './key-cache.ts';
import { kcvOf, publicKeyHash, publicKeyKcv } from '../shared/key-check.ts';
import type { LmkRing } from './lmk-ring.ts';
import { boundPublicKeyHash, checkRecordAgainstHeader, sealHeader, type LiveStatus } from './record-seal.ts';

/** A live record and the handle the world sees of it. */
export interface LoadedKey {
  readonly record: KeyRecord;
  readonly handle: KeyHandle;
}

const SYMMETRIC: ReadonlySet<string> = new Set(['T', 'A', 'H']);

export class KeyVault {
  readonly store: KeyRecordStore;
  readonly ring: LmkRing;
  readonly cache: KeyCache | undefined;
  readonly #handles = new WeakMap<KeyRecord, KeyHandle>();

  constructor(store: KeyRecordStore, ring: LmkRing, cache: KeyCache | undefined) {
    this.store = store;
    this.ring = ring;
    this.cache = cache;
  }

  /** The frozen handle of a live record. */
  handle(record: KeyRecord): KeyHandle {
    let handle = this.#handles.get(record);
    if (handle === undefined) {
      if (record.status === 'destroyed') throw new HsmError('ERR_HSM_STATE', `key ${record.id} was destroyed`);
      handle = Object.freeze({ kind: 'key-handle', id: record.id, attributes: Object.freeze({ ...record.attributes }), kcv: record.kcv, status: record.status });
      this.#handles.set(record, handle);
    }
    return handle;
  }

  /** Loads live key `id` of `ctx.tenant` (not found, destroyed or another tenant's: refused). */
  async load(id: string, ctx: OperationContext, trail: Trail): Promise<LoadedKey> {
    if (typeof id !== 'string' || id.length === 0) throw new HsmError('ERR_HSM_PARAM', 'key id: expected a non-empty string');
    const record = await this.store.getKey(id);
    if (record === undefined) throw new HsmError('ERR_HSM_KEY_NOT_FOUND', `no key ${id.slice(0, 80)}`);
    trail.key(record.id, record.kcv);
    if (record.attributes.owner !== ctx.tenant) throw new HsmError('ERR_HSM_TENANT', `key ${record.id} belongs to another tenant`);
    if (record.status === 'destroyed' || record.keyBlock.length === 0) throw new HsmError('ERR_HSM_STATE', `key ${record.id} was destroyed`);
    return { record, handle: this.handle(record) };
  }

  /** Loads key `id` and checks that it may do `operation` for `ctx` (usage-policy.ts). */
  async usable(id: string, operation: KeyOperation, ctx: OperationContext, trail: Trail): Promise<LoadedKey> {
    const loaded = await this.load(id, ctx, trail);
    assertUsable(loaded.handle, operation, ctx);
    return loaded;
  }

  /**
   * Runs `fn` with the clear key of `record`, after checking the record against its authenticated
   * block. `fn` must neither keep nor modify the key; it is wiped (or left to the cache) afterwards.
   */
  withKey<T>(record: KeyRecord, fn: (key: Uint8Array, header: KeyBlockHeader) => T): T {
    return this.#with(record, (key, header) => fn(key, header));
  }

  /**
   * As {@link KeyVault.withKey} for a 2- or 3-key TDES key that encrypts in ECB (an IMK deriving
   * ICC master keys): `fn` gets the cache entry's keyed cipher context as a HeldKey when the key is
   * cached (key-cache.ts), else the key bytes. The same rules: neither keep nor modify it.
   */
  withTdesKey<T>(record: KeyRecord, fn: (key: Uint8Array | HeldKey) => T): T {
    return this.#with(record, (key, _header, entry) => fn(entry === undefined ? key : entry.tdes()));
  }

  #with<T>(record: KeyRecord, fn: (key: Uint8Array, header: KeyBlockHeader, entry: CacheEntry | undefined) => T): T {
    const cache = SYMMETRIC.has(record.attributes.algorithm) ? this.cache : undefined;
    const hit = cache?.get(record);
    if (hit !== undefined) {
      if (!hit.checked(record)) {
        checkRecordAgainstHeader(record, hit.header, hit.kcv);
        hit.markChecked(record);
      }
      return hit.use(() => fn(hit.key, hit.header, hit));
    }
    const unwrapped = this.ring.unwrap(record.keyBlock, record.lmkKcv, `key record ${record.id}`);
    let kept = false;
    try {
      const kcv = this.#keyKcv(record, unwrapped.header, unwrapped.key, unwrapped.kcv);
      checkRecordAgainstHeader(record, unwrapped.header, kcv);
      if (cache === undefined) return fn(unwrapped.key, unwrapped.header, undefined);
      const entry = cache.put(record, { key: unwrapped.key, header: unwrapped.header, kcv });
      entry.markChecked(record);
      kept = true;
      return entry.use(() => fn(unwrapped.key, unwrapped.header, entry));
    } finally {
      if (!kept) unwrapped.wipe();
    }
  }

  /** The KCV the clear key implies, checking an asymmetric record's public key against the bound hash. */
  #keyKcv(record: KeyRecord, header: KeyBlockHeader, key: Uint8Array, blockKcv: string | undefined): string {
    const algorithm = record.attributes.algorithm;
    if (algorithm === 'R' || algorithm === 'E') {
      const bound = boundPublicKeyHash(header);
      const stated = record.publicKey === undefined || !/^([0-9A-F]{2})+$/.test(record.publicKey) ? undefined : publicKeyHash(fromHex(record.publicKey));
      if (bound === undefined || stated !== bound) {
        throw new HsmError('ERR_HSM_KEY_BLOCK', `key record ${record.id}: its public key disagrees with the key block under the LMK (edited store?)`);
      }
      return publicKeyKcv(fromHex(record.publicKey!));
    }
    return blockKcv ?? kcvOf(algorithm, key);
  }

  /** Seals `key` under the current LMK and stores a new active record. */
  async create(attributes: KeyAttributes, key: Uint8Array, kcv: string, publicKey?: Uint8Array): Promise<KeyRecord> {
    const id = randomUUID();
    const pkHash = publicKey === undefined ? undefined : publicKeyHash(publicKey);
    const { keyBlock, lmkKcv } = this.ring.wrap(key, sealHeader({ id, attributes, status: 'active', publicKeyHash: pkHash }));
    const now = new Date().toISOString();
    const record: KeyRecord = Object.freeze({
      id,
      attributes: Object.freeze({ ...attributes }),
      kcv,
      status: 'active',
      keyBlock,
      lmkKcv,
      publicKey: publicKey === undefined ? undefined : toHex(publicKey),
      createdAt: now,
      updatedAt: now,
    });
    await this.store.putKey(record);
    return record;
  }

  /** Re-seals a live record under the current LMK with `status` (retiring, or an LMK change). */
  async reseal(record: KeyRecord, status: LiveStatus): Promise<KeyRecord> {
    const pkHash = record.publicKey === undefined ? undefined : publicKeyHash(fromHex(record.publicKey));
    const header = sealHeader({ id: record.id, attributes: record.attributes, status, publicKeyHash: pkHash });
    const sealed = this.withKey(record, (key) => this.ring.wrap(key, header));
    const next: KeyRecord = Object.freeze({ ...record, status, ...sealed, updatedAt: new Date().toISOString() });
    this.cache?.evict(record.id);
    await this.store.putKey(next);
    return next;
  }

  /** Keeps the record as `destroyed`, with an empty key block, and wipes any cached copy. */
  async destroy(record: KeyRecord): Promise<void> {
    this.cache?.evict(record.id);
    await this.store.putKey(Object.freeze({ ...record, status: 'destroyed', keyBlock: '', lmkKcv: this.ring.currentKcv, updatedAt: new Date().toISOString() }));
  }
}
