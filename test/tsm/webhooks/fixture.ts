/**
 * What the webhook tests share: a real HTTP receiver on 127.0.0.1 that answers from a script and
 * records each request's headers and raw body; a fake clock and fake timers the tests move by
 * hand; a store and software HSM with endpoints registered through tsm/'s WebhookEndpoints.
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { closeDatabase, migrateToLatest, openDatabase, type StoreDb } from '../../../src/store/index.ts';
import { WebhookDispatcher, WebhookEndpoints, type WebhookDispatcherOptions, type WebhookEventType, type WebhookTimers } from '../../../src/tsm/index.ts';
import { softwareHsm, type SoftwareUnderTest } from '../../hsm/software-setup.ts';

export interface ReceivedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A receiver answering each request with the next status of `statuses` (the last one repeats). */
export interface Receiver {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  statuses: number[];
  /** Resolves when `n` requests have arrived. */
  received(n: number): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(statuses: number[] = [200], handler?: (res: ServerResponse, status: number) => void): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const state = { statuses };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const status = state.statuses[Math.min(requests.length - 1, state.statuses.length - 1)] ?? 200;
      if (handler !== undefined) handler(res, status);
      else res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'no');
      for (const w of waiters.filter((w) => requests.length >= w.n)) w.resolve();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    requests,
    get statuses() { return state.statuses; },
    set statuses(s: number[]) { state.statuses = s; },
    received: (n) => (requests.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** A clock the test moves. */
export class FakeClock {
  ms: number;
  constructor(iso = '2026-11-27T13:00:00.000Z') {
    this.ms = Date.parse(iso);
  }
  readonly now = (): Date => new Date(this.ms);
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** Timers that only fire when the test says so; they remember every delay asked for. */
export class FakeTimers implements WebhookTimers {
  pending: { fn: () => void; ms: number } | undefined;
  readonly asked: number[] = [];
  setTimeout(fn: () => void, ms: number): unknown {
    const handle = { fn, ms };
    this.pending = handle;
    this.asked.push(ms);
    return handle;
  }
  /** The pending timer's delay, or undefined. */
  pendingMs(): number | undefined {
    return this.pending?.ms;
  }
  clearTimeout(handle: unknown): void {
    if (this.pending === handle) this.pending = undefined;
  }
  /** Moves the clock to the pending timer's deadline, fires it and waits until the dispatcher is idle. */
  async fire(clock: FakeClock, dispatcher: WebhookDispatcher): Promise<number> {
    const p = this.pending;
    if (p === undefined) throw new Error('no timer pending');
    this.pending = undefined;
    clock.advance(p.ms);
    p.fn();
    await dispatcher.whenIdle();
    return p.ms;
  }
}

export interface WebhookWorld {
  readonly t: SoftwareUnderTest;
  readonly db: StoreDb;
  readonly clock: FakeClock;
  readonly timers: FakeTimers;
  readonly endpoints: WebhookEndpoints;
  /** Log lines the dispatchers wrote (JSON). */
  readonly logs: string[];
  /** Registers `url` for `events` as bank-a; answers its id and secret. */
  register(url: string, events?: readonly WebhookEventType[], tenant?: string): Promise<{ endpointId: string; secret: string }>;
  /** A dispatcher on this world's store, HSM, clock and timers (no jitter: random = 1). */
  dispatcher(options?: Partial<WebhookDispatcherOptions>): WebhookDispatcher;
  close(): Promise<void>;
}

const ctxOf = (tenant: string) => ({ tenant, actor: 'test' });

/**
 * SQLite in memory; or, with OPENTSM_SERVICES=1 and OPENTSM_PG_URL (as `npm run test:services`
 * sets them), a fresh PostgreSQL database per world, dropped at close.
 */
async function openWorldDb(): Promise<{ db: StoreDb; drop: () => Promise<void> }> {
  const base = process.env.OPENTSM_PG_URL;
  if (process.env.OPENTSM_SERVICES !== '1' || base === undefined || base === '') return { db: await openDatabase(':memory:'), drop: () => Promise.resolve() };
  const admin = await openDatabase(base, { poolSize: 1 });
  const name = `opentsm_webhooks_${process.pid}_${++worlds}`;
  await sql`create database ${sql.id(name)}`.execute(admin);
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    db: await openDatabase(url.toString()),
    drop: async () => {
      await sql`drop database if exists ${sql.id(name)} with (force)`.execute(admin);
      await closeDatabase(admin);
    },
  };
}
let worlds = 0;

export async function webhookWorld(): Promise<WebhookWorld> {
  const t = await softwareHsm();
  const { db, drop } = await openWorldDb();
  await migrateToLatest(db);
  const clock = new FakeClock();
  const timers = new FakeTimers();
  const endpoints = new WebhookEndpoints({ db, hsm: t.hsm, now: clock.now });
  const logs: string[] = [];
  const dispatchers: WebhookDispatcher[] = [];
  const line = (level: string) => (obj: object, msg?: string) => void logs.push(JSON.stringify({ level, ...obj, msg }));
  const logger = { info: line('info'), warn: line('warn'), error: line('error') } as unknown as WebhookDispatcherOptions['logger'];
  return {
    t, db, clock, timers, endpoints, logs,
    register: async (url, events = ['job.started', 'job.succeeded'], tenant = 'bank-a') => {
      const e = await endpoints.create({ url, events }, ctxOf(tenant));
      return { endpointId: e.endpointId, secret: e.secret };
    },
    dispatcher: (options = {}) => {
      const d = new WebhookDispatcher({ db, hsm: t.hsm, now: clock.now, timers, random: () => 1, logger, timeoutMs: 2000, ...options });
      dispatchers.push(d);
      return d;
    },
    close: async () => {
      for (const d of dispatchers) await d.close();
      await closeDatabase(db);
      await drop();
      t.hsm.close();
    },
  };
}

/** Runs `body` in a fresh world and closes it. */
export async function withWorld(body: (w: WebhookWorld) => Promise<void>): Promise<void> {
  const w = await webhookWorld();
  try {
    await body(w);
  } finally {
    await w.close();
  }
}
