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
import { checkPskIdentity, MemoryPskStore, OtaError, startAdminServer, type AdminAnswer, type AdminPeer, type AdminServer, type AgentPost } from '../../ota/index.ts';
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
  /**
   * Triggers per SE while a job waits for it and no session opens (default 5): when a trigger has
   * ended (sent, or failed: a lost SMS, a lost PoR) and no session opened within `retriggerAfterMs`
   * (default 60 000), the bearer triggers again, with a fresh counter; after `maxTriggers` it gives
   * up (`onError`, ERR_TSM_UNREACHABLE) until the next `connect`.
   */
  readonly maxTriggers?: number;
  readonly retriggerAfterMs?: number;
  /** After an agent's connection closes mid-session, how long it has to resume (default 5 000 ms). */
  readonly resumeGraceMs?: number;
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
  readonly #o: Required<Pick<Scp81BearerOptions, 'idleMs' | 'answerTimeoutMs' | 'pskTtlMs' | 'triggerIntervalMs' | 'maxTriggers' | 'retriggerAfterMs' | 'resumeGraceMs' | 'now'>> & Scp81BearerOptions;
  readonly #store: MemoryPskStore;
  readonly #adminPath: string;
  readonly #bySe = new Map<string, Scp81Registration>();
  readonly #byIdentity = new Map<string, string>();
  readonly #sessions = new Map<string, Scp81Session>();
  /** How many times each SE's PSK was loaded, and the load each session started under. */
  readonly #pskLoads = new Map<string, number>();
  readonly #sessionLoad = new WeakMap<Scp81Session, number>();
  /** The connection (admin server peer) each session's latest POST came on. */
  readonly #connections = new WeakMap<Scp81Session, AdminPeer>();
  readonly #lastTrigger = new Map<string, number>();
  /** SEs a job waits for, with the triggers sent since and the timer of the next one. */
  readonly #wanted = new Map<string, { triggers: number; timer: NodeJS.Timeout | undefined }>();
  /** SEs whose trigger is under way (PSK read, SMS out, PoR awaited), and when each SE's last one ended. */
  readonly #triggering = new Set<string>();
  readonly #triggerEnded = new Map<string, number>();
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
      maxTriggers: positive(options.maxTriggers ?? 5, 'maxTriggers'),
      retriggerAfterMs: positive(options.retriggerAfterMs ?? 60_000, 'retriggerAfterMs'),
      resumeGraceMs: positive(options.resumeGraceMs ?? 5_000, 'resumeGraceMs'),
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
      handle: (post, peer) => bearer.#handle(post, peer),
      onDisconnect: (peer) => bearer.#disconnected(peer),
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
      this.#want(seId);
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
    for (const w of this.#wanted.values()) clearTimeout(w.timer);
    this.#wanted.clear();
    for (const session of [...this.#sessions.values()]) session.end('closed');
    // Let the 204s go out before the sockets are destroyed.
    await new Promise((resolve) => setImmediate(resolve));
    this.#store.wipe();
    await this.#server?.close();
  }

  /**
   * A job waits for `seId`: trigger now if the interval allows; and while no session opens, again
   * `retriggerAfterMs` after the last trigger ended — `maxTriggers` in all, then `onError`
   * (ERR_TSM_UNREACHABLE) and no more until the next `connect` starts a new round.
   */
  #want(seId: string): void {
    let wanted = this.#wanted.get(seId);
    if (wanted === undefined) {
      wanted = { triggers: 0, timer: undefined };
      this.#wanted.set(seId, wanted);
    } else if (wanted.timer === undefined) {
      wanted.triggers = 0; // the previous round gave up: a new connect, a new round
    }
    const woke = this.#wake(seId);
    if (woke === 'sent') wanted.triggers++;
    if (woke === 'impossible') return void this.#wanted.delete(seId);
    if (wanted.timer !== undefined) return;
    const schedule = (w: { timer: NodeJS.Timeout | undefined }, ms: number): void => {
      w.timer = setTimeout(tick, ms);
      w.timer.unref();
    };
    const tick = (): void => {
      const w = this.#wanted.get(seId);
      if (w === undefined) return;
      w.timer = undefined;
      if (this.#closed || this.#sessions.has(seId)) return void this.#wanted.delete(seId);
      // a trigger under way is waited for; then the agent has retriggerAfterMs to connect
      if (this.#triggering.has(seId)) return schedule(w, 50);
      // after a trigger of this round, the agent has retriggerAfterMs to come; before any, only the interval holds it back
      const since = this.#o.now() - (this.#triggerEnded.get(seId) ?? 0);
      if (w.triggers > 0 && since < this.#o.retriggerAfterMs) return schedule(w, this.#o.retriggerAfterMs - since);
      if (w.triggers >= this.#o.maxTriggers) {
        this.#o.onError?.(new TsmError('ERR_TSM_UNREACHABLE', `scp81: SE ${seId}: no admin session after ${w.triggers} triggers`), seId);
        return;
      }
      const woke = this.#wake(seId);
      if (woke === 'impossible') return void this.#wanted.delete(seId);
      if (woke === 'sent') w.triggers++;
      const last = this.#lastTrigger.get(seId) ?? 0;
      schedule(w, woke === 'interval' ? Math.max(1, last + this.#o.triggerIntervalMs - this.#o.now()) : 50);
    };
    schedule(wanted, 50);
  }

  /**
   * Loads the PSK and triggers the agent, at most once per SE per `triggerIntervalMs`: 'sent', 'interval'
   * (too soon), or 'impossible' (no registration, no trigger configured, the bearer closed).
   */
  #wake(seId: string): 'sent' | 'interval' | 'impossible' {
    const registration = this.#bySe.get(seId) ?? this.#resolve(seId);
    const trigger = this.#o.trigger;
    if (this.#closed || registration === undefined || trigger === undefined) return 'impossible';
    const now = this.#o.now();
    const last = this.#lastTrigger.get(seId);
    if (last !== undefined && now - last < this.#o.triggerIntervalMs) return 'interval';
    this.#lastTrigger.set(seId, now);
    this.#triggering.add(seId);
    void (async () => {
      const key = await this.#o.hsm.revealProtocolKey(registration.keyId, this.#o.ctx);
      try {
        this.#store.put(registration.identity, key, this.#o.pskTtlMs);
        this.#pskLoads.set(seId, (this.#pskLoads.get(seId) ?? 0) + 1);
        // The store only expires keys when asked: wipe this one when its lifetime is over.
        setTimeout(() => this.#store.sweep(), this.#o.pskTtlMs + 1).unref();
      } finally {
        wipe(key);
      }
      await trigger.trigger(seId);
    })()
      .catch((e: unknown) => this.#o.onError?.(e instanceof Error ? e : new Error(String(e)), seId))
      .finally(() => {
        this.#triggering.delete(seId);
        this.#triggerEnded.set(seId, this.#o.now());
      });
    return 'sent';
  }

  #resolve(seId: string): Scp81Registration | undefined {
    const registration = this.#o.resolve?.(seId);
    if (registration !== undefined) this.expect(seId, registration);
    return registration;
  }

  /** One POST: the SE is the one the PSK identity proved (never X-Admin-From). */
  #handle(post: AgentPost, peer: AdminPeer): Promise<AdminAnswer> {
    const identity = peer.identity;
    const seId = this.#byIdentity.get(identity);
    if (seId === undefined) throw new OtaError('ERR_OTA_ADMIN', 'SCP81: no SE for this PSK identity');
    const current = this.#sessions.get(seId);
    if (current !== undefined && (current.owns(post.uri) || (post.report === undefined && post.resume))) {
      this.#connections.set(current, peer);
      return current.answer(post);
    }
    // A report for a session that has ended (or never was) ends the agent's session too.
    if (post.report !== undefined || this.#closed) return Promise.resolve(END_SESSION);
    // An opening POST: a new session, replacing an older one of the same SE.
    current?.end('replaced');
    const base = `${this.#adminPath}/s/${toHex(new Uint8Array(randomBytes(16))).toLowerCase()}`;
    const timing = { idleMs: this.#o.idleMs, answerTimeoutMs: this.#o.answerTimeoutMs, resumeGraceMs: this.#o.resumeGraceMs };
    const session = new Scp81Session(seId, identity, base, timing, (s, reason) => this.#ended(s, reason));
    this.#sessions.set(seId, session);
    this.#sessionLoad.set(session, this.#pskLoads.get(seId) ?? 0);
    this.#connections.set(session, peer);
    const wanted = this.#wanted.get(seId);
    clearTimeout(wanted?.timer);
    this.#wanted.delete(seId);
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

  /** The connection of a session's latest POST closed: the session gives the agent `resumeGraceMs` to come back. */
  #disconnected(peer: AdminPeer): void {
    const seId = this.#byIdentity.get(peer.identity);
    const session = seId === undefined ? undefined : this.#sessions.get(seId);
    if (session !== undefined && this.#connections.get(session) === peer) session.disconnected();
  }

  #ended(session: Scp81Session, reason: Scp81EndReason): void {
    if (this.#sessions.get(session.seId) === session) this.#sessions.delete(session.seId);
    // A replacing session goes on with the same PSK; otherwise it is wiped, and the next session
    // needs a new trigger (still at most one per SE per triggerIntervalMs) that reads it again —
    // unless a newer trigger has loaded it again already (a session ending late must not wipe that).
    if (reason !== 'replaced' && this.#sessionLoad.get(session) === (this.#pskLoads.get(session.seId) ?? 0)) this.#store.forget(session.identity);
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
