/**
 * The unwrapped-key cache of the software HSM: clear symmetric keys kept in memory so a hot key
 * (an IMK, a zone key) is not unwrapped from its TR-31 block on every call. Bounded: symmetric
 * keys only (T, A, H blocks, never asymmetric keys), at most `maxEntries` of them, each for at
 * most `ttlMs` after it was unwrapped. One entry per record id, valid only for the exact key block
 * and LMK KCV it was unwrapped from, so an edited, re-wrapped (LMK change) or rotated record misses
 * and is unwrapped and checked again. Entries are wiped (zeroed, their cipher context finalised)
 * when they expire (a sweep runs every ttlMs / 2 on an unref'd timer), are evicted (oldest first),
 * when their key is destroyed or rotated, when an LMK is retired, and on `clear()`
 * (SoftwareHsm.close()).
 *
 * A hit costs one map lookup by id and two string comparisons; the record-against-header check is
 * skipped only for the very record object it already passed (a frozen record from the store,
 * which cannot have changed since).
 */
import { wipe } from '../../bytes/index.ts';
import { TdesEcbEncryptor, tdesCbcDecrypt, tdesCbcEncrypt, tdesCmac, tdesEcbDecrypt, type HeldKey, type HeldKeyCipherMode, type KeyBlockHeader } from '../../crypto/index.ts';
import { HsmError } from '../errors.ts';
import type { KeyRecord } from '../key-record-store.ts';

/** Cache limits. */
export interface KeyCacheOptions {
  /** How long an unwrapped key may stay in memory, in ms (default 60 000). */
  readonly ttlMs?: number;
  /** How many keys at most (default 1024). */
  readonly maxEntries?: number;
}

export interface CachedKey {
  readonly key: Uint8Array;
  readonly header: KeyBlockHeader;
  readonly kcv: string;
}

/** What a cache entry is valid for: the record fields that name the exact block unwrapped. */
type RecordRef = Pick<KeyRecord, 'id' | 'lmkKcv' | 'keyBlock'>;

/**
 * A cached double- or triple-length TDES key as a crypto/ HeldKey whose ECB encryption runs on one
 * keyed context (crypto/'s TdesEcbEncryptor: the key schedule computed on first use, wiped when the
 * entry is dropped): an IMK's ICC master key derivation (EMV Book 2 A1.4) then costs two block
 * encryptions, no key setup. Other modes run one-shot on the key bytes.
 */
class CachedTdesKey implements HeldKey {
  readonly kind = 'held-key' as const;
  readonly cipher = 'tdes' as const;
  readonly length: number;
  readonly #key: Uint8Array;
  readonly #kcv: string;
  #ecb: TdesEcbEncryptor | undefined;

  constructor(key: Uint8Array, kcv: string) {
    this.#key = key;
    this.#kcv = kcv;
    this.length = key.length;
  }

  encrypt(data: Uint8Array, mode: HeldKeyCipherMode): Uint8Array {
    if (mode.mode === 'cbc') return tdesCbcEncrypt(this.#key, data, { iv: mode.iv });
    this.#ecb ??= new TdesEcbEncryptor(this.#key);
    return this.#ecb.encrypt(data);
  }

  decrypt(data: Uint8Array, mode: HeldKeyCipherMode): Uint8Array {
    return mode.mode === 'cbc' ? tdesCbcDecrypt(this.#key, data, { iv: mode.iv }) : tdesEcbDecrypt(this.#key, data);
  }

  cmac(data: Uint8Array): Uint8Array {
    return tdesCmac(this.#key, data, { length: 8 });
  }

  destroy(): void {
    this.#ecb?.destroy();
    this.#ecb = undefined;
  }

  toString(): string {
    return `CachedTdesKey(KCV ${this.#kcv})`;
  }
}

/** A live cache entry: the clear key, its authenticated header, and what it is valid for. */
export class CacheEntry implements CachedKey {
  readonly key: Uint8Array;
  readonly header: KeyBlockHeader;
  readonly kcv: string;
  readonly id: string;
  readonly lmkKcv: string;
  readonly keyBlock: string;
  readonly expires: number;
  #checked: KeyRecord | undefined;
  #tdes: CachedTdesKey | undefined;
  #uses = 0;
  #dropped = false;

  constructor(ref: RecordRef, value: CachedKey, expires: number) {
    this.key = value.key;
    this.header = value.header;
    this.kcv = value.kcv;
    this.id = ref.id;
    this.lmkKcv = ref.lmkKcv;
    this.keyBlock = ref.keyBlock;
    this.expires = expires;
  }

  /** Whether `record` is the very (frozen) record object this entry was last checked against. */
  checked(record: KeyRecord): boolean {
    return this.#checked === record;
  }

  /** Remembers `record` as checked against the header, if it cannot change (frozen, with frozen attributes). */
  markChecked(record: KeyRecord): void {
    this.#checked = Object.isFrozen(record) && Object.isFrozen(record.attributes) ? record : undefined;
  }

  /** The key as a HeldKey with a kept ECB context (TDES keys of 16 or 24 bytes only). */
  tdes(): HeldKey {
    if (this.key.length !== 16 && this.key.length !== 24) throw new HsmError('ERR_HSM_PARAM', `cached key ${this.kcv}: not a 2- or 3-key TDES key`);
    this.#tdes ??= new CachedTdesKey(this.key, this.kcv);
    return this.#tdes;
  }

  /**
   * Runs `fn` with the entry in use: an entry dropped meanwhile (a nested call evicting the oldest
   * entry, as an SCP key set's three keys can) is wiped when the last use ends, not under `fn`.
   */
  use<T>(fn: () => T): T {
    this.#uses++;
    try {
      return fn();
    } finally {
      if (--this.#uses === 0 && this.#dropped) this.#wipeNow();
    }
  }

  /** Zeroes the key and finalises any cipher context built on it (once no call is using it). */
  wipe(): void {
    this.#dropped = true;
    if (this.#uses === 0) this.#wipeNow();
  }

  #wipeNow(): void {
    this.#tdes?.destroy();
    this.#tdes = undefined;
    this.#checked = undefined;
    wipe(this.key);
  }
}

export class KeyCache {
  readonly #entries = new Map<string, CacheEntry>();
  readonly #ttlMs: number;
  readonly #max: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: KeyCacheOptions = {}) {
    this.#ttlMs = Math.max(1, options.ttlMs ?? 60_000);
    this.#max = Math.max(1, options.maxEntries ?? 1024);
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The live entry for exactly this record's block under this LMK, if any (an expired one is wiped on the way). */
  get(record: RecordRef): CacheEntry | undefined {
    const entry = this.#entries.get(record.id);
    if (entry === undefined || entry.keyBlock !== record.keyBlock || entry.lmkKcv !== record.lmkKcv) return undefined;
    if (entry.expires <= Date.now()) {
      this.#drop(entry);
      return undefined;
    }
    return entry;
  }

  /** Keeps `value` for `record` (the cache owns and later wipes `value.key`), replacing any entry of that id. */
  put(record: RecordRef, value: CachedKey): CacheEntry {
    const old = this.#entries.get(record.id);
    if (old !== undefined) this.#drop(old);
    while (this.#entries.size >= this.#max) {
      const oldest = this.#entries.values().next().value as CacheEntry;
      this.#drop(oldest);
    }
    const entry = new CacheEntry(record, value, Date.now() + this.#ttlMs);
    this.#entries.set(record.id, entry);
    this.#startSweeping();
    return entry;
  }

  /** Wipes the entry of key `id`. */
  evict(id: string): void {
    const entry = this.#entries.get(id);
    if (entry !== undefined) this.#drop(entry);
  }

  /** Wipes every entry. */
  clear(): void {
    for (const entry of this.#entries.values()) this.#drop(entry);
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #drop(entry: CacheEntry): void {
    entry.wipe();
    if (this.#entries.get(entry.id) === entry) this.#entries.delete(entry.id);
  }

  #sweep(): void {
    const now = Date.now();
    for (const entry of this.#entries.values()) if (entry.expires <= now) this.#drop(entry);
    if (this.#entries.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  #startSweeping(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.#sweep(), Math.max(1, Math.floor(this.#ttlMs / 2)));
    this.#timer.unref();
  }
}
