/**
 * The provisioning jobs on virtual SEs (docs/provisioning.md): a deploy through SSD creation with
 * key handover, install, personalization, PPSE, access rule and issuer registration; suspend,
 * resume, terminate; the MNO's lost/stolen fan-out; a phone offline or dropping the line; and a
 * process killed after every few APDUs of a deploy — each job ends once, with one instance on the
 * card, and the registry mirror equal to the card.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getJob, listServiceInstances } from '../../../src/store/index.ts';
import { JOB_PAYLOAD_LABEL } from '../../../src/tsm/protection/index.ts';
import { TsmError } from '../../../src/tsm/index.ts';
import { reconcile } from '../../../src/tsm/provisioning/index.ts';
import { deleteInstance, readAccessRules, readApplication, readCardContent, openIsd, PPSE_AID } from '../../../src/tsm/provisioning/card/index.ts';
import { visaCard, VISA_STYLE_AID, WALLET_CERT_HASH } from './card/fixture.ts';
import { jobsWorld, SERVICE_ID, type JobsWorld } from './jobs-fixture.ts';
import type { PaymentCardRecord } from '../../../src/tsm/index.ts';

const TERMINAL_TX = { amount: 1500, currency: 978, country: 250, date: '261127' };

function cardOf(w: JobsWorld, i: number): PaymentCardRecord {
  return visaCard(w.cw.world, `47617300000${String(100 + i).padStart(4, '0')}0`.slice(0, 15) + '0');
}

async function liveContent(w: JobsWorld, i: number) {
  const phone = w.cw.phones[i]!;
  const isd = await openIsd(w.cw.world.t.hsm, w.cw.mnoCtx, phone.transport, phone.record);
  try {
    return await readCardContent(isd);
  } finally {
    isd.close();
  }
}

async function tap(w: JobsWorld, i: number) {
  return w.cw.world.terminal.transact(w.cw.phones[i]!.transport, TERMINAL_TX);
}

describe('provisioning jobs on virtual SEs', () => {
  let w: JobsWorld;
  before(async () => {
    w = await jobsWorld(24);
  });
  after(async () => w.close());

  it('deploys a payment card: SSD taken over, instance personalized, PPSE, access rule, issuer card — and a tap is approved', async () => {
    const sp = w.cw.spCtx.tenant;
    const { instance, job } = await w.provisioning.deploy(sp, { serviceId: SERVICE_ID, seId: 'se-0', card: cardOf(w, 0) }, { idempotencyKey: 'deploy-0' });
    assert.equal(instance.state, 'deploying');
    const done = await w.settle(job.id);
    assert.equal(done.state, 'succeeded', JSON.stringify(done.error));
    const after = await w.provisioning.instance(sp, instance.instanceId);
    assert.equal(after.state, 'active');
    assert.match(after.cardId ?? '', /^card_inst_/);
    const outcome = await tap(w, 0);
    assert.equal(outcome.kind, 'approved', JSON.stringify(outcome));
    assert.deepEqual(await reconcile(w.cw.world.db, 'se-0', await liveContent(w, 0)), []);
    const phone = w.cw.phones[0]!;
    const isd = await openIsd(w.cw.world.t.hsm, w.cw.mnoCtx, phone.transport, phone.record);
    const rules = await readAccessRules(isd, phone.record.araAid!);
    isd.close();
    assert.ok(rules.some((r) => r.certHash !== undefined && Buffer.from(r.certHash).toString('hex').toUpperCase() === WALLET_CERT_HASH), 'the wallet rule is on the ARA-M');
    // the card data lived only sealed in the job; the job's end erased it and destroyed its HSM key
    const stored = await getJob(w.cw.world.db, job.id);
    assert.equal(stored?.payload, null);
    const livePayloadKeys = async () => (await w.cw.world.t.hsm.listKeys({ label: JOB_PAYLOAD_LABEL }, w.cw.spCtx)).filter((k) => k.status === 'active').map((k) => k.id);
    for (let n = 0; n < 50 && (await livePayloadKeys()).length > 0; n++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(await livePayloadKeys(), []);
    // the same request again: the same instance and job, nothing runs twice
    const again = await w.provisioning.deploy(sp, { serviceId: SERVICE_ID, seId: 'se-0', card: cardOf(w, 0) }, { idempotencyKey: 'deploy-0' });
    assert.equal(again.job.id, job.id);
    assert.equal(again.instance.instanceId, instance.instanceId);
    // another request under the same key is a conflict; another key for the same AID on the SE too
    await assert.rejects(w.provisioning.deploy(sp, { serviceId: SERVICE_ID, seId: 'se-0', card: cardOf(w, 1) }, { idempotencyKey: 'deploy-0' }), (e: unknown) => e instanceof TsmError && e.code === 'ERR_TSM_CONFLICT');
    await assert.rejects(w.provisioning.deploy(sp, { serviceId: SERVICE_ID, seId: 'se-0', card: cardOf(w, 0) }, { idempotencyKey: 'deploy-0b' }), (e: unknown) => e instanceof TsmError && e.code === 'ERR_TSM_CONFLICT');
  });

  it('updates the personalization of an active instance (a reissue with a new PSN): the applet rebuilt and personalized anew, the old card ended; the live PAN/PSN is refused', async () => {
    const sp = w.cw.spCtx.tenant;
    const before = await w.provisioning.instance(sp, (await listServiceInstances(w.cw.world.db, { seId: 'se-0', states: ['active'] }))[0]!.instanceId);
    await assert.rejects(w.provisioning.updatePersonalization(sp, before.instanceId, cardOf(w, 0), { idempotencyKey: 'update-same' }), (e: unknown) => e instanceof TsmError && e.code === 'ERR_TSM_CONFLICT');
    const card = { ...cardOf(w, 0), psn: '02', expiry: '311231', label: 'OPENTSM VISA 2' };
    const { job } = await w.provisioning.updatePersonalization(sp, before.instanceId, card, { idempotencyKey: 'update-0' });
    const ended = await w.settle(job.id);
    assert.equal(ended.state, 'succeeded', JSON.stringify(ended.error));
    const after = await w.provisioning.instance(sp, before.instanceId);
    assert.deepEqual([after.state, after.cardId, after.jobId], ['active', `card_${job.id}`, job.id]);
    assert.equal((await tap(w, 0)).kind, 'approved', 'the reissued card is approved from ATC 1');
    assert.equal((await w.cw.world.issuer.cardState(before.cardId!).catch((e: unknown) => (e as TsmError).code)), 'ERR_TSM_NOT_FOUND', 'the old card was ended');
    assert.deepEqual(await reconcile(w.cw.world.db, 'se-0', await liveContent(w, 0)), []);
  });

  it('an online SE audit (GetApplicationOrELFStatus) reports the card equal to the mirror, then names an application removed behind the TSM\'s back', async () => {
    const mno = w.cw.mnoCtx.tenant;
    const clean = await w.provisioning.auditSe(mno, 'se-0', { idempotencyKey: 'audit-0' });
    const view = await w.settle(clean.id);
    assert.equal(view.state, 'succeeded', JSON.stringify(view.error));
    assert.deepEqual((view.result as { 'read': { differences: unknown[] } }).read.differences, []);
    // someone with the ISD keys deletes the PPSE behind the TSM's back
    const phone = w.cw.phones[0]!;
    const isd = await openIsd(w.cw.world.t.hsm, w.cw.mnoCtx, phone.transport, phone.record);
    await deleteInstance(isd, PPSE_AID);
    isd.close();
    const after = await w.provisioning.auditSe(mno, 'se-0', { idempotencyKey: 'audit-1' });
    const found = (await w.settle(after.id)).result as { read: { differences: { aid: string; mirror: number | null; card: number | null }[] } };
    assert.deepEqual(found.read.differences.map((d) => [d.aid, d.card]), [[Buffer.from(PPSE_AID).toString('hex').toUpperCase(), null]]);
    assert.deepEqual(await reconcile(w.cw.world.db, 'se-0', await liveContent(w, 0)), [], 'the audit refreshed the mirror');
    await assert.rejects(w.provisioning.auditSe('another-mno', 'se-0', { idempotencyKey: 'audit-x' }), (e: unknown) => e instanceof TsmError && e.code === 'ERR_TSM_NOT_FOUND');
  });

  it('suspends, resumes and terminates through jobs: the card follows, the issuer declines a terminated card', async () => {
    const sp = w.cw.spCtx.tenant;
    const { instance, job } = await w.provisioning.deploy(sp, { serviceId: SERVICE_ID, seId: 'se-1', card: cardOf(w, 2) }, { idempotencyKey: 'deploy-1' });
    assert.equal((await w.settle(job.id)).state, 'succeeded');
    const lock = await w.provisioning.suspendOrResume(sp, instance.instanceId, 'suspend', { idempotencyKey: 'suspend-1' });
    assert.equal((await w.settle(lock.job.id)).state, 'succeeded');
    assert.equal((await w.provisioning.instance(sp, instance.instanceId)).state, 'suspended');
    assert.notEqual((await tap(w, 1)).kind, 'approved');
    const unlock = await w.provisioning.suspendOrResume(sp, instance.instanceId, 'resume', { idempotencyKey: 'resume-1' });
    assert.equal((await w.settle(unlock.job.id)).state, 'succeeded');
    assert.equal((await tap(w, 1)).kind, 'approved');
    const end = await w.provisioning.terminate(sp, instance.instanceId, { idempotencyKey: 'terminate-1' });
    assert.equal((await w.settle(end.job.id)).state, 'succeeded', JSON.stringify((await w.engine.get(end.job.id, sp)).error));
    assert.equal((await w.provisioning.instance(sp, instance.instanceId)).state, 'terminated');
    assert.deepEqual(w.instanceStates.filter((e) => e.instanceId === instance.instanceId).map((e) => e.state), ['active', 'suspended', 'active', 'terminating', 'terminated'], 'the SP was told each state');
    assert.equal(await applicationOn(w, 1), undefined);
    assert.deepEqual(await reconcile(w.cw.world.db, 'se-1', await liveContent(w, 1)), []);
    // the same service can be deployed again to that SE
    const redeploy = await w.provisioning.deploy(sp, { serviceId: SERVICE_ID, seId: 'se-1', card: cardOf(w, 3) }, { idempotencyKey: 'deploy-1-again' });
    assert.equal((await w.settle(redeploy.job.id)).state, 'succeeded', JSON.stringify((await w.engine.get(redeploy.job.id, sp)).error));
  });

  it('locks every instance on an SE reported lost, through the ISD, and unlocks them on recovery', async () => {
    const sp = w.cw.spCtx.tenant;
    const { job } = await w.provisioning.deploy(sp, { serviceId: SERVICE_ID, seId: 'se-2', card: cardOf(w, 4) }, { idempotencyKey: 'deploy-2' });
    assert.equal((await w.settle(job.id)).state, 'succeeded');
    const locks = await w.provisioning.seStatusChanged({ seId: 'se-2', to: 'lost', reason: 22, notificationId: 'n-1' });
    assert.equal(locks.length, 1);
    assert.equal((await w.settle(locks[0]!.id)).state, 'succeeded');
    assert.notEqual((await tap(w, 2)).kind, 'approved');
    const again = await w.provisioning.seStatusChanged({ seId: 'se-2', to: 'lost', reason: 22, notificationId: 'n-1' });
    assert.deepEqual(again.map((j) => j.id), [], 'nothing active is left to lock');
    const unlocks = await w.provisioning.seStatusChanged({ seId: 'se-2', to: 'active', reason: 121, notificationId: 'n-2' });
    assert.equal(unlocks.length, 1);
    assert.equal((await w.settle(unlocks[0]!.id)).state, 'succeeded');
    assert.equal((await tap(w, 2)).kind, 'approved');
  });

  it('waits for an offline phone and finishes when it is back', async () => {
    const sp = w.cw.spCtx.tenant;
    w.bearer.offline('se-3');
    const { job } = await w.provisioning.deploy(sp, { serviceId: SERVICE_ID, seId: 'se-3', card: cardOf(w, 5) }, { idempotencyKey: 'deploy-3' });
    assert.equal((await w.settle(job.id)).state, 'waiting');
    w.bearer.online('se-3');
    assert.equal((await w.settle(job.id)).state, 'succeeded');
    assert.equal((await tap(w, 3)).kind, 'approved');
  });

  it('a phone that drops the line in the middle of personalization leaves a resumable job; the instance is rebuilt, never half-trusted', async () => {
    const sp = w.cw.spCtx.tenant;
    let dropped = false;
    const off = (e: { type: string; step?: string; job: { seId: string } }) => {
      if (!dropped && e.type === 'step-started' && e.step === 'personalize' && e.job.seId === 'se-4') {
        dropped = true;
        w.bearer.offline('se-4', 6);
      }
    };
    const watcher = setInterval(() => w.events.forEach(off), 1);
    const { job } = await w.provisioning.deploy(sp, { serviceId: SERVICE_ID, seId: 'se-4', card: cardOf(w, 6) }, { idempotencyKey: 'deploy-4' });
    const waiting = await w.settle(job.id);
    clearInterval(watcher);
    assert.equal(waiting.state, 'waiting', JSON.stringify(waiting.error));
    assert.equal(waiting.step.name, 'personalize');
    w.bearer.online('se-4');
    assert.equal((await w.settle(job.id)).state, 'succeeded');
    assert.equal((await tap(w, 4)).kind, 'approved');
    const instances = await listServiceInstances(w.cw.world.db, { seId: 'se-4' });
    assert.equal(instances.length, 1);
  });

  it('a process killed after every few APDUs of a deploy: after restart each job ends once, one instance on the card, mirror = card', async () => {
    const sp = w.cw.spCtx.tenant;
    // how many APDUs a whole deploy takes, measured on a phone of its own
    const start = w.bearer.apdus;
    const probe = await w.provisioning.deploy(sp, { serviceId: SERVICE_ID, seId: 'se-5', card: cardOf(w, 7) }, { idempotencyKey: 'deploy-5' });
    assert.equal((await w.settle(probe.job.id)).state, 'succeeded');
    const total = w.bearer.apdus - start;
    const phones = w.cw.phones.length - 6;
    const step = Math.max(1, Math.ceil(total / phones));
    for (let k = 0; k < phones; k++) {
      const i = 6 + k;
      const seId = `se-${i}`;
      const killAt = 1 + k * step;
      w.bearer.killAfter(killAt, () => void w.engine.close({ abandon: true }));
      const { instance, job } = await w.provisioning.deploy(sp, { serviceId: SERVICE_ID, seId, card: cardOf(w, 10 + i) }, { idempotencyKey: `deploy-kill-${i}` });
      // the old engine is dead once the kill fired; wait for that, then a new process resumes
      for (let n = 0; n < 400 && !(await killed(w)); n++) await new Promise((r) => setTimeout(r, 5));
      await w.restart();
      const ended = await w.settle(job.id);
      assert.equal(ended.state, 'succeeded', `killed after ${killAt} APDUs: ${JSON.stringify(ended.error)} at ${ended.step.name}`);
      const history = (await w.engine.history(job.id, sp)).filter((h) => h.outcome === 'succeeded');
      assert.equal(history.length, 1, 'the job ended once');
      const content = await liveContent(w, i);
      assert.equal(content.applications.filter((a) => Buffer.from(a.aid).equals(Buffer.from(VISA_STYLE_AID))).length, 1, 'one instance on the card');
      assert.deepEqual(await reconcile(w.cw.world.db, seId, content), [], `mirror = card after a kill at APDU ${killAt}`);
      assert.equal((await w.provisioning.instance(sp, instance.instanceId)).state, 'active');
      assert.equal((await tap(w, i)).kind, 'approved', `tap after a kill at APDU ${killAt}`);
    }
  });
});

async function applicationOn(w: JobsWorld, i: number) {
  const phone = w.cw.phones[i]!;
  const isd = await openIsd(w.cw.world.t.hsm, w.cw.mnoCtx, phone.transport, phone.record);
  try {
    return await readApplication(isd, VISA_STYLE_AID);
  } finally {
    isd.close();
  }
}

async function killed(w: JobsWorld): Promise<boolean> {
  try {
    await w.engine.submit({ tenant: 'probe', seId: 'none', kind: 'deploy' }, { idempotencyKey: `probe-${Math.random()}` });
    return false;
  } catch (e) {
    return e instanceof TsmError && e.code === 'ERR_TSM_STATE';
  }
}
