/**
 * `opentsm demo`: the whole chain on this machine with nothing to configure (issue 6, "The demo") — a
 * key ceremony; the TSM on a loopback port; the MNO registers a batch of phones over the API; the
 * bank creates its payment services and deploys a card to every phone (each deploy a durable job:
 * the bank's SSD created and handed over, the applet installed and personalized through the SSD's
 * SCP03 channel over the wallet relay, the PPSE entry and the ARA-M rule); every phone taps a POS
 * terminal that authorizes over the issuer API; one phone is reported lost and recovered. Returns a summary.
 * `bearer` (world.ts): the relay to embedded SEs, or UICCs over the air — SMS-triggered SCP81
 * sessions (`sms`) or sessions the cards open by polling (`scp81`); the summary counts trigger SMS
 * and admin sessions.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PosTerminal, SigningIdentity, caKeyFromSpki, deliverIssuerUpdate, type TerminalOutcome } from '../../device/index.ts';
import { closeDatabase, migrateToLatest, openDatabase } from '../../store/index.ts';
import type { ApiJob } from '../../tsm/index.ts';
import type { CalcResult } from '../calc/result.ts';
import type { Output } from '../gp/output.ts';
import type { RegisteredPhone } from '../fleet/operator.ts';
import { DEMO_PRODUCTS, demoCard } from './cards.ts';
import { DEMO_KEYS } from './ceremony.ts';
import { toHex } from '../../bytes/index.ts';
import { encipherPinBlockIso4 } from '../../emv/index.ts';
import { percentile, runStage, type StageResult } from './steps.ts';
import { startDemoWorld, type DemoBearer, type DemoWorld } from './world.ts';
import { changePinThroughTee, walletView } from './phone-side.ts';

export interface DemoOptions {
  readonly phones: number;
  readonly concurrency: number;
  /** How the TSM reaches the SEs (default `relay`). */
  readonly bearer?: DemoBearer;
}

/** The initial offline PIN of the card whose PIN the demo changes (a demo value: the cardholder replaces it). */
const INITIAL_PIN = '2468';

const ms = (v: number): string => (Number.isNaN(v) ? '-' : `${v.toFixed(1)} ms`);

function latencies(stage: StageResult<unknown>): CalcResult {
  const values = stage.results.flatMap((r) => (r.ok ? [r.ms] : []));
  return { median: ms(percentile(values, 50)), '95th': ms(percentile(values, 95)), '99th': ms(percentile(values, 99)) };
}

/** Today as YYMMDD (the transaction date, 9A). */
function today(): string {
  return new Date().toISOString().slice(2, 10).replaceAll('-', '');
}

/** Deploys the card of `phone` through the SP API and waits for its job; throws unless it succeeded. `initialPin`: an offline PIN, enciphered by the bank's PIN mailer. */
export async function deployPhone(world: DemoWorld, phone: RegisteredPhone, initialPin?: string): Promise<ApiJob & { readonly instanceId: string }> {
  const i = phone.phone.index;
  const card = demoCard(i);
  const pin = initialPin === undefined
    ? {}
    : { pin: { key: DEMO_KEYS.pinIssuing, format: 4, block: toHex(encipherPinBlockIso4(world.parties.pinIssuingKey, initialPin, card.pan)), tryLimit: 3 } };
  const { job, instance } = await world.sp.deploy(world.serviceIds[i % DEMO_PRODUCTS.length]!, { subscriptionId: phone.subscriptionAlias, card: { ...card, ...pin }, validitySeconds: 600 }, `demo-deploy-${phone.phone.seId}`);
  const ended = await world.sp.waitForJob(job.jobId, { timeoutMs: 120_000, intervalMs: 100, maxIntervalMs: 250 });
  if (ended.state !== 'succeeded') throw new Error(`deploy ${ended.state} at ${ended.error?.step ?? '?'}: ${ended.error?.code ?? ''}${ended.error?.sw === undefined ? '' : ` ${ended.error.sw}`}`);
  return { ...ended, instanceId: instance.instanceId };
}

/** One tap of `phone` at `terminal`, then the wallet's issuer update when the issuer answered. */
async function tapAndUpdate(terminal: PosTerminal, phone: RegisteredPhone): Promise<TerminalOutcome> {
  const outcome = await terminal.transact(phone.phone.transport, { amount: 1250 + phone.phone.index, currency: 978, country: 250, date: today() });
  if (outcome.kind === 'approved') {
    const update = await deliverIssuerUpdate(phone.phone.transport, outcome.aid, outcome.authorization);
    if (!update.completed) throw new Error('the card refused the issuer update');
  }
  phone.phone.se.reset(); // the phone leaves the field: the contactless session's selection ends
  return outcome;
}

/**
 * The MNO reports `phone`'s SE lost (GP reason 22), then recovered (121): the TSM fans each out to
 * the bank's instance `instanceId` on it (a lock, then an unlock job through the ISD); the tap after
 * each job has ended (over the air a job may wait for the card's next session, so the instance's
 * state says when: suspended, then active again).
 */
async function lostAndRecovered(world: DemoWorld, terminal: PosTerminal, phone: RegisteredPhone, instanceId: string): Promise<string> {
  const notify = async (newStatus: 'SUSPENDED' | 'ACTIVATED', reason: number, state: string): Promise<void> => {
    await world.mno.call('POST', '/v1/mno/notifications', { kind: 'HandleSEStatusChangeNotification', seId: phone.phone.seId, newStatus, reason });
    await world.tsm.engine.idle();
    const end = Date.now() + 60_000;
    while ((await world.sp.instance(instanceId)).state !== state) {
      if (Date.now() > end) throw new Error(`the instance did not become ${state} within 60 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  await notify('SUSPENDED', 22, 'suspended');
  const whileLost = await terminal.transact(phone.phone.transport, { amount: 990, currency: 978, country: 250, date: today() });
  await notify('ACTIVATED', 121, 'active');
  const recovered = await tapAndUpdate(terminal, phone);
  return `reported lost (22): tap ${whileLost.kind}; recovered (121): tap ${recovered.kind}`;
}

/** Deploys to every phone, then taps every deployed one; the summary. */
async function deployAndTap(out: Output, world: DemoWorld, options: DemoOptions): Promise<CalcResult> {
  // the second phone's card gets an offline PIN, which its cardholder later changes through the TEE
  const deploy = await runStage(out, 'deploying payment cards', world.phones, options.concurrency, (phone) => deployPhone(world, phone, phone === world.phones[1] ? INITIAL_PIN : undefined));
  const deployed = world.phones.filter((_, i) => deploy.results[i]!.ok);
  if (world.ota !== undefined) out.err(`over the air (${world.bearer}): ${otaLine(world)}`);
  const { parties } = world;
  const caKeys = DEMO_PRODUCTS.map((p) => caKeyFromSpki(p.aid.subarray(0, 5), parties.caIndex, parties.caSpki));
  const terminal = new PosTerminal({ caKeys, supportedAids: DEMO_PRODUCTS.map((p) => p.aid), authorizer: world.authorizer });
  const taps = await runStage(out, 'tapping at the POS', deployed, options.concurrency, (phone) => tapAndUpdate(terminal, phone));
  const outcomes = taps.results.flatMap((r) => (r.ok ? [r.value] : []));
  const firstError = [...deploy.results, ...taps.results].find((r) => !r.ok);
  const first = deploy.results.findIndex((r) => r.ok);
  const firstDeploy = deploy.results[first];
  const lostStolen = firstDeploy?.ok !== true ? 'no card deployed' : await lostAndRecovered(world, terminal, world.phones[first]!, firstDeploy.value.instanceId);
  const foreign = SigningIdentity.create({ packageName: 'com.example.not.the.bank' });
  const views = await runStage(out, 'wallets reading their cards (OMAPI)', deployed, options.concurrency, (phone) => walletView(world, phone, phone === deployed[0] ? foreign : undefined));
  const seen = views.results.flatMap((r) => (r.ok ? [r.value] : []));
  const pinPhone = deployed.find((p) => p === world.phones[1]);
  const pinDeploy = pinPhone === undefined ? undefined : deploy.results[world.phones.indexOf(pinPhone)];
  const pinChange = pinPhone === undefined || pinDeploy?.ok !== true ? 'needs two phones' : await changePinThroughTee(world, terminal, pinPhone, pinDeploy.value.instanceId);
  await world.ota?.cards.idle(); // the sessions open now end with the server's 204: the summary counts them
  return {
    bearer: BEARER_LABEL[world.bearer],
    phones: world.phones.length,
    deployed: deployed.length,
    failed: world.phones.length - deployed.length,
    deployLatency: latencies(deploy),
    deploysPerSecond: (deployed.length / deploy.seconds).toFixed(1),
    transactions: taps.results.length,
    approved: outcomes.filter((o) => o.kind === 'approved').length,
    fddaVerified: outcomes.filter((o) => o.kind !== 'error' && o.oda.kind === 'fdda-ok').length,
    declined: outcomes.filter((o) => o.kind !== 'approved').length + taps.results.filter((r) => !r.ok).length,
    transactionLatency: latencies(taps),
    lostStolen,
    wallets: `${seen.filter((v) => v.state === 'active').length} of ${deployed.length} show their card active (ATC ${[...new Set(seen.map((v) => v.atc))].join('/')}, ${seen.reduce((n, v) => n + v.transactions, 0)} transactions logged); an app of another signer: ${seen[0]?.foreign ?? '-'}`,
    pinChange,
    ...(world.ota === undefined ? {} : { overTheAir: otaLine(world) }),
    ...(firstError !== undefined && !firstError.ok ? { firstError: firstError.error } : {}),
  };
}

const BEARER_LABEL: Readonly<Record<DemoBearer, string>> = {
  relay: 'relay (eSEs, wallet agents on the TSM\'s WebSocket relay)',
  sms: 'sms (UICCs: secured trigger SMS through the SMSC, then an SCP81 admin session over TLS-PSK)',
  scp81: 'scp81 (UICCs: SCP81 admin sessions the cards open by polling, no SMS)',
};

/** What went over the air so far: trigger SMS and their PoRs, the cards' admin sessions. */
function otaLine(world: DemoWorld): string {
  const s = world.ota!.stats();
  const a = s.agents;
  const sms = world.bearer === 'sms' ? `${s.triggers} trigger SMS (${s.porOk} PoR OK), ` : `${a.polls} polls (${a.refused} refused at the handshake: no work held for the card), `;
  return `${sms}${a.sessions} admin sessions ended (${a.working} with scripts, ${a.scripts} scripts)${a.failed === 0 ? '' : `, ${a.failed} failed (${a.firstError ?? '?'})`}`;
}

/** Runs the demo in a temporary data directory, removed at the end. */
export async function runDemo(out: Output, options: DemoOptions): Promise<CalcResult> {
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'opentsm-demo-'));
  const db = await openDatabase(join(dir, 'opentsm.db'));
  try {
    await migrateToLatest(db);
    out.err(`bearer: ${BEARER_LABEL[options.bearer ?? 'relay']}`);
    const world = await startDemoWorld(db, { phones: options.phones, bearer: options.bearer ?? 'relay', jobConcurrency: Math.max(4, options.concurrency), say: (line) => out.err(line) });
    try {
      const summary = await deployAndTap(out, world, options);
      return { ...summary, seconds: ((performance.now() - started) / 1000).toFixed(1) };
    } finally {
      await world.close();
    }
  } finally {
    await closeDatabase(db);
    rmSync(dir, { recursive: true, force: true });
  }
}
