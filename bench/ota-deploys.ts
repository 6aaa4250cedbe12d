/**
 * The second table of `npm run bench:ota`: complete deploys end to end over SCP81, SMS-triggered
 * (the demo world's `sms` bearer: the TSM's trigger SMS sealed with the HSM's SCP80 keys, through an
 * SMPP SMSC simulator on loopback to each phone's virtual UICC, its PoR back, then the card's SCP81
 * admin session over TLS-PSK carrying the deploy's commands, SDs targeted by SELECT) beside the same
 * deploys over the wallet relay to embedded SEs (`relay`), measured in the same run: two demo worlds
 * one after the other, each on a fresh SQLite file in a temp dir, N deploys C at a time through the
 * SP API (run-demo.ts `deployPhone`, as bench/tsm.ts). The ratio is what to compare across runs.
 * Per deploy it also counts the SMS (trigger out, PoR back), the SCP81 admin sessions and the
 * scripts they carried (one C-APDU each, one HTTP POST round trip each).
 *
 * Usage: npm run bench:ota [-- --deploys N] [--concurrency C]   (defaults 40 and 16)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeDatabase, migrateToLatest, openDatabase } from '../src/store/index.ts';
import { startDemoWorld, type DemoBearer } from '../src/cli/demo/world.ts';
import { deployPhone } from '../src/cli/demo/run-demo.ts';
import { percentile } from '../src/cli/demo/steps.ts';
import { runAll } from './run-all.ts';

export interface OtaDeployArgs {
  readonly deploys: number;
  readonly concurrency: number;
}

interface Line {
  readonly bearer: DemoBearer;
  readonly deployed: number;
  readonly failed: number;
  readonly firstError?: string;
  readonly seconds: number;
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly triggerSms?: number;
  readonly porSms?: number;
  readonly sessions?: number;
  readonly scripts?: number;
}

const say = (line: string): void => void process.stderr.write(`${line}\n`);

/** Parses `--deploys N --concurrency C` (other arguments are refused). */
export function otaDeployArgs(argv: readonly string[]): OtaDeployArgs {
  const args = { deploys: 40, concurrency: 16 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = Number(argv[++i]);
    if (a === '--deploys') args.deploys = v;
    else if (a === '--concurrency') args.concurrency = v;
    else throw new Error(`unknown argument ${a} (--deploys N, --concurrency C)`);
  }
  if (!(Number.isInteger(args.deploys) && args.deploys > 0 && Number.isInteger(args.concurrency) && args.concurrency > 0)) throw new Error('--deploys and --concurrency: positive integers');
  return args;
}

/** One world on a fresh SQLite file: `deploys` phones, each deployed once over `bearer`. */
async function measure(bearer: DemoBearer, args: OtaDeployArgs): Promise<Line> {
  say(`\n${bearer}: ${args.deploys} phones…`);
  const dir = mkdtempSync(join(tmpdir(), 'opentsm-bench-ota-'));
  const db = await openDatabase(join(dir, 'opentsm.db'));
  try {
    await migrateToLatest(db);
    const world = await startDemoWorld(db, { phones: args.deploys, bearer, jobConcurrency: args.concurrency, say: (l) => { if (l.startsWith('MNO:')) say(`  ${l}`); } });
    try {
      const before = world.ota?.stats();
      say(`  deploying ${args.deploys}, ${args.concurrency} at a time…`);
      const run = await runAll(world.phones, args.concurrency, (phone) => deployPhone(world, phone));
      await world.tsm.engine.idle();
      await world.ota?.cards.idle(); // the last sessions end with the server's idle 204: count them
      const after = world.ota?.stats();
      const n = Math.max(1, run.ms.length);
      const ota = before === undefined || after === undefined ? {} : {
        triggerSms: ((after.smsc?.submitted ?? 0) - (before.smsc?.submitted ?? 0)) / n,
        porSms: ((after.smsc?.replies ?? 0) - (before.smsc?.replies ?? 0)) / n,
        sessions: (after.agents.sessions + after.agents.failed - before.agents.sessions - before.agents.failed) / n,
        scripts: (after.agents.scripts - before.agents.scripts) / n,
      };
      return {
        bearer, deployed: run.ms.length, failed: run.errors.length, ...(run.errors[0] === undefined ? {} : { firstError: run.errors[0] }),
        seconds: run.seconds, perSecond: run.ms.length / run.seconds, p50: percentile(run.ms, 50), p99: percentile(run.ms, 99), ...ota,
      };
    } finally {
      await world.close();
    }
  } finally {
    await closeDatabase(db);
    rmSync(dir, { recursive: true, force: true });
  }
}

const LABEL: Readonly<Record<DemoBearer, string>> = {
  sms: 'SCP81, SMS-triggered (UICCs)',
  scp81: 'SCP81, cards polling (UICCs)',
  relay: 'wallet relay (eSEs)',
};

/** Measures the `sms` and `relay` bearers in this run and prints the table and the ratio; false when a deploy failed. */
export async function benchOtaDeploys(args: OtaDeployArgs): Promise<boolean> {
  const lines = [await measure('sms', args), await measure('relay', args)];
  const f = (v: number | undefined, digits: number): string => (v === undefined || Number.isNaN(v) ? '-' : v.toFixed(digits));
  const head = ['bearer', 'deploys', 's', 'deploys/s', 'p50 ms', 'p99 ms', 'trigger SMS/deploy', 'PoR SMS/deploy', 'admin sessions/deploy', 'scripts/deploy'];
  const rows = lines.map((l) => [LABEL[l.bearer], `${l.deployed}${l.failed === 0 ? '' : ` (${l.failed} failed)`}`, f(l.seconds, 1), f(l.perSecond, 2), f(l.p50, 0), f(l.p99, 0), f(l.triggerSms, 2), f(l.porSms, 2), f(l.sessions, 2), f(l.scripts, 1)]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(`\nComplete deploys end to end on loopback (SP API → job → card, SQLite, ${args.deploys} deploys, ${args.concurrency} at a time)\n`);
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
  const [sms, relay] = lines as [Line, Line];
  console.log(`\nSCP81 (SMS-triggered) / relay: ${(sms.perSecond / relay.perSecond).toFixed(2)}× the relay's deploys per second`);
  for (const l of lines) if (l.firstError !== undefined) console.log(`${LABEL[l.bearer]}: first error: ${l.firstError}`);
  return lines.every((l) => l.failed === 0);
}
