/**
 * The SCP81 bearer (GPC Amd B over TLS-PSK) as a {@link CardBearer}: the TSM runs the admin
 * server; an SE's admin agent, woken by a trigger (the SMS of SCP80, later), connects with its PSK
 * and long-polls; while its session is open, `connect(seId)` gives a transport whose every
 * `transmit` is one script to the agent (scp81-session.ts). docs/scp81.md, "The TSM side".
 *
 * PSKs come from the HSM (`revealProtocolKey` of a `protocol-memory` key) into a MemoryPskStore just
 * before the trigger, with a lifetime, and are forgotten when the session ends: node:tls needs the
 * clear key synchronously in the handshake. The SE is the one the TLS session's PSK identity proved,
 * never what X-Admin-From claims.
 */
import { randomBytes } from 'node:crypto';
import type { ApduTransport } from '../../apdu/index.ts';
import { toHex, wipe } from '../../bytes/index.ts';
import type { Hsm, OperationContext } from '../../hsm/index.ts';
import { checkPskIdentity, MemoryPskStore, OtaError, startAdminServer, type AdminAnswer, type AdminServer, type AgentPost } from '../../ota/index.ts';
import { TsmError } from '../errors.ts';
import type { CardBearer } from '../model.ts';
import { END_SESSION, Scp81Session, type Scp81EndReason } from './scp81-session.ts';

/** Wakes an SE's admin agent (e.g. an SCP80 SMS with the session triggering parameters). */
export interface Scp81Trigger {
  trigger(seId: string): void | Promise<void>;
}

/** Which PSK identity an SE's agent uses and which `protocol-memory` key in the HSM is its PSK. */
export interface Scp81Registration {
  readonly identity: string;
  readonly keyId: string;
}

/** Configuration of a {@link Scp81Bearer}; everything but `hsm` and `ctx` has a default. */
export interface Scp81BearerOptions {
  /** Where the PSKs live (only `revealProtocolKey` is used). */
  readonly hsm: Pick<Hsm, 'revealProtocolKey'>;
  /** Tenant and actor of the PSK reads (audited by the HSM). */
  readonly ctx: OperationContext;
  /** Wakes an agent; without one, `connect` only waits for agents that come by themselves. */
  readonly trigger?: Scp81Trigger;
  /** Resolves SEs that were not `expect`ed (e.g. from the MNO registry). */
  readonly resolve?: (seId: string) => Scp81Registration | undefined;
  readonly host?: string;
  readonly port?: number;
  /** Admin path prefix (default `/scp81`). */
  readonly adminPath?: string;
  /** A session with nothing to send for this long ends with 204 (default 2 000 ms). */
  readonly idleMs?: number;
  /** A script not reported within this ends the session, ERR_TSM_UNREACHABLE (default 30 000 ms). */
  readonly answerTimeoutMs?: number;
  /** How long a revealed PSK stays in memory without a session ending it (default 120 000 ms). */
  readonly pskTtlMs?: number;
  /** At most one trigger per SE per this many milliseconds (default 60 000). */
  readonly triggerIntervalMs?: number;
  /** The store node:tls reads PSKs from (default a new MemoryPskStore). */
  readonly pskStore?: MemoryPskStore;
  /** Told refused handshakes, protocol errors and failed triggers (typed; never a key). */
  readonly onError?: (error: Error, seId: string | undefined) => void;
  readonly now?: () => number;
}

/** A transport over an open SCP81 session: one command per script. */
export interface Scp81Transport extends ApduTransport {
  readonly seId: string;
  /** Whether the session this transport is bound to is still open. */
  readonly connected: boolean;
}

/** The TSM's SCP81 admin server as a bearer for jobs. */
export class Scp81Bearer implements CardBearer {
  readonly #o: Required<Pick<Scp81BearerOptions, 'idleMs' | 'answerTimeoutMs' | 'pskTtlMs' | 'triggerIntervalMs' | 'now'>> & Scp81BearerOptions;
  readonly #store: MemoryPskStore;
  readonly #adminPath: string;
  readonly #bySe = new Map<string, Scp81Registration>();
  readonly #byIdentity = new Map<string, string>();
  readonly #sessions = new Map<string, Scp81Session>();
  readonly #lastTrigger = new Map<string, number>();
  readonly #listeners = new Set<(seId: string) => void>();
  #server: AdminServer | undefined;
  #closed = false;

  private constructor(options: Scp81BearerOptions) {
    this.#o = {
      ...options,
      idleMs: positive(options.idleMs ?? 2_000, 'idleMs'),
      answerTimeoutMs: positive(options.answerTimeoutMs ?? 30_000, 'answerTimeoutMs'),
      pskTtlMs: positive(options.pskTtlMs ?? 120_000, 'pskTtlMs'),
      triggerIntervalMs: positive(options.triggerIntervalMs ?? 60_000, 'triggerIntervalMs'),
      now: options.now ?? Date.now,
    };
    this.#store = options.pskStore ?? new MemoryPskStore();
    this.#adminPath = options.adminPath ?? '/scp81';
  }

  /** Starts the admin server (TLS 1.2 PSK, 127.0.0.1 unless told otherwise) and returns the bearer. */
  static async start(options: Scp81BearerOptions): Promise<Scp81Bearer> {
    const bearer = new Scp81Bearer(options);
    bearer.#server = await startAdminServer({
      psk: bearer.#store,
      adminPath: bearer.#adminPath,
      host: options.host,
      port: options.port,
      handle: (post, peer) => bearer.#handle(post, peer.identity),
      onError: (error, peer) => options.onError?.(error, peer === undefined ? undefined : bearer.#byIdentity.get(peer.identity)),
    });
    return bearer;
  }

  /** Where agents connect: host, port and the admin URI of their first POST. */
  get address(): { readonly host: string; readonly port: number; readonly adminUri: string } {
    const server = this.#running();
    return { host: server.host, port: server.port, adminUri: this.#adminPath };
  }

  /** Registers the PSK identity and HSM key of `seId` (one identity per SE). */
  expect(seId: string, registration: Scp81Registration): void {
    if (typeof seId !== 'string' || seId.length === 0) throw new TsmError('ERR_TSM_REQUEST', 'scp81: seId: expected a non-empty string');
    checkIdentity(registration.identity);
    if (typeof registration.keyId !== 'string' || registration.keyId.length === 0) throw new TsmError('ERR_TSM_REQUEST', 'scp81: keyId: expected a non-empty string');
    const owner = this.#byIdentity.get(registration.identity);
    if (owner !== undefined && owner !== seId) throw new TsmError('ERR_TSM_CONFLICT', `scp81: PSK identity already registered for another SE`);
    const previous = this.#bySe.get(seId);
    if (previous !== undefined && previous.identity !== registration.identity) {
      this.#byIdentity.delete(previous.identity);
      this.#store.forget(previous.identity);
    }
    this.#bySe.set(seId, { identity: registration.identity, keyId: registration.keyId });
    this.#byIdentity.set(registration.identity, seId);
  }

  /** Whether `seId` has an open session now. */
  isOpen(seId: string): boolean {
    return this.#sessions.has(seId);
  }

  connect(seId: string): Scp81Transport | undefined {
    const session = this.#sessions.get(seId);
    if (session === undefined) {
      this.#wake(seId);
      return undefined;
    }
    return {
      seId,
      get connected() {
        return session.ended === undefined;
      },
      transmit: (command) => {
        if (!(command instanceof Uint8Array) || command.length < 4) return Promise.reject(new TsmError('ERR_TSM_REQUEST', 'scp81: command: expected a C-APDU of 4 bytes or more'));
        return session.transmit(command);
      },
    };
  }

  onReachable(listener: (seId: string) => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /** Destroys the connections of `seId`'s agent (its session stays open for a resume). */
  dropConnections(seId: string): void {
    const registration = this.#bySe.get(seId);
    if (registration !== undefined) this.#server?.dropConnections(registration.identity);
  }

  /** Ends every session (held POSTs get 204, pending transmits fail), wipes the PSKs, stops the server. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const session of [...this.#sessions.values()]) session.end('closed');
    // Let the 204s go out before the sockets are destroyed.
    await new Promise((resolve) => setImmediate(resolve));
    this.#store.wipe();
    await this.#server?.close();
  }

  /** Loads the PSK and triggers the agent, at most once per SE per `triggerIntervalMs`. */
  #wake(seId: string): void {
    const registration = this.#bySe.get(seId) ?? this.#resolve(seId);
    const trigger = this.#o.trigger;
    if (this.#closed || registration === undefined || trigger === undefined) return;
    const now = this.#o.now();
    const last = this.#lastTrigger.get(seId);
    if (last !== undefined && now - last < this.#o.triggerIntervalMs) return;
    this.#lastTrigger.set(seId, now);
    void (async () => {
      const key = await this.#o.hsm.revealProtocolKey(registration.keyId, this.#o.ctx);
      try {
        this.#store.put(registration.identity, key, this.#o.pskTtlMs);
        // The store only expires keys when asked: wipe this one when its lifetime is over.
        setTimeout(() => this.#store.sweep(), this.#o.pskTtlMs + 1).unref();
      } finally {
        wipe(key);
      }
      await trigger.trigger(seId);
    })().catch((e: unknown) => this.#o.onError?.(e instanceof Error ? e : new Error(String(e)), seId));
  }

  #resolve(seId: string): Scp81Registration | undefined {
    const registration = this.#o.resolve?.(seId);
    if (registration !== undefined) this.expect(seId, registration);
    return registration;
  }

  /** One POST: the SE is the one the PSK identity proved (never X-Admin-From). */
  #handle(post: AgentPost, identity: string): Promise<AdminAnswer> {
    const seId = this.#byIdentity.get(identity);
    if (seId === undefined) throw new OtaError('ERR_OTA_ADMIN', 'SCP81: no SE for this PSK identity');
    const current = this.#sessions.get(seId);
    if (current !== undefined && (current.owns(post.uri) || (post.report === undefined && post.resume))) return current.answer(post);
    // A report for a session that has ended (or never was) ends the agent's session too.
    if (post.report !== undefined || this.#closed) return Promise.resolve(END_SESSION);
    // An opening POST: a new session, replacing an older one of the same SE.
    current?.end('replaced');
    const base = `${this.#adminPath}/s/${toHex(new Uint8Array(randomBytes(16))).toLowerCase()}`;
    const timing = { idleMs: this.#o.idleMs, answerTimeoutMs: this.#o.answerTimeoutMs };
    const session = new Scp81Session(seId, identity, base, timing, (s, reason) => this.#ended(s, reason));
    this.#sessions.set(seId, session);
    const answer = session.answer(post);
    for (const listener of [...this.#listeners]) {
      try {
        listener(seId);
      } catch (e) {
        this.#o.onError?.(e instanceof Error ? e : new Error(String(e)), seId);
      }
    }
    return answer;
  }

  #ended(session: Scp81Session, reason: Scp81EndReason): void {
    if (this.#sessions.get(session.seId) === session) this.#sessions.delete(session.seId);
    // A replacing session goes on with the same PSK; otherwise it is wiped, and the next session
    // needs a new trigger (still at most one per SE per triggerIntervalMs) that reads it again.
    if (reason !== 'replaced') this.#store.forget(session.identity);
  }

  #running(): AdminServer {
    if (this.#server === undefined) throw new TsmError('ERR_TSM_STATE', 'scp81: the bearer is not started');
    return this.#server;
  }
}

function checkIdentity(identity: string): void {
  try {
    checkPskIdentity(identity);
  } catch (e) {
    throw new TsmError('ERR_TSM_REQUEST', 'scp81: PSK identity: expected 1..128 printable ASCII characters', { cause: e });
  }
}

function positive(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new TsmError('ERR_TSM_CONFIG', `scp81: ${name}: expected a positive integer`);
  return value;
}
