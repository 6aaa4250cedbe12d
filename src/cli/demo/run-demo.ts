/**
 * `opentsm demo`: the whole chain on this machine with nothing to configure — a key ceremony, a batch
 * of phones from the card factory, a payment card deployed to each through its Secure Element's
 * secure channel with HSM-prepared data, then each phone taps a POS terminal, the issuer authorizes
 * in the HSM and the wallet delivers the issuer's answer to the card. Prints a summary.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PosTerminal, caKeyFromSpki, deliverIssuerUpdate, type TerminalOutcome } from '../../device/index.ts';
import { closeDatabase, migrateToLatest, openDatabase } from '../../store/index.ts';
import { IssuerService } from '../../tsm/index.ts';
import type { CalcResult } from '../calc/result.ts';
import type { Output } from '../gp/output.ts';
import { DEMO_TENANTS, holdCeremony } from './ceremony.ts';
import { manufacturePhones, type DemoPhone } from './phones.ts';
import { cardFor, deployCard } from './provision.ts';
import { percentile, runStage } from './steps.ts';

export interface DemoOptions {
  readonly phones: number;
  readonly concurrency: number;
}

const ms = (v: number): string => (Number.isNaN(v) ? '-' : `${v.toFixed(1)} ms`);

/** Runs the demo; returns the summary (printed by the caller). */
export async function runDemo(out: Output, options: DemoOptions): Promise<CalcResult> {
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'opentsm-demo-'));
  const db = await openDatabase(join(dir, 'opentsm.db'));
  try {
    await migrateToLatest(db);
    out.err('key ceremony: two custodians form the LMK from components; transport KEK, CA, issuer keys in the HSM');
    const parties = await holdCeremony(db);
    try {
      out.err(`  LMK KCV ${parties.lmkKcv}`);
      const fleet = await manufacturePhones(parties, options.phones, () => undefined);
      out.err(`card factory: ${fleet.phones.length} embedded SEs with the payment package; batch master keys imported from TR-31 blocks`);
      const issuer = new IssuerService({ db, hsm: parties.hsm, ctx: parties.ctx(DEMO_TENANTS.tsm), panIndexKey: parties.panIndexKey });
      const deploy = await runStage(out, 'deploying payment cards', fleet.phones, options.concurrency, (phone) => deployCard(parties, fleet, issuer, phone));
      const deployed = fleet.phones.filter((_, i) => deploy.results[i]!.ok);
      const caKeys = [cardFor({ index: 0 } as DemoPhone).aid, cardFor({ index: 1 } as DemoPhone).aid].map((aid) => caKeyFromSpki(aid.subarray(0, 5), parties.caIndex, parties.caSpki));
      const terminal = new PosTerminal({ caKeys, supportedAids: caKeys.map((_, i) => cardFor({ index: i } as DemoPhone).aid), authorizer: issuer });
      const taps = await runStage(out, 'tapping at the POS', deployed, options.concurrency, async (phone) => {
        const outcome: TerminalOutcome = await terminal.transact(phone.transport, { amount: 1250 + phone.index, currency: 978, country: 250, date: today() });
        if (outcome.kind === 'approved') {
          const update = await deliverIssuerUpdate(phone.transport, outcome.aid, outcome.authorization);
          if (!update.completed) throw new Error('the card refused the issuer update');
        }
        return outcome;
      });
      const outcomes = taps.results.flatMap((r) => (r.ok ? [r.value] : []));
      const deployMs = deploy.results.filter((r) => r.ok).map((r) => r.ms);
      const tapMs = taps.results.filter((r) => r.ok).map((r) => r.ms);
      const firstError = [...deploy.results, ...taps.results].find((r) => !r.ok);
      return {
        phones: fleet.phones.length,
        deployed: deployed.length,
        failed: fleet.phones.length - deployed.length,
        deployLatency: { median: ms(percentile(deployMs, 50)), '95th': ms(percentile(deployMs, 95)), '99th': ms(percentile(deployMs, 99)) },
        deploysPerSecond: (deployed.length / deploy.seconds).toFixed(1),
        transactions: taps.results.length,
        approved: outcomes.filter((o) => o.kind === 'approved').length,
        fddaVerified: outcomes.filter((o) => o.kind !== 'error' && o.oda.kind === 'fdda-ok').length,
        declined: outcomes.filter((o) => o.kind !== 'approved').length + taps.results.filter((r) => !r.ok).length,
        transactionLatency: { median: ms(percentile(tapMs, 50)), '95th': ms(percentile(tapMs, 95)), '99th': ms(percentile(tapMs, 99)) },
        ...(firstError !== undefined && !firstError.ok ? { firstError: firstError.error } : {}),
        seconds: ((performance.now() - started) / 1000).toFixed(1),
      };
    } finally {
      parties.hsm.close();
    }
  } finally {
    await closeDatabase(db);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Today as YYMMDD (the transaction date, 9A). */
function today(): string {
  const d = new Date();
  return `${String(d.getUTCFullYear() % 100).padStart(2, '0')}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;
}
