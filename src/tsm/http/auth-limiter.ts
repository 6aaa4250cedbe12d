/**
 * Rate limiting of failed authentications (docs/service.md §3): after `maxFailures` failures of one
 * key (a known client id, or a source address for malformed or unknown credentials) within
 * `windowMs`, the key is refused for a backoff — `backoffMs` the first time, doubled for each lockout
 * that follows without a success in between, at most `maxBackoffMs`. A refused attempt is not
 * counted (the lockout is not prolonged by a client that keeps trying), and a success resets the
 * key. In memory and per process: a bounded map (`maxEntries`, least recently touched evicted first).
 */

export interface AuthLimiterOptions {
  /** Failures within the window that start a lockout (default 10). */
  readonly maxFailures?: number;
  /** The window failures are counted in, ms (default 60 s). */
  readonly windowMs?: number;
  /** The first lockout, ms (default 60 s); each next one doubles. */
  readonly backoffMs?: number;
  /** The longest lockout, ms (default 15 min). */
  readonly maxBackoffMs?: number;
  /** Keys remembered at most (default 10,000). */
  readonly maxEntries?: number;
  /** The clock, ms since the epoch (tests pass a fake one). */
  readonly now?: () => number;
}

interface Entry {
  /** Times of the failures in the current window (at most maxFailures). */
  failures: number[];
  blockedUntil: number;
  lockouts: number;
}

/** What a failure did: `retryAfterSeconds` when it started a lockout. */
export interface FailureOutcome {
  readonly lockedOut: boolean;
  readonly retryAfterSeconds?: number;
}

export class AuthLimiter {
  readonly #max: number;
  readonly #window: number;
  readonly #backoff: number;
  readonly #maxBackoff: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();

  constructor(options: AuthLimiterOptions = {}) {
    this.#max = options.maxFailures ?? 10;
    this.#window = options.windowMs ?? 60_000;
    this.#backoff = options.backoffMs ?? 60_000;
    this.#maxBackoff = options.maxBackoffMs ?? 15 * 60_000;
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#now = options.now ?? Date.now;
    for (const [name, v] of [['maxFailures', this.#max], ['windowMs', this.#window], ['backoffMs', this.#backoff], ['maxBackoffMs', this.#maxBackoff], ['maxEntries', this.#maxEntries]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`AuthLimiter: ${name} must be a positive integer`);
    }
  }

  /** Keys remembered now. */
  get size(): number {
    return this.#entries.size;
  }

  /** Seconds until `key` may try again, or undefined when it is not locked out. */
  retryAfter(key: string): number | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    const left = entry.blockedUntil - this.#now();
    return left > 0 ? Math.ceil(left / 1000) : undefined;
  }

  /** Records a failed attempt of `key` (not locked out: check `retryAfter` first). */
  failure(key: string): FailureOutcome {
    const now = this.#now();
    const entry = this.#touch(key);
    // A lockout long over, with no failure since, is forgiven: the next one starts from the first backoff.
    if (entry.lockouts > 0 && entry.blockedUntil > 0 && now - entry.blockedUntil > this.#maxBackoff) entry.lockouts = 0;
    entry.failures = entry.failures.filter((t) => now - t < this.#window);
    entry.failures.push(now);
    if (entry.failures.length < this.#max) return { lockedOut: false };
    const backoff = Math.min(this.#backoff * 2 ** Math.min(entry.lockouts, 30), this.#maxBackoff);
    entry.lockouts += 1;
    entry.failures = [];
    entry.blockedUntil = now + backoff;
    return { lockedOut: true, retryAfterSeconds: Math.ceil(backoff / 1000) };
  }

  /** A successful authentication of `key`: its failures and lockouts are forgotten. */
  success(key: string): void {
    this.#entries.delete(key);
  }

  /** The entry of `key`, moved to the most recently touched end; the least recently touched evicted when full. */
  #touch(key: string): Entry {
    let entry = this.#entries.get(key);
    if (entry !== undefined) {
      this.#entries.delete(key);
    } else {
      entry = { failures: [], blockedUntil: 0, lockouts: 0 };
      while (this.#entries.size >= this.#maxEntries) {
        const oldest = this.#entries.keys().next();
        if (oldest.done === true) break;
        this.#entries.delete(oldest.value);
      }
    }
    this.#entries.set(key, entry);
    return entry;
  }
}
