/**
 * `npm run bench:tsm` (issue 6, "How it is checked"): complete deploys end to end with the fleet on
 * loopback — the TSM service (HTTP API, job engine, wallet relay over WebSocket, software HSM) and
 * the virtual phones' wallet agents in this process — on SQLite and on PostgreSQL, side by side.
 *
 * A deploy: the SP API's deploy call, then the job polled until it ends — eligibility (ISD SCP03
 * session, GET STATUS), the bank's SSD created with transient keys and handed over as TR-31 blocks,
 * the key replacement over the SSD's own channel, INSTALL of the preloaded payment package's applet,
 * extradition, personalization (EMV CPS STORE DATA through the SSD), the PPSE entry, the ARA-M rule,
 * the issuer's registration. The second line adds a LOAD of a ~10 KB CAP file (bench/tsm-cap.ts).
 *
 * Reference measured in the same run: the same deploy's card + HSM work done in one process without
 * the service (test/tsm/provisioning/card/fixture.ts `deploy`: software HSM, SQLite in memory, the
 * virtual SE called directly) — the floor; the ratio is the service's overhead per deploy.
 *
 * Memory: the whole process (server and fleet together) — peak RSS and heap sampled every 50 ms,
 * heap after a full GC before and after the deploys (run with --expose-gc, as the npm script does).
 *
 * Per deploy it also counts APDUs, relay batches, the SP's job polls, HSM calls (audit_events by
 * operation) and net new rows per table; --profile adds the main thread's CPU time by where it went.
 * Figures and their analysis: docs/performance.md.
 *
 * Usage: npm run bench:tsm [-- --deploys N] [--concurrency C] [--only sqlite|pg] [--no-cap] [--floor N] [--profile]
 * Environment: OPENTSM_PG_URL (a database the bench may create scratch databases in); unset, the
 * PostgreSQL column is skipped with a note (scripts/bench-tsm.sh starts a throwaway cluster).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { closeDatabase, migrateToLatest, openDatabase, type StoreDb } from '../src/store/index.ts';
import { startDemoWorld, type DemoWorld } from '../src/cli/demo/world.ts';
import { deployPhone } from '../src/cli/demo/run-demo.ts';
import { percentile } from '../src/cli/demo/steps.ts';
import { capService } from './tsm-cap.ts';
import { encodeCardState } from '../src/se/index.ts';
import { cardWorld, deploy as floorDeploy } from '../test/tsm/provisioning/card/fixture.ts';
import { DEMO_PRODUCTS, demoCard } from '../src/cli/demo/cards.ts';
import { runAll } from './run-all.ts';

interface Args { deploys: number; concurrency: number; only: 'sqlite' | 'pg' | undefined; cap: boolean; floor: number; profile: boolean }

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { deploys: 200, concurrency: 32, only: undefined, cap: true, floor: 20, profile: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => { const v = argv[++i]; if (v === undefined) throw new Error(`${a} needs a value`); return v; };
    if (a === '--deploys') args.deploys = Number(value());
    else if (a === '--concurrency') args.concurrency = Number(value());
    else if (a === '--only') { const v = value(); if (v !== 'sqlite' && v !== 'pg') throw new Error('--only sqlite|pg'); args.only = v; }
    else if (a === '--no-cap') args.cap = false;
    else if (a === '--floor') args.floor = Number(value());
    else if (a === '--profile') args.profile = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!(args.deploys > 0 && args.concurrency > 0)) throw new Error('--deploys and --concurrency must be positive');
  return args;
}

const say = (line: string): void => { process.stderr.write(`${line}\n`); };
const MiB = (bytes: number): string => `${Math.round(bytes / 2 ** 20)}`;
const gc = (): void => { (globalThis as { gc?: () => void }).gc?.(); };

/** Peak RSS and heap, sampled. */
class MemorySampler {
  peakRss = 0;
  peakHeap = 0;
  readonly #timer: NodeJS.Timeout;
  constructor(ms = 50) {
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), ms);
    this.#timer.unref();
  }
  #sample(): void {
    const m = process.memoryUsage();
    this.peakRss = Math.max(this.peakRss, m.rss);
    this.peakHeap = Math.max(this.peakHeap, m.heapUsed);
  }
  stop(): void {
    this.#sample();
    clearInterval(this.#timer);
  }
}

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

interface Line {
  db: string;
  kind: string;
  deployed: number;
  failed: number;
  firstError?: string;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  peakRss: number;
  peakHeap: number;
  heapBefore: number;
  heapAfter: number;
  /** Per deploy: audit events by operation, APDUs to the cards. */
  auditPerDeploy: Record<string, number>;
  apdusPerDeploy: number;
  /** Net new rows per table per deploy. */
  rowsPerDeploy: Record<string, number>;
  /** Growth of the fleet's card states (encoded) per deploy: memory the phones, not the server, hold. */
  cardBytesPerDeploy: number;
  batchesPerDeploy: number;
  pollsPerDeploy: number;
  setupSeconds: number;
  cap?: { capBytes: number; lfdbBytes: number };
  /** With --profile: the main thread's CPU time during the deploys, by where it went (ms). */
  profile?: Map<string, number>;
}

/** Audit events by operation. */
async function auditCounts(db: StoreDb): Promise<Map<string, number>> {
  const rows = await db.selectFrom('audit_events').select(['operation', sql<number>`count(*)`.as('n')]).groupBy('operation').execute();
  return new Map(rows.map((r) => [r.operation, Number(r.n)]));
}

/** Rows per table (every table of the schema). */
async function rowCounts(db: StoreDb): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const t of await db.introspection.getTables()) {
    const r = await sql<{ n: number }>`select count(*) as n from ${sql.table(t.name)}`.execute(db);
    out.set(t.name, Number(r.rows[0]?.n ?? 0));
  }
  return out;
}

/** A store: a fresh SQLite file, or a fresh PostgreSQL database under OPENTSM_PG_URL. */
async function freshStore(kind: 'sqlite' | 'pg', name: string): Promise<{ db: StoreDb; drop: () => Promise<void> }> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'opentsm-bench-'));
    const db = await openDatabase(join(dir, 'opentsm.db'));
    await migrateToLatest(db);
    return { db, drop: async () => { await closeDatabase(db); rmSync(dir, { recursive: true, force: true }); } };
  }
  const admin = process.env.OPENTSM_PG_URL!;
  const dbName = `opentsm_bench_${name}_${process.pid}`;
  const run = async (text: string): Promise<void> => {
    const c = new pg.Client({ connectionString: admin });
    await c.connect();
    try { await c.query(text); } finally { await c.end(); }
  };
  await run(`DROP DATABASE IF EXISTS ${dbName}`);
  await run(`CREATE DATABASE ${dbName}`);
  const url = new URL(admin);
  url.pathname = `/${dbName}`;
  const db = await openDatabase(url.toString());
  await migrateToLatest(db);
  return { db, drop: async () => { await closeDatabase(db); await run(`DROP DATABASE IF EXISTS ${dbName}`); } };
}

/**
 * Counts the APDUs the phones' agents pass to their cards, and the relay batches: per phone, a run
 * of commands within one turn of the event loop (the agent sends a batch's commands back to back to
 * the in-process SE; batches arrive over the socket, never in the same turn) — as run-fleet.ts does.
 */
function countApdus(world: DemoWorld): { apdus: () => number; batches: () => number } {
  let apdus = 0;
  let batches = 0;
  for (const phone of world.phones) {
    const transport = phone.phone.transport;
    const original = transport.transmit.bind(transport);
    let inBatch = false;
    transport.transmit = (c) => {
      apdus++;
      if (!inBatch) {
        inBatch = true;
        batches++;
        setImmediate(() => { inBatch = false; });
      }
      return original(c);
    };
  }
  return { apdus: () => apdus, batches: () => batches };
}

/** The fleet's card states, encoded (what the phones hold, not the server). */
function cardStateBytes(cards: readonly { readonly state: Parameters<typeof encodeCardState>[0] }[]): number {
  let n = 0;
  for (const se of cards) n += encodeCardState(se.state).length;
  return n;
}

/** Counts the SP's GET /v1/sp/jobs/{id} polls (waitForJob). */
function countPolls(world: DemoWorld): () => number {
  let n = 0;
  const sp = world.sp as unknown as { job: (id: string) => Promise<unknown> };
  const original = sp.job.bind(sp);
  sp.job = (id) => { n++; return original(id); };
  return () => n;
}

async function measureLine(kind: 'sqlite' | 'pg', args: Args, withCap: boolean): Promise<Line> {
  const label = `${kind === 'sqlite' ? 'SQLite' : 'PostgreSQL'}, ${withCap ? '+ 10 KB CAP load' : 'package preloaded'}`;
  say(`\n${label}: ${args.deploys} phones…`);
  const setupStart = performance.now();
  const store = await freshStore(kind, withCap ? 'cap' : 'pre');
  try {
    const world = await startDemoWorld(store.db, { phones: args.deploys, jobConcurrency: args.concurrency, say: (l) => { if (l.startsWith('MNO:') || l.startsWith('phones:')) say(`  ${l}`); } });
    try {
      const cap = withCap ? await capService(world) : undefined;
      const deployOf = cap?.deploy ?? ((phone: DemoWorld['phones'][number]) => deployPhone(world, phone));
      const apdus = countApdus(world);
      const polls = countPolls(world);
      const setupSeconds = (performance.now() - setupStart) / 1000;
      const auditBefore = await auditCounts(store.db);
      const rowsBefore = await rowCounts(store.db);
      const cardBytesBefore = cardStateBytes(cap?.cards ?? world.fleet.phones.map((p) => p.se));
      const heapBefore = heapAfterGc();
      const sampler = new MemorySampler();
      say(`  deploying ${args.deploys}, ${args.concurrency} at a time…`);
      const profiler = args.profile ? await startProfiler() : undefined;
      let lastTenth = 0;
      const run = await runAll(world.phones, args.concurrency, deployOf, (done, total) => {
        const tenth = Math.floor((done * 10) / total);
        if (tenth > lastTenth) { lastTenth = tenth; say(`    ${done}/${total}`); }
      });
      const profile = await profiler?.stop();
      sampler.stop();
      await world.tsm.engine.idle();
      const heapAfter = heapAfterGc();
      const cardBytesPerDeploy = (cardStateBytes(cap?.cards ?? world.fleet.phones.map((p) => p.se)) - cardBytesBefore) / Math.max(1, run.ms.length);
      const auditAfter = await auditCounts(store.db);
      const rowsAfter = await rowCounts(store.db);
      const rowsPerDeploy: Record<string, number> = {};
      for (const [t, n] of rowsAfter) if (n !== (rowsBefore.get(t) ?? 0)) rowsPerDeploy[t] = (n - (rowsBefore.get(t) ?? 0)) / Math.max(1, run.ms.length);
      const auditPerDeploy: Record<string, number> = {};
      for (const [op, n] of auditAfter) {
        const d = n - (auditBefore.get(op) ?? 0);
        if (d > 0) auditPerDeploy[op] = d / Math.max(1, run.ms.length);
      }
      return {
        db: kind === 'sqlite' ? 'SQLite' : 'PostgreSQL', kind: withCap ? 'deploy + 10 KB CAP load' : 'deploy (package preloaded)',
        deployed: run.ms.length, failed: run.errors.length, ...(run.errors[0] === undefined ? {} : { firstError: run.errors[0] }),
        seconds: run.seconds, perSecond: run.ms.length / run.seconds, p50: percentile(run.ms, 50), p99: percentile(run.ms, 99),
        peakRss: sampler.peakRss, peakHeap: sampler.peakHeap, heapBefore, heapAfter, auditPerDeploy,
        rowsPerDeploy, cardBytesPerDeploy, apdusPerDeploy: apdus.apdus() / Math.max(1, run.ms.length), batchesPerDeploy: apdus.batches() / Math.max(1, run.ms.length), pollsPerDeploy: polls() / Math.max(1, run.ms.length), setupSeconds,
        ...(cap === undefined ? {} : { cap: { capBytes: cap.capBytes, lfdbBytes: cap.lfdbBytes } }),
        ...(profile === undefined ? {} : { profile }),
      };
    } finally {
      await world.close();
    }
  } finally {
    await store.drop();
  }
}

/** Where a profile sample's self time goes, by its script. */
function category(url: string, fn: string): string {
  if (url === '') {
    if (fn === '(garbage collector)') return 'garbage collection';
    if (fn === '(idle)') return 'idle (the event loop waiting)';
    return `V8 (program, microtask queue, other natives)`;
  }
  const rules: [RegExp, string][] = [
    [/kysely\/dist\/esm\/dialect\/sqlite\/sqlite-driver/, 'SQLite statements (better-sqlite3 run/all, synchronous on the main thread)'],
    [/node_modules\/(kysely|pg|pg-[a-z-]+)\//, 'Kysely query building / pg driver'],
    [/src\/store\//, 'src/store (row mapping)'],
    [/node:internal\/crypto|src\/crypto\//, 'crypto (node:crypto, src/crypto)'],
    [/src\/hsm\//, 'src/hsm (software HSM: key vault, records, audit trail)'],
    [/src\/se\/|src\/device\//, 'virtual SEs and wallet agents (src/se, src/device)'],
    [/src\/gp\/|src\/apdu\/|src\/tlv\/|src\/emv\//, 'GP/APDU/TLV/EMV encoding (src/gp, src/apdu, src/tlv, src/emv)'],
    [/src\/tsm\/client\/|undici|node:internal\/(deps|webstreams)/, 'HTTP client (TsmClient over fetch/undici: the SP polling its job)'],
    [/node_modules\/(fastify|light-my-request|find-my-way|avvio|@fastify|pino|fast-json)|node:_http|node:http/, 'HTTP server (fastify, node:http)'],
    [/node_modules\/ws\//, 'WebSocket (ws)'],
    [/src\/tsm\//, 'src/tsm (service, job engine, relay)'],
    [/node:(net|internal\/stream|internal\/streams|stream|events|internal\/stream_base)/, 'node streams, sockets, events'],
  ];
  for (const [re, name] of rules) if (re.test(url)) return name;
  if (url.startsWith('node:')) return 'node internals (other)';
  return 'other';
}

/** Starts the V8 CPU profiler (node:inspector); `stop` returns self time by category. */
async function startProfiler(): Promise<{ stop: () => Promise<Map<string, number>> }> {
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.start');
  return {
    stop: async () => {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      const byId = new Map(profile.nodes.map((n) => [n.id, n]));
      const parent = new Map<number, number>();
      for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
      /** A native frame (no script) counts for the nearest caller that has one: better-sqlite3's run/all for the SQLite driver, writev for the socket. */
      const scripted = (id: number): { url: string; fn: string } => {
        const own = byId.get(id)!.callFrame;
        if (own.url !== '' || ['(garbage collector)', '(idle)', '(program)', '(root)'].includes(own.functionName)) return { url: own.url, fn: own.functionName };
        for (let p = parent.get(id); p !== undefined; p = parent.get(p)) {
          const f = byId.get(p)!.callFrame;
          if (f.url !== '') return { url: f.url, fn: f.functionName };
        }
        return { url: '', fn: own.functionName };
      };
      const out = new Map<string, number>();
      const samples = profile.samples ?? [];
      const deltas = profile.timeDeltas ?? [];
      for (let i = 0; i < samples.length; i++) {
        const frame = scripted(samples[i]!);
        const k = category(frame.url.replace(/^file:\/\//, ''), frame.fn);
        out.set(k, (out.get(k) ?? 0) + (deltas[i] ?? 0) / 1000);
      }
      return out;
    },
  };
}

/** The floor: the same deploy's card + HSM work in one process, no service (sequential). */
async function floorMs(n: number, profile: boolean): Promise<{ ms: number; profile?: Map<string, number> }> {
  say(`\nfloor: ${n} deploys in-process (card + software HSM, no service)…`);
  const cw = await cardWorld(n + 2);
  try {
    const one = (i: number) => floorDeploy(cw, cw.phones[i]!, demoCard(i), DEMO_PRODUCTS[i % DEMO_PRODUCTS.length]!.aid);
    await one(0);
    await one(1);
    const profiler = profile ? await startProfiler() : undefined;
    const t0 = performance.now();
    for (let i = 2; i < n + 2; i++) await one(i);
    const ms = (performance.now() - t0) / n;
    const where = await profiler?.stop();
    return { ms, ...(where === undefined ? {} : { profile: where }) };
  } finally {
    await cw.close();
  }
}

function printProfile(title: string, profile: Map<string, number>, deploys: number): void {
  const total = [...profile.values()].reduce((a, b) => a + b, 0);
  console.log(`  ${title}:`);
  for (const [k, t] of [...profile].sort((a, b) => b[1] - a[1])) {
    if (t / total >= 0.005) console.log(`    ${((100 * t) / total).toFixed(1).padStart(5)}%  ${(t / Math.max(1, deploys)).toFixed(2).padStart(7)} ms/deploy  ${k}`);
  }
}

function table(head: string[], rows: string[][], left: ReadonlySet<number>): void {
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) => cells.map((x, c) => (left.has(c) ? x.padEnd(widths[c]!) : x.padStart(widths[c]!))).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if ((globalThis as { gc?: unknown }).gc === undefined) say('note: run with node --expose-gc for heap-after-GC figures (npm run bench:tsm does)');
  const dbs: ('sqlite' | 'pg')[] = [];
  const notes: string[] = [];
  if (args.only !== 'pg') dbs.push('sqlite');
  if (args.only !== 'sqlite') {
    if (process.env.OPENTSM_PG_URL === undefined || process.env.OPENTSM_PG_URL === '') notes.push('PostgreSQL skipped: OPENTSM_PG_URL is unset (scripts/bench-tsm.sh starts a throwaway cluster and sets it)');
    else dbs.push('pg');
  }
  const floorRun = await floorMs(args.floor, args.profile);
  const floor = floorRun.ms;
  const lines: Line[] = [];
  for (const kind of dbs) {
    lines.push(await measureLine(kind, args, false));
    if (args.cap) lines.push(await measureLine(kind, args, true));
  }
  console.log(`\nTSM deploys end to end (service + ${args.deploys} phones on loopback in one process, software HSM; ${args.concurrency} deploys at a time; Node ${process.version})\n`);
  table(
    ['store', 'deploy', 'ok', 'failed', 'deploys/s', 'p50 ms', 'p99 ms', 'ms/deploy', 'floor ms', 'ratio', 'peak RSS MiB', 'heap MiB before→after (GC)'],
    lines.map((l) => {
      const msPer = (l.seconds * 1000) / Math.max(1, l.deployed);
      return [l.db, l.kind, String(l.deployed), String(l.failed), l.perSecond.toFixed(1), l.p50.toFixed(0), l.p99.toFixed(0), msPer.toFixed(2), floor.toFixed(2), `${(msPer / floor).toFixed(1)}×`, MiB(l.peakRss), `${MiB(l.heapBefore)} → ${MiB(l.heapAfter)}`];
    }),
    new Set([0, 1]),
  );
  console.log(`\nfloor: the same deploy (handover, install, extradition, personalization, PPSE, ARA-M rule) called in-process, sequential, software HSM, SQLite in memory: ${floor.toFixed(2)} ms (${(1000 / floor).toFixed(0)}/s on one core)`);
  if (floorRun.profile !== undefined) printProfile('CPU profile of the floor', floorRun.profile, args.floor);
  for (const l of lines) {
    const ops = Object.entries(l.auditPerDeploy).sort((a, b) => b[1] - a[1]);
    const total = ops.reduce((s, [, n]) => s + n, 0);
    console.log(`\n${l.db}, ${l.kind}: per deploy ${l.apdusPerDeploy.toFixed(1)} APDUs to the card in ${l.batchesPerDeploy.toFixed(1)} relay batches, ${l.pollsPerDeploy.toFixed(1)} job polls by the SP (GET every 10 ms), ${total.toFixed(1)} audit events (${ops.map(([op, n]) => `${op} ${n.toFixed(1)}`).join(', ')}); set-up ${l.setupSeconds.toFixed(1)} s; heap growth ${((l.heapAfter - l.heapBefore) / 1024 / Math.max(1, l.deployed)).toFixed(1)} KiB/deploy (the cards' encoded state grew ${(l.cardBytesPerDeploy / 1024).toFixed(1)} KiB/deploy); peak heap ${MiB(l.peakHeap)} MiB`);
    console.log(`  net new rows per deploy: ${Object.entries(l.rowsPerDeploy).sort((x, y) => y[1] - x[1]).map(([t, n]) => `${t} ${n.toFixed(1)}`).join(', ')}`);
    if (l.cap !== undefined) console.log(`  CAP file ${l.cap.capBytes} bytes (zip), Load File Data Block ${l.cap.lfdbBytes} bytes LOADed through the SSD`);
    if (l.profile !== undefined) printProfile('CPU profile of the deploys (main thread, self time; the job engine, HTTP, relay, HSM and cards all run on it)', l.profile, l.deployed);
    if (l.firstError !== undefined) console.log(`  first error: ${l.firstError}`);
  }
  for (const n of notes) console.log(`\n${n}`);
}

main().then(() => process.exit(0), (e: unknown) => {
  console.error(e);
  process.exit(1);
});
