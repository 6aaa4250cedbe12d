/**
 * Credentials verified recently, so that a client's every request does not cost an HSM call and an
 * audit event (docs/service.md §3; docs/performance.md). What is kept is not the secret: an
 * HMAC-SHA-256, under a random key that exists only in this process, of the client id, the secret
 * and the stored secret hash — so a changed secret no longer matches, and a memory dump yields
 * nothing that authenticates elsewhere. Entries expire after `ttlMs` (default 60 s); the store is
 * still read on every request, so disabling a client takes effect at once.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface VerifiedCredentialsOptions {
  /** How long a verification is trusted, in ms (default 60 000). */
  readonly ttlMs?: number;
  /** Most clients remembered (default 10 000; the least recently used goes first). */
  readonly maxEntries?: number;
  readonly now?: () => number;
}

export class VerifiedCredentials {
  readonly #key = randomBytes(32);
  readonly #entries = new Map<string, { readonly tag: Buffer; readonly expiresAt: number }>();
  readonly #ttl: number;
  readonly #max: number;
  readonly #now: () => number;

  constructor(options: VerifiedCredentialsOptions = {}) {
    this.#ttl = options.ttlMs ?? 60_000;
    this.#max = options.maxEntries ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  #tag(clientId: string, secret: string, secretHash: string): Buffer {
    return createHmac('sha256', this.#key).update(`${clientId}\n${secret}\n${secretHash}`).digest();
  }

  /** Whether `secret` of `clientId` (stored hash `secretHash`) was verified within the TTL. */
  matches(clientId: string, secret: string, secretHash: string): boolean {
    const entry = this.#entries.get(clientId);
    if (entry === undefined) return false;
    if (entry.expiresAt <= this.#now()) {
      this.#entries.delete(clientId);
      return false;
    }
    const ok = timingSafeEqual(entry.tag, this.#tag(clientId, secret, secretHash));
    if (ok) {
      this.#entries.delete(clientId); // most recently used last
      this.#entries.set(clientId, entry);
    }
    return ok;
  }

  /** Remembers a verification the HSM just made. */
  remember(clientId: string, secret: string, secretHash: string): void {
    this.#entries.delete(clientId);
    this.#entries.set(clientId, { tag: this.#tag(clientId, secret, secretHash), expiresAt: this.#now() + this.#ttl });
    while (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value!);
  }

  get size(): number {
    return this.#entries.size;
  }
}
