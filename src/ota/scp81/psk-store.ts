/**
 * The SCP81 PSKs a TLS server may use, by PSK identity. node:tls asks for the key synchronously
 * inside the handshake (`pskCallback`), so it cannot wait for an HSM: the TSM reveals an SE's SCP81
 * key (the HSM's `revealProtocolKey`) into a `MemoryPskStore` just before it triggers the session,
 * with a short lifetime, and forgets it when the session ends. Keys print as a count, never bytes.
 */
import { inspect } from 'node:util';
import { assertBytes, copy, wipe } from '../../bytes/index.ts';
import { guard } from '../errors.ts';
import { refuse } from './header-values.ts';

/** The lookup node:tls calls during a handshake: the PSK for an identity, or undefined to refuse it. */
export interface PskStore {
  get(identity: string): Uint8Array | undefined;
}

/** PSK lengths accepted: AES-128/192/256 key sizes (GPC Amd B SCP81 key sets [M]). */
export const PSK_LENGTHS = [16, 24, 32] as const;
/** RFC 4279 §5.1 allows identities up to 2^16-1 bytes; cards use short ones, so 128 characters. */
export const MAX_PSK_IDENTITY_LENGTH = 128;
/** The longest a key may stay in memory. */
export const MAX_PSK_TTL_MS = 60 * 60 * 1000;

const IDENTITY = /^[\x20-\x7e]+$/;

/** A PSK identity: printable ASCII (RFC 4279 §5.1 allows UTF-8; SGP.02 identities are hex), 1..128 characters. */
export function checkPskIdentity(identity: unknown): string {
  if (typeof identity !== 'string' || identity.length === 0 || identity.length > MAX_PSK_IDENTITY_LENGTH || !IDENTITY.test(identity)) {
    refuse('caller', 'PSK identity', `expected 1..${MAX_PSK_IDENTITY_LENGTH} printable ASCII characters`);
  }
  return identity;
}

interface Entry {
  readonly key: Uint8Array;
  readonly expiresAt: number;
}

/**
 * An in-memory `PskStore` whose keys expire. `put` copies the key (the caller may wipe its own);
 * `forget` and expiry zero the copy.
 * @example
 * const store = new MemoryPskStore();
 * store.put('se-1', await hsm.revealProtocolKey(...), 60_000);
 * try { await trigger(); } finally { store.forget('se-1'); }
 */
export class MemoryPskStore implements PskStore {
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;

  constructor(options?: { now?: () => number }) {
    this.#now = options?.now ?? Date.now;
  }

  /** Holds `key` for `identity` for `ttlMs` milliseconds (1..MAX_PSK_TTL_MS); replaces (and wipes) an older key. */
  put(identity: string, key: Uint8Array, ttlMs: number): void {
    checkPskIdentity(identity);
    guard(() => assertBytes(key, PSK_LENGTHS, 'SCP81 PSK'));
    if (!Number.isInteger(ttlMs) || ttlMs < 1 || ttlMs > MAX_PSK_TTL_MS) refuse('caller', 'PSK lifetime', `expected 1..${MAX_PSK_TTL_MS} ms`);
    this.forget(identity);
    this.#entries.set(identity, { key: copy(key), expiresAt: this.#now() + ttlMs });
  }

  /** The key for `identity` while it lives; an expired key is wiped and gives undefined. */
  get(identity: string): Uint8Array | undefined {
    const entry = this.#entries.get(identity);
    if (entry === undefined) return undefined;
    if (this.#now() >= entry.expiresAt) {
      this.forget(identity);
      return undefined;
    }
    return entry.key;
  }

  /** Zeroes and drops the key for `identity`; true if there was one. */
  forget(identity: string): boolean {
    const entry = this.#entries.get(identity);
    if (entry === undefined) return false;
    wipe(entry.key);
    return this.#entries.delete(identity);
  }

  /** Zeroes and drops every key. */
  wipe(): void {
    for (const identity of [...this.#entries.keys()]) this.forget(identity);
  }

  /** How many keys are held (expired ones included until looked up or swept). */
  get size(): number {
    return this.#entries.size;
  }

  /** Wipes every expired key now. */
  sweep(): void {
    const now = this.#now();
    for (const [identity, entry] of [...this.#entries]) if (now >= entry.expiresAt) this.forget(identity);
  }

  toString(): string {
    return `MemoryPskStore(${this.#entries.size} keys)`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}
