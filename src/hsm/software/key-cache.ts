/**
 * A bounded, time-limited cache of unwrapped keys, so a hot key (an IMK-AC verifying thousands of
 * ARQCs a second) is not TR-31-unwrapped on every operation.
 *
 * What stays in memory, and for how long: the clear bytes of stored symmetric keys that were used
 * (never derived per-card or session keys, never asymmetric keys), at most `maxEntries` of them,
 * each for at most `ttlMs` after it was unwrapped. An entry is keyed by the record id AND its exact
 * key block and LMK KCV, so an edited, re-wrapped (LMK change) or rotated record misses and is
 * unwrapped and checked again. Entries are wiped (zeroed) when they expire (a sweep runs every
 * ttlMs / 2 on an unref'd timer), are evicted (oldest first), when their key is destroyed or
 * rotated, when an LMK is retired, and on `clear()` (SoftwareHsm.close()).
 */
import { wipe } from '../../bytes/index.ts';
import type { KeyBlockHeader } from '../../crypto/index.ts';

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

interface Entry extends CachedKey {
  readonly id: string;
  readonly expires: number;
}

export class KeyCache {
  readonly #entries = new Map<string, Entry>();
  readonly #ttlMs: number;
  readonly #max: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: KeyCacheOptions = {}) {
    this.#ttlMs = Math.max(1, options.ttlMs ?? 60_000);
    this.#max = Math.max(1, options.maxEntries ?? 1024);
  }

  static slot(id: string, lmkKcv: string, keyBlock: string): string {
    return `${id}\n${lmkKcv}\n${keyBlock}`;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The live entry in `slot`, if any (an expired one is wiped on the way). */
  get(slot: string): CachedKey | undefined {
    const entry = this.#entries.get(slot);
    if (entry === undefined) return undefined;
    if (entry.expires <= Date.now()) {
      this.#drop(slot, entry);
      return undefined;
    }
    return entry;
  }

  /** Keeps `value` (the cache owns and later wipes `value.key`). */
  put(slot: string, id: string, value: CachedKey): void {
    const old = this.#entries.get(slot);
    if (old !== undefined) this.#drop(slot, old);
    while (this.#entries.size >= this.#max) {
      const [oldestSlot, oldest] = this.#entries.entries().next().value as [string, Entry];
      this.#drop(oldestSlot, oldest);
    }
    this.#entries.set(slot, { ...value, id, expires: Date.now() + this.#ttlMs });
    this.#startSweeping();
  }

  /** Wipes every entry of key `id`. */
  evict(id: string): void {
    for (const [slot, entry] of this.#entries) if (entry.id === id) this.#drop(slot, entry);
  }

  /** Wipes every entry. */
  clear(): void {
    for (const [slot, entry] of this.#entries) this.#drop(slot, entry);
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #drop(slot: string, entry: Entry): void {
    wipe(entry.key);
    this.#entries.delete(slot);
  }

  #sweep(): void {
    const now = Date.now();
    for (const [slot, entry] of this.#entries) if (entry.expires <= now) this.#drop(slot, entry);
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
