/**
 * The SP's service-instance and job routes (docs/service.md "SP API: service instances and jobs")
 * through app.inject() on a whole TsmService (software HSM, SQLite in memory, no phone connected:
 * a deploy job ends up waiting for its SE). The world is built through the API itself: an MNO
 * imports a factory batch, registers SEs and subscriptions; an SP with issuer keys from
 * createPaymentIssuer and SSD masters creates a service. Then: 202 with the instance and its job,
 * Idempotency-Key replay, 400 naming the field, 401, 403, 404 across tenants, 413, 409 on state,
 * terminate of a deploying instance, the job resource, the OpenAPI document, and a log scan for the PAN.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { toHex } from '../../../src/bytes/index.ts';
import type { OperationContext } from '../../../src/hsm/index.ts';
import { manufactureBatch, STRICT_ESE } from '../../../src/se/index.ts';
import { closeDatabase, migrateToLatest, openDatabase } from '../../../src/store/index.ts';
import { addApiClient, createLogger, createPaymentIssuer, TsmService } from '../../../src/tsm/index.ts';
import { importClear, SPECS } from '../../hsm/conformance/fixture.ts';
import { softwareHsm } from '../../hsm/software-setup.ts';
import { bearer, errorOf } from './fixture.ts';
import { importBatch, registerSes, type MnoFixture } from './mno-fixture.ts';

const PAN = '4761739001010010';
const card = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  pan: PAN, psn: '01', expiry: '301231', profile: 'visa-10', flow: 'gpo', issuerCountry: '840', label: 'BANK A DEBIT', priority: 1, keyDerivationIndex: 1, ...overrides,
});

interface JobJson { jobId: string; kind: string; state: string; step: { index: number; name: string | null; status: string }; attempt: number; createdAt: string; updatedAt: string; endedAt?: string | null; executionStatus?: { status: string; subject?: string; reason?: string; message?: string }; error?: { step: string; code: string; message: string } }
interface InstanceJson { instanceId: string; serviceId: string; seId: string; aid: string; state: string; jobId?: string; cardId?: string; createdAt: string; updatedAt: string }
interface Operation { instance: InstanceJson; job: JobJson }

interface World {
  readonly f: MnoFixture;
  readonly service: TsmService;
  readonly serviceId: string;
  readonly seIds: readonly string[];
  /** The subscription alias of each SE. */
  readonly aliases: readonly string[];
}

/** A TsmService with the MNO fixture's parties; the registry hooks are the service's own. */
async function world(body: (w: World) => Promise<void>, options: { readonly bodyLimit?: number } = {}): Promise<void> {
  const t = await softwareHsm();
  const db = await openDatabase(':memory:');
  await migrateToLatest(db);
  const logs: string[] = [];
  const logger = createLogger('info', { write: (line: string) => void logs.push(line) });
  const service = await TsmService.create({ db, hsm: t.hsm, config: { bodyLimit: options.bodyLimit ?? 16 * 1024, logLevel: 'info' }, logger, jobs: { pollIntervalMs: 0, concurrency: 4 } });
  try {
    const app = service.app;
    await app.ready();
    const mnoCtx: OperationContext = { ...t.ctx, tenant: 'mno-a' };
    const kek = new Uint8Array(randomBytes(32));
    const kbpk = await importClear(t, { ...SPECS.kbpkA, owner: 'mno-a', label: 'factory KBPK' }, kek, mnoCtx);
    const batch = manufactureBatch({
      profile: STRICT_ESE, count: 2, withPayment: false,
      batchMasterKeys: { enc: new Uint8Array(randomBytes(16)), mac: new Uint8Array(randomBytes(16)), dek: new Uint8Array(randomBytes(16)) },
      transportKek: { algorithm: 'aes', key: kek },
    });
    const f: MnoFixture = {
      t, db, app, logs, mnoCtx, kek, kbpkId: kbpk.id, batch, hookCalls: [],
      tokens: {
        spA: (await addApiClient(db, t.hsm, { tenant: 'bank-a', role: 'sp' })).token,
        issuerA: (await addApiClient(db, t.hsm, { tenant: 'bank-a', role: 'issuer' })).token,
      },
      mno: {
        a: (await addApiClient(db, t.hsm, { tenant: 'mno-a', role: 'mno' })).token,
        b: (await addApiClient(db, t.hsm, { tenant: 'mno-b', role: 'mno' })).token,
        spB: (await addApiClient(db, t.hsm, { tenant: 'bank-b', role: 'sp' })).token,
      },
      close: () => Promise.resolve(),
    };
    const seIds = await registerSes(f, await importBatch(f), 2);
    const aliases: string[] = [];
    for (const [i, seId] of seIds.entries()) {
      const r = await app.inject({ method: 'POST', url: '/v1/mno/subscriptions', headers: bearer(f.mno.a), payload: { msisdn: `4915100000${i}`, seId } });
      assert.equal(r.statusCode, 201, r.body);
      aliases.push(r.json<{ alias: string }>().alias);
    }
    // bank-a: issuer keys certified by a scheme CA of its own tenant, SSD masters, then the service
    const schemeCtx: OperationContext = { ...t.ctx, tenant: 'scheme' };
    const ca = await t.hsm.generateKeyPair({ algorithm: 'R', size: 1408, usage: 'S1', owner: 'scheme', label: 'scheme CA' }, schemeCtx);
    const issuer = await createPaymentIssuer(t.hsm, t.ctx, { ca: { key: ca.id, ctx: schemeCtx, index: 0x92 }, issuerIdentifier: '476173', expiry: '1230', label: 'bank a' });
    for (const role of ['ENC', 'MAC', 'DEK']) await importClear(t, { usage: 'B3', algorithm: 'A', modeOfUse: 'X', exportability: 'N', label: `SSD master ${role}` }, new Uint8Array(randomBytes(16)));
    const created = await app.inject({
      method: 'POST', url: '/v1/sp/services', headers: bearer(f.tokens.spA),
      payload: {
        name: 'Bank A debit', walletCertHash: 'AB'.repeat(32),
        issuer: {
          imkAc: issuer.imkAc, imkSmi: issuer.imkSmi, imkSmc: issuer.imkSmc, issuerKey: issuer.issuerKey, caPublicKeyIndex: issuer.caPublicKeyIndex,
          issuerCertificate: { certificate: toHex(issuer.issuerCertificate.certificate), remainder: toHex(issuer.issuerCertificate.remainder), exponent: toHex(issuer.issuerCertificate.exponent) },
        },
        ssdMasters: { enc: 'SSD master ENC', mac: 'SSD master MAC', dek: 'SSD master DEK' },
        flavours: [{
          platform: 'strict-ese', package: { loadFileAid: 'A0000000031010', moduleAid: 'A000000003101001' },
          instanceAid: 'A0000000031010', privileges: '00', ssd: { aid: 'A000000151535041', kvn: 0x30 }, personalization: 'payment',
        }],
      },
    });
    assert.equal(created.statusCode, 201, created.body);
    await body({ f, service, serviceId: created.json<{ serviceId: string }>().serviceId, seIds, aliases });
  } finally {
    await service.close();
    await closeDatabase(db);
    t.hsm.close();
  }
}

const idem = (key: string): Record<string, string> => ({ 'idempotency-key': key });

function deploy(w: World, key: string | undefined, payload: unknown, token = w.f.tokens.spA, serviceId = w.serviceId) {
  return w.f.app.inject({ method: 'POST', url: `/v1/sp/services/${serviceId}/instances`, headers: { ...bearer(token), ...(key === undefined ? {} : idem(key)) }, payload: payload as Record<string, unknown> });
}

function call(w: World, method: 'GET' | 'POST', url: string, options: { key?: string; token?: string; payload?: unknown } = {}) {
  return w.f.app.inject({
    method, url, headers: { ...bearer(options.token ?? w.f.tokens.spA), ...(options.key === undefined ? {} : idem(options.key)) },
    ...(options.payload === undefined ? {} : { payload: options.payload as Record<string, unknown> }),
  });
}

/** Polls the job until its state is one of `states`. */
async function jobIn(w: World, jobId: string, states: readonly string[]): Promise<JobJson> {
  for (let i = 0; i < 400; i++) {
    await w.service.engine.idle();
    const r = await call(w, 'GET', `/v1/jobs/${jobId}`);
    assert.equal(r.statusCode, 200, r.body);
    const job = r.json<JobJson>();
    if (states.includes(job.state)) return job;
    await new Promise((done) => setTimeout(done, 5));
  }
  throw new Error(`job ${jobId} never reached ${states.join('/')}`);
}

const LIVE = ['queued', 'running', 'waiting'];

describe('SP instance and job routes (TsmService)', () => {
  it('DeployService: 202 with the deploying instance and its job; the same Idempotency-Key answers the same job; by subscription alias; GetServiceState; GET job; waits for the SE; no PAN in the log', () =>
    world(async (w) => {
      const r = await deploy(w, 'deploy-1', { seId: w.seIds[0], card: card() });
      assert.equal(r.statusCode, 202, r.body);
      const op = r.json<Operation>();
      assert.match(op.instance.instanceId, /^inst_[0-9a-f]{32}$/);
      assert.deepEqual([op.instance.serviceId, op.instance.seId, op.instance.aid, op.instance.state], [w.serviceId, w.seIds[0], 'A0000000031010', 'deploying']);
      assert.equal(op.job.kind, 'deploy');
      assert.ok(LIVE.includes(op.job.state), op.job.state);
      assert.match(op.job.jobId, /^[0-9a-f-]{36}$/);
      assert.ok(!r.body.includes(PAN), 'the PAN is not echoed');

      const again = await deploy(w, 'deploy-1', { seId: w.seIds[0], card: card() });
      assert.equal(again.statusCode, 202, again.body);
      assert.deepEqual([again.json<Operation>().job.jobId, again.json<Operation>().instance.instanceId], [op.job.jobId, op.instance.instanceId]);
      const otherSe = await deploy(w, 'deploy-1', { seId: w.seIds[1], card: card() });
      assert.deepEqual([otherSe.statusCode, errorOf(otherSe.body).code], [409, 'ALREADY_EXISTS'], 'the key names one request');

      const waiting = await jobIn(w, op.job.jobId, ['waiting']);
      assert.equal(waiting.kind, 'deploy');
      assert.equal(waiting.executionStatus, undefined, 'no ExecutionStatus before the end');
      assert.ok(waiting.step.index >= 0 && typeof waiting.step.status === 'string');

      const got = await call(w, 'GET', `/v1/sp/instances/${op.instance.instanceId}`);
      assert.equal(got.statusCode, 200, got.body);
      assert.deepEqual({ ...got.json<InstanceJson>(), updatedAt: '' }, { ...op.instance, updatedAt: '' });

      const bySubscription = await deploy(w, 'deploy-2', { subscriptionId: w.aliases[1], card: card({ pan: '4761739001010028' }), validitySeconds: 3600 });
      assert.equal(bySubscription.statusCode, 202, bySubscription.body);
      assert.equal(bySubscription.json<Operation>().instance.seId, w.seIds[1]);
      const unknownAlias = await deploy(w, 'deploy-3', { subscriptionId: 'msa_00000000000000000000000000000000', card: card() });
      assert.deepEqual([unknownAlias.statusCode, errorOf(unknownAlias.body).code], [404, 'NOT_FOUND']);

      const lines = w.f.logs.join('\n');
      assert.ok(lines.includes('/v1/sp/services/:serviceId/instances'), 'the deploys were logged');
      for (const secret of [PAN, '4761739001010028', PAN.slice(0, 12), PAN.slice(-10)]) assert.ok(!lines.includes(secret), `no ${secret.length}-digit piece of a PAN in the log`);
    }));

  it('refuses: Idempotency-Key missing or malformed (400 naming it); schema violations naming the field; seId with subscriptionId; 401; 403 for MNO and issuer roles; 404 for another SP\'s service, instance and job; 413', () =>
    world(async (w) => {
      const missing = await deploy(w, undefined, { seId: w.seIds[0], card: card() });
      assert.deepEqual([missing.statusCode, errorOf(missing.body).code], [400, 'INVALID_ARGUMENT']);
      assert.equal(errorOf(missing.body).message, 'headers.idempotency-key: is required');
      const spaced = await deploy(w, 'has space', { seId: w.seIds[0], card: card() });
      assert.equal(spaced.statusCode, 400);
      assert.match(errorOf(spaced.body).message, /^headers\.idempotency-key: /);
      for (const [path, action] of [['suspend', 'suspend'], ['resume', 'resume'], ['terminate', 'terminate']] as const) {
        const r = await call(w, 'POST', `/v1/sp/instances/inst_${'0'.repeat(32)}/${path}`, { payload: {} });
        assert.equal(r.statusCode, 400, `${action}: ${r.body}`);
        assert.match(errorOf(r.body).message, /idempotency-key/i, action);
      }

      const cases: [unknown, RegExp][] = [
        [{ seId: w.seIds[0], card: card({ pan: '4761-7390' }) }, /body\.card\.pan/],
        [{ seId: w.seIds[0], card: card({ pan: '12345678901234567890' }) }, /body\.card\.pan/],
        [{ seId: w.seIds[0], card: card({ cvv: '123' }) }, /body\.card.*cvv|cvv/],
        [{ seId: w.seIds[0], card: card(), colour: 'red' }, /colour/],
        [{ seId: w.seIds[0], card: card({ profile: 'visa-99' }) }, /body\.card\.profile/],
        [{ seId: w.seIds[0], card: card(), validitySeconds: 0 }, /body\.validitySeconds/],
        [{ seId: w.seIds[0] }, /card/],
        [{ seId: w.seIds[0], subscriptionId: w.aliases[0], card: card() }, /seId or subscriptionId/],
        [{ card: card() }, /seId or subscriptionId/],
      ];
      for (const [payload, field] of cases) {
        const r = await deploy(w, 'bad', payload);
        assert.equal(r.statusCode, 400, `${JSON.stringify(payload)}: ${r.body}`);
        assert.equal(errorOf(r.body).code, 'INVALID_ARGUMENT');
        assert.match(errorOf(r.body).message, field);
        assert.ok(!r.body.includes('4761-7390') && !r.body.includes(PAN), 'never the value');
      }
      const badJobId = await call(w, 'GET', '/v1/jobs/not-a-job');
      assert.equal(badJobId.statusCode, 400);
      assert.match(errorOf(badJobId.body).message, /jobId/);

      const op = (await deploy(w, 'deploy-1', { seId: w.seIds[0], card: card() })).json<Operation>();
      const { instanceId } = op.instance;
      const noAuth = await w.f.app.inject({ method: 'POST', url: `/v1/sp/services/${w.serviceId}/instances`, headers: idem('k'), payload: { seId: w.seIds[0], card: card() } });
      assert.equal(noAuth.statusCode, 401);
      assert.match(String(noAuth.headers['www-authenticate']), /Bearer/);
      const [clientId] = w.f.tokens.spA.split('.');
      const wrong = `${clientId}.${'A'.repeat(43)}`;
      for (const [method, url] of [['GET', `/v1/sp/instances/${instanceId}`], ['GET', `/v1/jobs/${op.job.jobId}`], ['POST', `/v1/jobs/${op.job.jobId}/retry`], ['POST', `/v1/sp/instances/${instanceId}/terminate`]] as const) {
        assert.equal((await w.f.app.inject({ method, url })).statusCode, 401, `${method} ${url} without credentials`);
        assert.equal((await call(w, method, url, { token: wrong, key: 'k', ...(method === 'POST' ? { payload: {} } : {}) })).statusCode, 401, `${method} ${url} with a wrong secret`);
        for (const token of [w.f.mno.a, w.f.tokens.issuerA]) {
          const r = await call(w, method, url, { token, key: 'k', ...(method === 'POST' ? { payload: {} } : {}) });
          // the job routes also serve the MNO (its SE audit jobs): an SP's job is then simply not its own
          const expected = token === w.f.mno.a && url.startsWith('/v1/jobs/') ? [404, 'NOT_FOUND'] : [403, 'NOT_ALLOWED'];
          assert.deepEqual([r.statusCode, errorOf(r.body).code], expected, `${method} ${url}`);
        }
      }
      assert.equal((await deploy(w, 'k', { seId: w.seIds[0], card: card() }, w.f.mno.a)).statusCode, 403);

      // bank-b: bank-a's service, instance and job are not there
      const spB = w.f.mno.spB;
      const theirs = await deploy(w, 'b-1', { seId: w.seIds[1], card: card() }, spB);
      assert.deepEqual([theirs.statusCode, errorOf(theirs.body).code], [404, 'NOT_FOUND'], 'another SP\'s service');
      for (const [method, url] of [
        ['GET', `/v1/sp/instances/${instanceId}`], ['POST', `/v1/sp/instances/${instanceId}/suspend`], ['POST', `/v1/sp/instances/${instanceId}/resume`], ['POST', `/v1/sp/instances/${instanceId}/terminate`],
        ['GET', `/v1/jobs/${op.job.jobId}`], ['POST', `/v1/jobs/${op.job.jobId}/retry`], ['POST', `/v1/jobs/${op.job.jobId}/terminate`],
        ['GET', `/v1/sp/instances/inst_${'0'.repeat(32)}`], ['GET', '/v1/jobs/00000000-0000-4000-8000-000000000000'],
      ] as const) {
        const r = await call(w, method, url, { token: spB, key: 'b-2', ...(method === 'POST' ? { payload: {} } : {}) });
        assert.deepEqual([r.statusCode, errorOf(r.body).code], [404, 'NOT_FOUND'], `${method} ${url}: ${r.body}`);
      }
      assert.ok(LIVE.includes((await call(w, 'GET', `/v1/jobs/${op.job.jobId}`)).json<JobJson>().state), 'bank-b\'s terminate did not touch bank-a\'s job');

      const huge = await deploy(w, 'huge', { seId: w.seIds[0], card: card({ label: 'X'.repeat(20 * 1024) }) });
      assert.deepEqual([huge.statusCode, errorOf(huge.body).code], [413, 'PAYLOAD_TOO_LARGE']);
    }));

  it('suspend or resume of a deploying instance is 409; terminate ends its deploy job and queues a terminate job; the job routes: ExecutionStatus once ended, retry 409, terminate', () =>
    world(async (w) => {
      const op = (await deploy(w, 'deploy-1', { seId: w.seIds[0], card: card() })).json<Operation>();
      const { instanceId } = op.instance;
      await jobIn(w, op.job.jobId, ['waiting']);
      for (const action of ['suspend', 'resume']) {
        const r = await call(w, 'POST', `/v1/sp/instances/${instanceId}/${action}`, { key: `${action}-1`, payload: {} });
        assert.deepEqual([r.statusCode, errorOf(r.body).code], [409, 'FAILED_PRECONDITION'], `${action}: ${r.body}`);
      }
      const retryLive = await call(w, 'POST', `/v1/jobs/${op.job.jobId}/retry`);
      assert.equal(retryLive.statusCode, 409, `retry of a waiting job: ${retryLive.body}`);

      const t = await call(w, 'POST', `/v1/sp/instances/${instanceId}/terminate`, { key: 'terminate-1', payload: { validitySeconds: 600 } });
      assert.equal(t.statusCode, 202, t.body);
      const top = t.json<Operation>();
      assert.equal(top.job.kind, 'terminate');
      assert.notEqual(top.job.jobId, op.job.jobId);
      assert.ok(LIVE.includes(top.job.state), top.job.state);
      assert.equal(top.instance.instanceId, instanceId);

      const ended = await jobIn(w, op.job.jobId, ['terminated']);
      assert.equal(ended.kind, 'deploy');
      assert.ok(typeof ended.endedAt === 'string' && ended.endedAt.length > 0, 'endedAt once ended');
      assert.ok(ended.executionStatus !== undefined, 'the GP ExecutionStatus once ended');
      assert.ok(['FAILED', 'EXPIRED', 'EXECUTED_SUCCESS'].includes(ended.executionStatus.status));
      assert.notEqual(ended.executionStatus.status, 'EXECUTED_SUCCESS');

      const suspend = await call(w, 'POST', `/v1/sp/instances/${instanceId}/suspend`, { key: 'suspend-2', payload: {} });
      assert.equal(suspend.statusCode, 409);

      const waiting = await jobIn(w, top.job.jobId, ['waiting']);
      assert.equal(waiting.kind, 'terminate');
      const stop = await call(w, 'POST', `/v1/jobs/${top.job.jobId}/terminate`);
      assert.equal(stop.statusCode, 200, stop.body);
      const stopped = stop.json<JobJson>();
      assert.equal(stopped.state, 'terminated');
      assert.ok(stopped.executionStatus !== undefined && stopped.executionStatus.status !== 'EXECUTED_SUCCESS');
      const retry = await call(w, 'POST', `/v1/jobs/${top.job.jobId}/retry`);
      assert.equal(retry.statusCode, 409, `retry of a terminated job: ${retry.body}`);
      const stopAgain = await call(w, 'POST', `/v1/jobs/${top.job.jobId}/terminate`);
      assert.ok([200, 409].includes(stopAgain.statusCode), stopAgain.body);
    }));

  // Two gaps of ProvisioningService (src/tsm/provisioning/provisioning-service.ts), open at the time of
  // writing: deploy() does not record its job on the instance (GetServiceState shows no jobId, and a
  // terminate after a restart cannot find the deploy job: the in-memory map is gone); terminate() of a
  // deploying instance ends the deploy job before moving the instance to `terminating`, so the ended
  // event's handler wins the race and marks the instance `terminated` (with the deploy's job id) while
  // the terminate job is still queued; and terminate() checks the instance's state before the
  // Idempotency-Key, so a replay of the same request after a state change is a 409 instead of the first
  // answer. Fix: record the job id in deploy(); move to `terminating` first; look the key up first.
  it('the instance names its current job: the deploy\'s while deploying, then the terminate\'s, in state terminating until the card confirms; a terminate replayed under its key answers the first job', () =>
    world(async (w) => {
      const op = (await deploy(w, 'deploy-1', { seId: w.seIds[0], card: card() })).json<Operation>();
      assert.equal(op.instance.jobId, op.job.jobId, 'the deploy job is on the instance');
      const { instanceId } = op.instance;
      await jobIn(w, op.job.jobId, ['waiting']);
      assert.equal((await call(w, 'GET', `/v1/sp/instances/${instanceId}`)).json<InstanceJson>().jobId, op.job.jobId);
      const top = (await call(w, 'POST', `/v1/sp/instances/${instanceId}/terminate`, { key: 'terminate-1', payload: {} })).json<Operation>();
      assert.deepEqual([top.instance.state, top.instance.jobId], ['terminating', top.job.jobId]);
      await jobIn(w, op.job.jobId, ['terminated']);
      const instance = (await call(w, 'GET', `/v1/sp/instances/${instanceId}`)).json<InstanceJson>();
      assert.deepEqual([instance.state, instance.jobId], ['terminating', top.job.jobId], 'terminating until the card confirms');
      const again = await call(w, 'POST', `/v1/sp/instances/${instanceId}/terminate`, { key: 'terminate-1', payload: {} });
      assert.equal(again.statusCode, 202, again.body);
      assert.equal(again.json<Operation>().job.jobId, top.job.jobId, 'the same key: the same terminate job');
      await w.service.engine.terminate(top.job.jobId, 'bank-a');
      const late = await call(w, 'POST', `/v1/sp/instances/${instanceId}/terminate`, { key: 'terminate-1', payload: {} });
      assert.equal(late.json<Operation>().job.jobId, top.job.jobId, 'the same key once the job has ended: still the first answer, not a 409');
    }));

  it('the OpenAPI document lists every instance and job route, with the Idempotency-Key header on those that start a job', () =>
    world(async (w) => {
      const doc = (await w.f.app.inject({ method: 'GET', url: '/openapi.json' })).json<{ paths: Record<string, Record<string, { operationId?: string; parameters?: { name: string; in: string; required?: boolean }[]; responses?: Record<string, unknown> }>> }>();
      const routes: [string, string, string, boolean][] = [
        ['post', '/v1/sp/services/{serviceId}/instances', 'DeployService', true],
        ['get', '/v1/sp/instances/{instanceId}', 'GetServiceState', false],
        ['post', '/v1/sp/instances/{instanceId}/suspend', 'SuspendOrResumeService', true],
        ['post', '/v1/sp/instances/{instanceId}/resume', '', true],
        ['post', '/v1/sp/instances/{instanceId}/terminate', 'TerminateService', true],
        ['get', '/v1/jobs/{jobId}', 'GetJob', false],
        ['post', '/v1/jobs/{jobId}/retry', 'RetryJob', false],
        ['post', '/v1/jobs/{jobId}/terminate', 'TerminateJob', false],
      ];
      const ids = new Set<string>();
      for (const [method, path, operationId, idempotent] of routes) {
        const op = doc.paths[path]?.[method];
        assert.ok(op !== undefined, `${method} ${path} is in the document`);
        if (operationId !== '') assert.equal(op.operationId, operationId);
        assert.match(op.operationId ?? '', /^[A-Z][A-Za-z]+$/, `${path}: an operation id a code generator accepts`);
        assert.ok(!ids.has(op.operationId!), `unique ${op.operationId}`);
        ids.add(op.operationId!);
        const header = op.parameters?.find((p) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key');
        if (idempotent) assert.equal(header?.required, true, `${path}: Idempotency-Key header, required`);
        else assert.equal(header, undefined, `${path}: no Idempotency-Key`);
        const success = method === 'post' && idempotent ? '202' : '200';
        assert.ok(op.responses?.[success] !== undefined, `${path}: ${success}`);
        for (const name of path.match(/\{([A-Za-z]+)\}/g) ?? []) assert.ok(op.parameters?.some((p) => p.in === 'path' && `{${p.name}}` === name), `${path}: ${name}`);
      }
    }));
});
