/**
 * The phones' wallet agents: one RelayAgent per phone, keeping a WebSocket to the TSM's relay and
 * running the APDU batches it sends on the phone's SE (docs/relay.md). For UICC phones, the cards'
 * own SCP81 admin agents ({@link CardAdminAgents}): sessions a secured SMS asked for, or opened on
 * the card's own initiative on a timer (polling).
 */
import { randomInt } from 'node:crypto';
import { RelayAgent } from '../../device/index.ts';
import { fromHex } from '../../bytes/index.ts';
import type { AdminSessionResult } from '../../ota/index.ts';
import type { AdminDefaults, AdminSessionRequest, CardAdminSessionOptions } from '../../se/index.ts';
import type { RegisteredPhone } from './operator.ts';
import type { FleetPhone } from './phones.ts';

function tokenOf(p: RegisteredPhone): string {
  if (p.relayToken === undefined) throw new Error(`${p.phone.seId} has no relay token (a UICC is reached over the air)`);
  return p.relayToken;
}

/** The relay URL of a TSM base URL: http → ws, https → wss, path /v1/relay. */
export function relayUrl(baseUrl: string): string {
  const url = new URL('/v1/relay', baseUrl);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

/** The running agents; `stop()` closes them all. */
export interface FleetAgents {
  readonly agents: readonly RelayAgent[];
  stop(): Promise<void>;
}

/** Starts an agent per phone and resolves once every one is connected (or rejects after `timeoutMs`). */
export async function connectAgents(baseUrl: string, phones: readonly RegisteredPhone[], options: { readonly ca?: string; readonly timeoutMs?: number } = {}): Promise<FleetAgents> {
  const url = relayUrl(baseUrl);
  const agents = phones.map((p) => new RelayAgent({ url, seId: p.phone.seId, token: tokenOf(p), card: p.phone.transport, ...(options.ca === undefined ? {} : { ca: options.ca }) }));
  const stop = async (): Promise<void> => {
    await Promise.all(agents.map((a) => a.stop()));
  };
  const connected = agents.map((a) => new Promise<void>((resolve, reject) => {
    if (a.connected) return resolve();
    a.once('connected', () => resolve());
    a.once('failure', (e) => reject(e));
  }));
  for (const a of agents) a.start();
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the phones did not all connect to the relay in time')), options.timeoutMs ?? 30_000).unref());
  try {
    await Promise.race([Promise.all(connected), timeout]);
  } catch (e) {
    await stop();
    throw e;
  }
  return { agents, stop };
}

/** What the cards' admin agents did (counters; no key, no identity). */
export interface AdminAgentStats {
  /** Admin sessions a secured SMS asked for (the trigger's PoR said OK). */
  requests: number;
  /** Requests that came while one was already waiting for the card's running session: merged into it. */
  merged: number;
  /** Polls: sessions a card opened on its own initiative. */
  polls: number;
  /** Sessions that ran to the server's end (204), with or without scripts. */
  sessions: number;
  /** Those of them that carried at least one script. */
  working: number;
  scripts: number;
  /** Sessions the server refused at the TLS-PSK handshake (ERR_OTA_TLS: e.g. a poll while it holds no PSK for the card). */
  refused: number;
  /** Sessions that failed otherwise (connection lost, timeout, protocol): the first error's code is kept. */
  failed: number;
  firstError?: string;
}

/** Polling (GPC Amd B: a session opened at the card's own initiative, here on a timer). */
export interface AdminPollOptions {
  /** Mean time between the end of one poll and the start of the next, per phone. */
  readonly pollMs: number;
  /** Each wait is pollMs ± up to this (spreads the fleet; default pollMs / 2). */
  readonly jitterMs?: number;
  /** Polls in flight across the fleet at most (default 8): the rest wait for their next turn. */
  readonly maxInFlight?: number;
}

/**
 * The UICCs' admin agents of a fleet: `onRequest` is the fleet's `onAdminSessionRequest` (a
 * session a secured SMS asked for starts at once); `poll` makes every card open sessions by itself
 * to its configured admin server. A card runs one session at a time; every session is bounded
 * (`session.timeoutMs`); `stop` ends the polling and waits for the sessions in flight.
 */
export class CardAdminAgents {
  readonly stats: AdminAgentStats = { requests: 0, merged: 0, polls: 0, sessions: 0, working: 0, scripts: 0, refused: 0, failed: 0 };
  readonly #session: CardAdminSessionOptions;
  readonly #running = new Map<string, Promise<AdminSessionResult | undefined>>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #waiting = new Set<string>();
  #inFlightPolls = 0;
  #stopped = false;

  constructor(options: { readonly session?: CardAdminSessionOptions } = {}) {
    this.#session = options.session ?? { retry: { attempts: 2, delayMs: 50 }, timeoutMs: 30_000 };
  }

  /**
   * The fleet's `onAdminSessionRequest`: runs the session the trigger asked for — after the card's
   * running session, if any; a request while another is already waiting is merged into it.
   */
  readonly onRequest = (phone: FleetPhone, request: AdminSessionRequest): void => {
    this.stats.requests++;
    if (this.#waiting.has(phone.seId)) {
      this.stats.merged++;
      return;
    }
    if (this.#running.has(phone.seId)) this.#waiting.add(phone.seId);
    void this.#run(phone, request, this.#session);
  };

  /**
   * Every phone of `phones` opens an admin session to `server` (its card's `adminDefaults`) every
   * `pollMs` ± jitter; the server's idle 204 ends a session that has no work.
   */
  poll(phones: readonly FleetPhone[], server: Required<Pick<AdminDefaults, 'host' | 'port' | 'adminUri'>>, options: AdminPollOptions): void {
    const jitter = options.jitterMs ?? Math.floor(options.pollMs / 2);
    const maxInFlight = options.maxInFlight ?? 8;
    const schedule = (phone: FleetPhone, first: boolean): void => {
      if (this.#stopped) return;
      const wait = first ? randomInt(0, options.pollMs + 1) : Math.max(1, options.pollMs + randomInt(-jitter, jitter + 1));
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        void tick(phone);
      }, wait);
      this.#timers.add(timer);
    };
    const tick = async (phone: FleetPhone): Promise<void> => {
      if (this.#inFlightPolls < maxInFlight && !this.#running.has(phone.seId)) {
        this.#inFlightPolls++;
        this.stats.polls++;
        const request: AdminSessionRequest = { kind: 'admin-session-request', sdAid: fromHex(phone.isdAid), ...server, agentId: phone.ota?.scp81?.identity ?? phone.seId };
        // a poll is not retried: the next poll is its retry
        await this.#run(phone, request, { ...this.#session, retry: { attempts: 1, delayMs: 1 } });
        this.#inFlightPolls--;
      }
      schedule(phone, false);
    };
    for (const phone of phones) schedule(phone, true);
  }

  /** Resolves when the sessions running now have ended (each bounded by its timeout; polling goes on). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.#running.values()]);
  }

  /** Stops polling and waits for the sessions in flight (each bounded by its timeout). */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    await Promise.allSettled([...this.#running.values()]);
  }

  /** Runs `request` on `phone`'s card after the session it is running, if any (one at a time per card). */
  #run(phone: FleetPhone, request: AdminSessionRequest, options: CardAdminSessionOptions): Promise<AdminSessionResult | undefined> {
    const previous = this.#running.get(phone.seId) ?? Promise.resolve(undefined);
    const session = previous.then(() => {
      this.#waiting.delete(phone.seId);
      return this.#stopped ? undefined : this.#start(phone, request, options);
    });
    this.#running.set(phone.seId, session);
    void session.finally(() => {
      if (this.#running.get(phone.seId) === session) this.#running.delete(phone.seId);
    });
    return session;
  }

  async #start(phone: FleetPhone, request: AdminSessionRequest, options: CardAdminSessionOptions): Promise<AdminSessionResult | undefined> {
    try {
      const r = await phone.se.startAdminSession(request, options);
      this.stats.sessions++;
      this.stats.scripts += r.scripts;
      if (r.scripts > 0) this.stats.working++;
      return r;
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'ERR_OTA_TLS') {
        this.stats.refused++;
      } else {
        this.stats.failed++;
        this.stats.firstError ??= code ?? (e instanceof Error ? e.message : String(e));
      }
      return undefined;
    }
  }
}
