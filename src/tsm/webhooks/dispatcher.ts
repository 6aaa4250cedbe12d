/**
 * The webhook dispatcher (docs/webhooks.md §4): an event is persisted first — one
 * `webhook_deliveries` row per matching endpoint — and then POSTed, signed (signature.ts), to each
 * endpoint. A 2xx answer delivers it; anything else (another status, a redirect, which is never
 * followed, a timeout, a network error) is retried with exponential backoff and jitter until
 * `maxAttempts`, then the delivery is `dead`. Attempts are claimed in the store with a lease, so
 * several dispatchers on one database never send the same attempt and a dispatcher that vanished
 * mid-attempt is retried after the lease; a new dispatcher picks up whatever is pending.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Hsm } from '../../hsm/index.ts';
import {
  claimWebhookDelivery, finishWebhookDelivery, getWebhookEndpoint, insertWebhookDeliveries, listDueWebhookDeliveries, listWebhookEndpoints, nextWebhookDeliveryAt,
  type StoreDb, type StoredWebhookDelivery, type WebhookDeliveryChange,
} from '../../store/index.ts';
import { TsmError } from '../errors.ts';
import { postWebhook, type PostOutcome } from './post.ts';
import { WebhookSecrets } from './secrets.ts';
import { signatureHeader } from './signature.ts';
import { isWebhookEventType, type WebhookData, type WebhookEventBody, type WebhookEventType } from './types.ts';

/** Timers the dispatcher wakes itself with (tests pass fake ones that they fire by hand). */
export interface WebhookTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface WebhookDispatcherOptions {
  readonly db: StoreDb;
  readonly hsm: Hsm;
  /** Shared with the routes so both cache the same tenant keys (default: a new one on `hsm`). */
  readonly secrets?: WebhookSecrets;
  /** The clock: event times, signature timestamps and retry times (default: the system clock). */
  readonly now?: () => Date;
  /** Wake-up timers (default: the global setTimeout / clearTimeout). */
  readonly timers?: WebhookTimers;
  /** The fetch to POST with (default: node's, i.e. undici). */
  readonly fetch?: typeof globalThis.fetch;
  /** Deliveries in flight at once (default 4). */
  readonly concurrency?: number;
  /** Per-request timeout in ms, body included (default 10 000). */
  readonly timeoutMs?: number;
  /** Attempts before a delivery is dead (default 10). */
  readonly maxAttempts?: number;
  /** Delay after the first failed attempt, doubled after each (default 1000 ms). */
  readonly baseDelayMs?: number;
  /** Longest delay between attempts (default 300 000 ms: five minutes). */
  readonly maxDelayMs?: number;
  /** Jitter source in [0, 1): a delay d becomes d/2 + random·d/2 (default Math.random). */
  readonly random?: () => number;
  /** How often to look for deliveries other dispatchers enqueued, in ms (default 30 000). */
  readonly pollIntervalMs?: number;
  /** Most response-body bytes read before the body is dropped (default 1024). */
  readonly maxResponseBytes?: number;
  /** Where delivery failures are reported (ids, statuses and error classes only: never a URL, body or secret). */
  readonly logger?: Pick<Logger, 'info' | 'warn' | 'error'>;
}

interface Settings {
  readonly concurrency: number;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly pollIntervalMs: number;
  readonly maxResponseBytes: number;
}

const DATA_KEY = /^[A-Za-z][A-Za-z0-9]{0,63}$/;
const MAX_DATA_KEYS = 32;
const MAX_DATA_TEXT = 256;
/** Extra lease beyond the request timeout before an attempt whose sender vanished is retried. */
const LEASE_MARGIN_MS = 60_000;
/** Shortest wait when something is due but could not be claimed (another dispatcher holds it). */
const MIN_WAKE_MS = 100;

function setting(value: number | undefined, fallback: number, name: string, min: number, max: number): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < min || v > max) throw new TsmError('ERR_TSM_CONFIG', `webhooks: ${name} must be an integer in ${min}..${max}`);
  return v;
}

function settingsOf(o: WebhookDispatcherOptions): Settings {
  return {
    concurrency: setting(o.concurrency, 4, 'concurrency', 1, 256),
    timeoutMs: setting(o.timeoutMs, 10_000, 'timeoutMs', 1, 120_000),
    maxAttempts: setting(o.maxAttempts, 10, 'maxAttempts', 1, 100),
    baseDelayMs: setting(o.baseDelayMs, 1000, 'baseDelayMs', 1, 3_600_000),
    maxDelayMs: setting(o.maxDelayMs, 300_000, 'maxDelayMs', 1, 86_400_000),
    pollIntervalMs: setting(o.pollIntervalMs, 30_000, 'pollIntervalMs', 1, 3_600_000),
    maxResponseBytes: setting(o.maxResponseBytes, 1024, 'maxResponseBytes', 0, 1 << 20),
  };
}

/** Checks an event's data: flat, at most 32 keys, short texts, finite numbers (ids and states, never personal data). */
export function assertWebhookData(data: unknown): asserts data is WebhookData {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new TsmError('ERR_TSM_REQUEST', 'webhook data: expected an object');
  const entries = Object.entries(data);
  if (entries.length > MAX_DATA_KEYS) throw new TsmError('ERR_TSM_REQUEST', `webhook data: at most ${MAX_DATA_KEYS} fields`);
  for (const [key, value] of entries) {
    if (!DATA_KEY.test(key)) throw new TsmError('ERR_TSM_REQUEST', 'webhook data: a field name is not an identifier');
    const ok = value === null || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value)) || (typeof value === 'string' && value.length <= MAX_DATA_TEXT);
    if (!ok) throw new TsmError('ERR_TSM_REQUEST', `webhook data ${key}: expected a string of at most ${MAX_DATA_TEXT} characters, a finite number, a boolean or null`);
  }
}

/** The delay before attempt `failed + 1`, with jitter: d = min(base·2^(failed−1), max), then d/2 + random·d/2. */
export function retryDelayMs(failed: number, base: number, max: number, random: () => number): number {
  const d = Math.min(base * 2 ** Math.max(0, failed - 1), max);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(d / 2 + (r * d) / 2);
}

/** Persists events, then delivers them signed, with retries; `close()` when done. */
export class WebhookDispatcher {
  readonly #db: StoreDb;
  readonly #secrets: WebhookSecrets;
  readonly #now: () => Date;
  readonly #timers: WebhookTimers;
  readonly #fetch: typeof globalThis.fetch;
  readonly #random: () => number;
  readonly #logger: WebhookDispatcherOptions['logger'];
  readonly #s: Settings;
  readonly #inflight = new Set<Promise<void>>();
  #ticking: Promise<void> | undefined;
  #again = false;
  #timer: unknown;
  #closed = false;

  constructor(options: WebhookDispatcherOptions) {
    this.#s = settingsOf(options);
    this.#db = options.db;
    this.#secrets = options.secrets ?? new WebhookSecrets(options.hsm);
    this.#now = options.now ?? (() => new Date());
    this.#timers = options.timers ?? { setTimeout: (f, ms) => setTimeout(f, ms).unref(), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#random = options.random ?? Math.random;
    this.#logger = options.logger;
    this.#kick();
  }

  /**
   * Persists `type` with `data` for every endpoint of `tenant` subscribed to it, then starts
   * delivering. Answers the event id (the body's `id` and the `OpenTSM-Event-Id` header) and how many
   * deliveries were stored (0 when no endpoint wants the type). After `close()` the deliveries are
   * still stored, for the next dispatcher to send.
   */
  async enqueue(tenant: string, type: WebhookEventType, data: WebhookData): Promise<{ readonly eventId: string; readonly deliveries: number }> {
    if (typeof tenant !== 'string' || tenant.length === 0 || tenant.length > 64) throw new TsmError('ERR_TSM_REQUEST', 'webhook tenant: 1..64 characters');
    if (!isWebhookEventType(type)) throw new TsmError('ERR_TSM_REQUEST', 'webhook type: not a webhook event type');
    assertWebhookData(data);
    const eventId = `evt_${randomBytes(12).toString('hex')}`;
    const at = this.#now().toISOString();
    const body: WebhookEventBody = { id: eventId, type, createdAt: at, data: { ...data } };
    const text = JSON.stringify(body);
    const endpoints = (await listWebhookEndpoints(this.#db, tenant)).filter((e) => e.events.includes(type));
    const rows: StoredWebhookDelivery[] = endpoints.map((e) => ({
      id: `whd_${randomBytes(12).toString('hex')}`, eventId, tenant, endpointId: e.id, type, body: text, state: 'pending', attempts: 0,
      nextAttemptAt: at, lastStatus: null, lastError: null, createdAt: at, updatedAt: at, deliveredAt: null,
    }));
    await insertWebhookDeliveries(this.#db, rows);
    if (rows.length > 0) this.#kick();
    return { eventId, deliveries: rows.length };
  }

  /** Resolves once nothing is being claimed or sent (tests wait on it after firing a timer). */
  async whenIdle(): Promise<void> {
    while (this.#ticking !== undefined || this.#inflight.size > 0) {
      await Promise.allSettled([this.#ticking, ...this.#inflight]);
    }
  }

  /** Looks for due deliveries now (as a timer would). */
  wake(): void {
    this.#kick();
  }

  /** Stops claiming, cancels the wake-up timer and waits for attempts in flight (each bounded by the timeout). */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.whenIdle();
  }

  #kick(): void {
    if (this.#closed) return;
    if (this.#ticking !== undefined) {
      this.#again = true;
      return;
    }
    this.#ticking = this.#tick()
      .catch((error: unknown) => this.#logger?.error({ err: errorClass(error) }, 'webhooks: could not read pending deliveries'))
      .finally(() => {
        this.#ticking = undefined;
        // A kick that came while the wake-up was being scheduled.
        if (this.#again) this.#kick();
      });
  }

  async #tick(): Promise<void> {
    do {
      this.#again = false;
      await this.#claimDue();
    } while (this.#again && !this.#closed);
    await this.#scheduleWake();
  }

  async #claimDue(): Promise<void> {
    const free = this.#s.concurrency - this.#inflight.size;
    if (free <= 0 || this.#closed) return;
    const now = this.#now();
    const due = await listDueWebhookDeliveries(this.#db, now.toISOString(), free);
    const lease = new Date(now.getTime() + this.#s.timeoutMs + LEASE_MARGIN_MS).toISOString();
    for (const d of due) {
      if (this.#closed) return;
      if (!(await claimWebhookDelivery(this.#db, d.id, d.nextAttemptAt, lease, now.toISOString()))) continue;
      const run: Promise<void> = this.#attempt(d, d.attempts + 1)
        .catch((error: unknown) => this.#logger?.error({ deliveryId: d.id, err: errorClass(error) }, 'webhooks: an attempt could not be recorded; retried after its lease'))
        .finally(() => {
          this.#inflight.delete(run);
          this.#kick();
        });
      this.#inflight.add(run);
    }
  }

  async #scheduleWake(): Promise<void> {
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#closed) return;
    const next = await nextWebhookDeliveryAt(this.#db);
    let delay = this.#s.pollIntervalMs;
    if (next !== undefined) {
      const until = Date.parse(next) - this.#now().getTime();
      // Due now with every slot busy: a finishing attempt kicks again, so only the poll is needed.
      delay = until > 0 ? Math.min(until, delay) : this.#inflight.size >= this.#s.concurrency ? delay : MIN_WAKE_MS;
    }
    if (this.#closed) return;
    this.#timer = this.#timers.setTimeout(() => {
      this.#timer = undefined;
      this.#kick();
    }, delay);
  }

  async #attempt(d: StoredWebhookDelivery, attempt: number): Promise<void> {
    const endpoint = await getWebhookEndpoint(this.#db, d.tenant, d.endpointId);
    if (endpoint === undefined) {
      await this.#finish(d, { state: 'cancelled', lastStatus: null, lastError: 'endpoint deleted' }, attempt);
      return;
    }
    let outcome: PostOutcome;
    try {
      const secret = await this.#secrets.secretOf(d.endpointId, { tenant: d.tenant, actor: 'webhook-dispatcher', requestId: d.id });
      const header = signatureHeader(secret, Math.floor(this.#now().getTime() / 1000), d.body);
      outcome = await postWebhook(this.#fetch, endpoint.url, d.eventId, header, d.body, this.#s.timeoutMs, this.#s.maxResponseBytes);
    } catch (error) {
      outcome = { ok: false, status: null, error: `signing failed (${errorClass(error)})` };
    }
    if (outcome.ok) {
      await this.#finish(d, { state: 'delivered', lastStatus: outcome.status, lastError: null }, attempt);
    } else if (attempt >= this.#s.maxAttempts) {
      await this.#finish(d, { state: 'dead', lastStatus: outcome.status, lastError: outcome.error }, attempt);
    } else {
      const delay = retryDelayMs(attempt, this.#s.baseDelayMs, this.#s.maxDelayMs, this.#random);
      await this.#finish(d, { state: 'pending', lastStatus: outcome.status, lastError: outcome.error, delayMs: delay }, attempt);
    }
  }

  async #finish(
    d: StoredWebhookDelivery,
    o: { readonly state: string; readonly lastStatus: number | null; readonly lastError: string | null; readonly delayMs?: number },
    attempt: number,
  ): Promise<void> {
    const now = this.#now();
    const at = now.toISOString();
    const change: WebhookDeliveryChange = {
      state: o.state, lastStatus: o.lastStatus, lastError: o.lastError, updatedAt: at, deliveredAt: o.state === 'delivered' ? at : null,
      nextAttemptAt: o.delayMs === undefined ? at : new Date(now.getTime() + o.delayMs).toISOString(),
    };
    await finishWebhookDelivery(this.#db, d.id, change);
    const fields = { deliveryId: d.id, eventId: d.eventId, endpointId: d.endpointId, type: d.type, attempt, status: o.lastStatus, error: o.lastError };
    if (o.state === 'dead') this.#logger?.warn(fields, 'webhook delivery dead: out of attempts');
    else if (o.state === 'pending') this.#logger?.info({ ...fields, retryInMs: o.delayMs }, 'webhook delivery failed; retrying');
  }
}

/** An error's class and code, never its message (a fetch error's message may quote the URL). */
function errorClass(error: unknown): string {
  if (!(error instanceof Error)) return typeof error;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${error.name} ${code.slice(0, 64)}` : error.name;
}
