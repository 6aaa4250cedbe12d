/**
 * The service's end-to-end test (issue 6, "How it is checked"), one suite run on every dialect —
 * SQLite (test/tsm/e2e-service.test.ts) and PostgreSQL (test/services/e2e-service-postgres.test.ts).
 * The demo's world: the whole TSM over loopback HTTP with its job engine and the wallet relay, the
 * MNO registering four phones over its API, the bank's services created over the SP API. Every
 * phone gets a card by a deploy job and taps a POS terminal that authorizes through the issuer API;
 * a suspended card is refused and a resumed one approved; a terminated instance leaves the card and
 * the SE takes a new deploy; a replayed Idempotency-Key answers the first job; and at the end the
 * registry mirror of every SE equals a live GET STATUS of its card.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PosTerminal, caKeyFromSpki, deliverIssuerUpdate, type TerminalOutcome } from '../../src/device/index.ts';
import { closeDatabase, getRegistryMirror, listJobs, listServiceInstances, migrateToLatest, type StoreDb } from '../../src/store/index.ts';
import { findSecureElement, JOB_STATES, openIsd, readCardContent, reconcile, TsmError, type ApiInstance, type ApiJob, type CardContent } from '../../src/tsm/index.ts';
import { toHex } from '../../src/bytes/index.ts';
import { DEMO_PRODUCTS, demoCard } from '../../src/cli/demo/cards.ts';
import { DEMO_TENANTS } from '../../src/cli/demo/ceremony.ts';
import { deployPhone } from '../../src/cli/demo/run-demo.ts';
import { startDemoWorld, type DemoWorld } from '../../src/cli/demo/world.ts';
import type { RegisteredPhone } from '../../src/cli/fleet/operator.ts';

/** Opens a fresh, empty, unmigrated database (the suite migrates and closes it). */
export type E2eStoreFactory = () => Promise<StoreDb>;

const PHONES = 4;
/** GP life cycle: an application's LOCKED bit (GPC 2.3.1 §11.1.1.3). */
const LOCKED_BIT = 0x80;

function today(): string {
  return new Date().toISOString().slice(2, 10).replaceAll('-', '');
}

/** The deploy body of `phone`, as deployPhone (src/cli/demo/run-demo.ts) sends it. */
function deployBody(phone: RegisteredPhone): { readonly subscriptionId: string; readonly card: unknown; readonly validitySeconds: number } {
  return { subscriptionId: phone.subscriptionAlias, card: demoCard(phone.phone.index), validitySeconds: 600 };
}

/** The idempotency key deployPhone uses for `phone`. */
const demoKey = (phone: RegisteredPhone): string => `demo-deploy-${phone.phone.seId}`;

export function e2eServiceSuite(name: string, open: E2eStoreFactory, options: { readonly skip?: string | false } = {}): void {
  describe(`TSM service end to end: ${name}`, { skip: options.skip ?? false, timeout: 240_000 }, () => {
    let db: StoreDb | undefined;
    let world: DemoWorld;
    let terminal: PosTerminal;
    const instances: ApiInstance[] = [];
    const phone = (i: number): RegisteredPhone => world.phones[i]!;
    const serviceOf = (i: number): string => world.serviceIds[i % DEMO_PRODUCTS.length]!;
    const aidOf = (i: number): string => toHex(DEMO_PRODUCTS[i % DEMO_PRODUCTS.length]!.aid);

    /** One tap at the terminal; an approved one gets the issuer's update, as the wallet delivers it. */
    async function tap(i: number): Promise<TerminalOutcome> {
      const p = phone(i);
      const outcome = await terminal.transact(p.phone.transport, { amount: 1250 + i, currency: 978, country: 250, date: today() });
      if (outcome.kind === 'approved') {
        const update = await deliverIssuerUpdate(p.phone.transport, outcome.aid, outcome.authorization);
        assert.ok(update.completed, 'the card took the issuer update');
      }
      return outcome;
    }

    /** A live GET STATUS of phone `i`'s card through its ISD (the MNO's keys, as the TSM holds them). */
    async function cardContent(i: number): Promise<CardContent> {
      const p = phone(i);
      const se = await findSecureElement(db!, p.phone.seId);
      assert.ok(se !== undefined, `SE ${p.phone.seId} is registered`);
      const isd = await openIsd(world.parties.hsm, world.parties.ctx(DEMO_TENANTS.mno), p.phone.transport, se);
      try {
        return await readCardContent(isd);
      } finally {
        isd.close();
      }
    }

    const appOf = (content: CardContent, aid: string) => content.applications.filter((e) => toHex(e.aid) === aid);

    async function settled(job: ApiJob): Promise<ApiJob> {
      const ended = await world.sp.waitForJob(job.jobId, { timeoutMs: 60_000, intervalMs: 10 });
      assert.equal(ended.state, 'succeeded', `${ended.kind} job ${ended.state} at ${ended.error?.step ?? '?'}: ${ended.error?.code ?? ''} ${ended.error?.sw ?? ''}`);
      return ended;
    }

    before(async () => {
      db = await open();
      await migrateToLatest(db);
      world = await startDemoWorld(db, { phones: PHONES, jobConcurrency: 4 });
      const { parties } = world;
      const caKeys = DEMO_PRODUCTS.map((p) => caKeyFromSpki(p.aid.subarray(0, 5), parties.caIndex, parties.caSpki));
      terminal = new PosTerminal({ caKeys, supportedAids: DEMO_PRODUCTS.map((p) => p.aid), authorizer: world.authorizer });
    });

    after(async () => {
      await world?.close();
      if (db !== undefined) await closeDatabase(db);
    });

    it('deploys a card to every phone over the SP API and the wallet relay, each a job that succeeds', async () => {
      assert.equal(world.phones.length, PHONES);
      const jobs = await Promise.all(world.phones.map((p) => deployPhone(world, p)));
      for (const job of jobs) assert.deepEqual([job.kind, job.state, job.error], ['deploy', 'succeeded', undefined]);
      for (let i = 0; i < PHONES; i++) {
        const content = await cardContent(i);
        assert.equal(appOf(content, aidOf(i)).length, 1, `phone ${i} has its payment instance`);
      }
    });

    it('a deploy replayed with the same Idempotency-Key answers the first job and instance, and runs nothing again', async () => {
      const jobsOnSes = async () => (await listJobs(db!, { states: [...JOB_STATES], limit: 1000 })).length;
      const jobsBefore = await jobsOnSes();
      for (let i = 0; i < PHONES; i++) {
        const first = await world.sp.deploy(serviceOf(i), deployBody(phone(i)), demoKey(phone(i)));
        const again = await world.sp.deploy(serviceOf(i), deployBody(phone(i)), demoKey(phone(i)));
        assert.equal(again.job.jobId, first.job.jobId);
        assert.equal(again.instance.instanceId, first.instance.instanceId);
        assert.equal(first.job.state, 'succeeded', 'the first result: the job already ended');
        assert.equal(first.instance.state, 'active');
        assert.equal(first.instance.seId, phone(i).phone.seId);
        assert.equal(first.instance.aid, aidOf(i));
        instances.push(first.instance);
      }
      assert.equal(await jobsOnSes(), jobsBefore, 'no job was added');
      for (let i = 0; i < PHONES; i++) assert.equal((await listServiceInstances(db!, { seId: phone(i).phone.seId })).length, 1, 'one instance per SE');
      await assert.rejects(
        world.sp.deploy(serviceOf(0), { ...deployBody(phone(0)), card: demoCard(8) }, demoKey(phone(0))),
        (e: unknown) => e instanceof TsmError && e.code === 'ERR_TSM_CONFLICT',
        'the same key with another request is a conflict',
      );
      await assert.rejects(
        world.sp.deploy(serviceOf(0), deployBody(phone(0)), 'e2e-a-new-key'),
        (e: unknown) => e instanceof TsmError && e.code === 'ERR_TSM_CONFLICT',
        'a second live instance of the AID on the SE is a conflict',
      );
    });

    it('every phone taps a POS terminal: all approved, with fDDA', async () => {
      for (let i = 0; i < PHONES; i++) {
        const outcome = await tap(i);
        assert.equal(outcome.kind, 'approved', `phone ${i}: ${JSON.stringify(outcome)}`);
        assert.equal(outcome.oda.kind, 'fdda-ok');
      }
    });

    it('a suspended instance is locked on the card and its tap is not approved; resumed, it is approved again', async () => {
      const i = 1;
      const suspended = await world.sp.instanceAction(instances[i]!.instanceId, 'suspend');
      const lockJob = await settled(suspended.job);
      assert.equal(lockJob.kind, 'lock');
      assert.equal((await world.sp.instance(instances[i]!.instanceId)).state, 'suspended');
      const locked = appOf(await cardContent(i), aidOf(i));
      assert.equal(locked.length, 1);
      assert.equal(locked[0]!.lifecycle & LOCKED_BIT, LOCKED_BIT, 'the application is LOCKED on the card');
      assert.deepEqual(await reconcile(db!, phone(i).phone.seId, await cardContent(i)), [], 'the mirror shows the lock');
      const whileSuspended = await tap(i);
      assert.notEqual(whileSuspended.kind, 'approved', JSON.stringify(whileSuspended));

      const resumed = await world.sp.instanceAction(instances[i]!.instanceId, 'resume');
      assert.equal((await settled(resumed.job)).kind, 'unlock');
      assert.equal((await world.sp.instance(instances[i]!.instanceId)).state, 'active');
      assert.equal(appOf(await cardContent(i), aidOf(i))[0]!.lifecycle & LOCKED_BIT, 0);
      const afterResume = await tap(i);
      assert.equal(afterResume.kind, 'approved', JSON.stringify(afterResume));
    });

    it('a terminated instance leaves the card; the SE then takes a new deploy under a new Idempotency-Key', async () => {
      const i = 2;
      const old = instances[i]!;
      const terminated = await world.sp.instanceAction(old.instanceId, 'terminate');
      assert.equal((await settled(terminated.job)).kind, 'terminate');
      assert.equal((await world.sp.instance(old.instanceId)).state, 'terminated');
      assert.deepEqual(appOf(await cardContent(i), aidOf(i)), [], 'the instance is deleted from the card');
      assert.notEqual((await tap(i)).kind, 'approved', 'no card to pay with');
      await assert.rejects(world.sp.instanceAction(old.instanceId, 'resume'), (e: unknown) => e instanceof TsmError, 'a terminated instance cannot be resumed');

      // the bank reissues the card: same PAN, the next PAN sequence number (the terminated card's
      // PAN and PSN stay taken in the issuer's index)
      const reissued = { ...deployBody(phone(i)), card: { ...demoCard(phone(i).phone.index), psn: '02' } };
      const redeploy = await world.sp.deploy(serviceOf(i), reissued, `e2e-redeploy-${phone(i).phone.seId}`);
      assert.notEqual(redeploy.instance.instanceId, old.instanceId);
      assert.notEqual(redeploy.job.jobId, old.jobId);
      await settled(redeploy.job);
      const fresh = await world.sp.instance(redeploy.instance.instanceId);
      assert.deepEqual([fresh.state, fresh.seId, fresh.aid], ['active', phone(i).phone.seId, aidOf(i)]);
      instances[i] = fresh;
      const rows = await listServiceInstances(db!, { seId: phone(i).phone.seId });
      assert.deepEqual(rows.map((r) => [r.instanceId, r.state]), [[old.instanceId, 'terminated'], [fresh.instanceId, 'active']]);
      assert.equal(appOf(await cardContent(i), aidOf(i)).length, 1, 'exactly one instance on the card');
      const outcome = await tap(i);
      assert.equal(outcome.kind, 'approved', JSON.stringify(outcome));
    });

    it('after all that, every SE\'s registry mirror equals a live reading of its card', async () => {
      for (let i = 0; i < PHONES; i++) {
        const seId = phone(i).phone.seId;
        const content = await cardContent(i);
        assert.deepEqual(await reconcile(db!, seId, content), [], `SE ${seId}: mirror = card`);
        const mirror = await getRegistryMirror(db!, seId);
        const apps = mirror.filter((e) => e.kind === 'app' && e.aid === aidOf(i));
        assert.equal(apps.length, 1, `SE ${seId}: the mirror has the payment instance`);
        assert.equal(apps[0]!.lifecycle & LOCKED_BIT, 0, 'not locked');
        assert.ok(mirror.some((e) => e.kind === 'sd'), 'the mirror has the security domains');
      }
    });
  });
}
