/**
 * `opentsm demo`: the whole chain on this machine with nothing to configure — a key ceremony, a batch
 * of phones from the card factory, the TSM service on a loopback port, a payment card deployed to each
 * phone through its Secure Element's secure channel with HSM-prepared data, then each phone taps a POS
 * terminal that authorizes over the service's API (the issuer verifies in the HSM) and the wallet
 * delivers the issuer's answer to the card. Returns a summary.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PosTerminal, caKeyFromSpki, deliverIssuerUpdate, type TerminalOutcome } from '../../device/index.ts';
import { closeDatabase, migrateToLatest, openDatabase } from '../../store/index.ts';
import type { CalcResult } from '../calc/result.ts';
import type { Output } from '../gp/output.ts';
import { DEMO_TENANTS, holdCeremony, type DemoParties } from './ceremony.ts';
import { manufacturePhones, type DemoFleet, type DemoPhone } from './phones.ts';
import { DEMO_PRODUCTS, deployCard } from './provision.ts';
import { startDemoService, type DemoService } from './service.ts';
import { percentile, runStage, type StageResult } from './steps.ts';

export interface DemoOptions {
  readonly phones: number;
  readonly concurrency: number;
}

const ms = (v: number): string => (Number.isNaN(v) ? '-' : `${v.toFixed(1)} ms`);

function latencies(stage: StageResult<unknown>): CalcResult {
  const values = stage.results.flatMap((r) => (r.ok ? [r.ms] : []));
  return { median: ms(percentile(values, 50)), '95th': ms(percentile(values, 95)), '99th': ms(percentile(values, 99)) };
}

/** Today as YYMMDD (the transaction date, 9A). */
function today(): string {
  return new Date().toISOString().slice(2, 10).replaceAll('-', '');
}

/** One tap of `phone` at `terminal`, then the wallet's issuer update when the issuer answered. */
async function tapAndUpdate(terminal: PosTerminal, phone: DemoPhone): Promise<TerminalOutcome> {
  const outcome = await terminal.transact(phone.transport, { amount: 1250 + phone.index, currency: 978, country: 250, date: today() });
  if (outcome.kind === 'approved') {
    const update = await deliverIssuerUpdate(phone.transport, outcome.aid, outcome.authorization);
    if (!update.completed) throw new Error('the card refused the issuer update');
  }
  return outcome;
}

/** Deploys to every phone, then taps every deployed one; the summary. */
async function deployAndTap(out: Output, parties: DemoParties, fleet: DemoFleet, service: DemoService, options: DemoOptions): Promise<CalcResult> {
  const deploy = await runStage(out, 'deploying payment cards', fleet.phones, options.concurrency, (phone) => deployCard(parties, fleet, service, phone));
  const deployed = fleet.phones.filter((_, i) => deploy.results[i]!.ok);
  const caKeys = DEMO_PRODUCTS.map((p) => caKeyFromSpki(p.aid.subarray(0, 5), parties.caIndex, parties.caSpki));
  const terminal = new PosTerminal({ caKeys, supportedAids: DEMO_PRODUCTS.map((p) => p.aid), authorizer: service.authorizer });
  const taps = await runStage(out, 'tapping at the POS', deployed, options.concurrency, (phone) => tapAndUpdate(terminal, phone));
  const outcomes = taps.results.flatMap((r) => (r.ok ? [r.value] : []));
  const firstError = [...deploy.results, ...taps.results].find((r) => !r.ok);
  return {
    phones: fleet.phones.length,
    deployed: deployed.length,
    failed: fleet.phones.length - deployed.length,
    deployLatency: latencies(deploy),
    deploysPerSecond: (deployed.length / deploy.seconds).toFixed(1),
    transactions: taps.results.length,
    approved: outcomes.filter((o) => o.kind === 'approved').length,
    fddaVerified: outcomes.filter((o) => o.kind !== 'error' && o.oda.kind === 'fdda-ok').length,
    declined: outcomes.filter((o) => o.kind !== 'approved').length + taps.results.filter((r) => !r.ok).length,
    transactionLatency: latencies(taps),
    ...(firstError !== undefined && !firstError.ok ? { firstError: firstError.error } : {}),
  };
}

/** Runs the demo in a temporary data directory, removed at the end. */
export async function runDemo(out: Output, options: DemoOptions): Promise<CalcResult> {
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'opentsm-demo-'));
  const db = await openDatabase(join(dir, 'opentsm.db'));
  try {
    await migrateToLatest(db);
    out.err('key ceremony: two custodians form the LMK from components; transport KEK, CA and issuer keys in the HSM');
    const parties = await holdCeremony(db);
    try {
      out.err(`  LMK KCV ${parties.lmkKcv}`);
      const fleet = await manufacturePhones(parties, options.phones);
      out.err(`card factory: ${fleet.phones.length} embedded SEs with the payment package; batch master keys imported from TR-31 blocks`);
      const service = await startDemoService(db, parties.hsm, DEMO_TENANTS.tsm);
      try {
        out.err(`TSM service: ${service.baseUrl} (issuer routes; plain HTTP on loopback for the demo)`);
        const summary = await deployAndTap(out, parties, fleet, service, options);
        return { ...summary, seconds: ((performance.now() - started) / 1000).toFixed(1) };
      } finally {
        await service.close();
      }
    } finally {
      parties.hsm.close();
    }
  } finally {
    await closeDatabase(db);
    rmSync(dir, { recursive: true, force: true });
  }
}
