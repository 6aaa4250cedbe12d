/** Conformance: durable jobs — job rows, guarded updates, the append-only step history, SE locks. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  acquireSeLock,
  appendJobStep,
  findJobByKey,
  findJobByWaitToken,
  getJob,
  getSeLock,
  insertJob,
  listJobs,
  listJobSteps,
  listSeLocks,
  releaseSeLocks,
  releaseSeLocksOfJobsIn,
  updateJob,
  type StoredJob,
} from '../../../src/store/index.ts';
import { failsWithCode, withStore, type StoreFactory } from './fixtures.ts';

function job(id: string, overrides: Partial<StoredJob> = {}): StoredJob {
  return {
    id, tenant: 'bank-a', seId: 'se-1', kind: 'deploy', state: 'queued', stepIndex: 0, stepName: 'eligibility', stepStatus: 'pending',
    idempotencyKey: `key-${id}`, requestHash: 'ab'.repeat(32), params: '{"service":"visa"}', payload: null, payloadSealed: false,
    expiresAt: '2026-11-27T13:00:00.000Z', attempt: 1, owner: null, waitToken: null, delivery: null, outputs: '{}', result: null,
    errorStep: null, errorCode: null, errorSw: null, errorMessage: null, createdAt: '2026-11-27T12:00:00.000Z',
    updatedAt: '2026-11-27T12:00:00.000Z', startedAt: null, endedAt: null,
    ...overrides,
  };
}

const at = '2026-11-27T12:00:01.000Z';

export function jobTests(open: StoreFactory): void {
  describe('jobs', () => {
    it('insert and read back every field, bytes included; find by key and by wait token; list in queue order', () =>
      withStore(open, async (db) => {
        const payload = new Uint8Array([0, 1, 2, 0xff]);
        const full = job('j1', { payload, payloadSealed: true, errorSw: 0x6a80, errorCode: 'LOAD', errorStep: 'load', errorMessage: 'no memory', waitToken: 't1', delivery: '{"sw":"9000"}' });
        assert.equal(await insertJob(db, full), true);
        assert.equal(await insertJob(db, job('j0', { seId: 'se-2', idempotencyKey: 'k0', state: 'running', owner: 'engine-1' })), true);
        const back = await getJob(db, 'j1');
        assert.deepEqual(back, full);
        assert.ok(back?.payload instanceof Uint8Array && back.payload.constructor === Uint8Array);
        assert.deepEqual(await findJobByKey(db, 'bank-a', 'key-j1'), full);
        assert.equal(await findJobByKey(db, 'bank-b', 'key-j1'), undefined);
        assert.deepEqual((await findJobByWaitToken(db, 't1'))?.id, 'j1');
        assert.equal(await findJobByWaitToken(db, 'nope'), undefined);
        assert.deepEqual((await listJobs(db, { states: ['queued', 'running'], limit: 10 })).map((j) => j.id), ['j1', 'j0']);
        assert.deepEqual((await listJobs(db, { states: ['running'], limit: 10 })).map((j) => j.id), ['j0']);
        assert.deepEqual((await listJobs(db, { states: ['queued', 'running'], seId: 'se-2', limit: 10 })).map((j) => j.id), ['j0']);
        assert.deepEqual((await listJobs(db, { states: ['queued', 'running'], unowned: true, limit: 10 })).map((j) => j.id), ['j1']);
        assert.deepEqual((await listJobs(db, { states: ['queued', 'running'], expiredAt: '2026-11-27T13:00:00.000Z', limit: 10 })).map((j) => j.id), ['j1', 'j0']);
        assert.deepEqual((await listJobs(db, { states: ['queued', 'running'], expiredAt: '2026-11-27T12:59:59.999Z', limit: 10 })), []);
        await acquireSeLock(db, 'se-1', 'j1', at);
        assert.deepEqual((await listJobs(db, { states: ['queued', 'running'], seFree: true, limit: 10 })).map((j) => j.id), ['j0']);
        assert.equal(await getJob(db, 'x\u0000'), undefined);
      }));

    it('an idempotency key is unique per tenant: a second insert answers false and changes nothing', () =>
      withStore(open, async (db) => {
        assert.equal(await insertJob(db, job('j1')), true);
        assert.equal(await insertJob(db, job('j2', { idempotencyKey: 'key-j1', requestHash: 'cd'.repeat(32) })), false);
        assert.equal(await insertJob(db, job('j3', { idempotencyKey: 'key-j1', tenant: 'bank-b' })), true);
        assert.equal(await getJob(db, 'j2'), undefined);
        const races = await Promise.all([1, 2, 3, 4].map((i) => insertJob(db, job(`r${i}`, { idempotencyKey: 'same' }))));
        assert.equal(races.filter(Boolean).length, 1);
      }));

    it('updates apply only under the guard: expected states and owner', () =>
      withStore(open, async (db) => {
        await insertJob(db, job('j1'));
        assert.equal(await updateJob(db, 'j1', { states: ['running'] }, { state: 'failed', updatedAt: at }), false);
        assert.equal(await updateJob(db, 'j1', { states: ['queued'], owner: null }, { state: 'running', owner: 'e1', updatedAt: at }), true);
        assert.equal(await updateJob(db, 'j1', { states: ['running'], owner: 'e2' }, { stepIndex: 1, updatedAt: at }), false);
        assert.equal(await updateJob(db, 'j1', { states: ['running'], owner: null }, { stepIndex: 1, updatedAt: at }), false);
        assert.equal(await updateJob(db, 'j1', { states: ['running'], owner: 'e1' }, { stepIndex: 1, errorSw: 0x6985, payload: new Uint8Array([9]), updatedAt: at }), true);
        const back = await getJob(db, 'j1');
        assert.equal(back?.stepIndex, 1);
        assert.equal(back?.errorSw, 0x6985);
        assert.deepEqual(back?.payload, new Uint8Array([9]));
        assert.equal(back?.updatedAt, at);
        assert.equal(await updateJob(db, 'nope', { states: ['queued'] }, { updatedAt: at }), false);
        const guarded = await Promise.all([1, 2, 3].map((i) => updateJob(db, 'j1', { states: ['running'], owner: 'e1' }, { owner: `e${i + 10}`, updatedAt: at })));
        assert.equal(guarded.filter(Boolean).length, 1);
      }));

    it('the step history is append-only and ordered', () =>
      withStore(open, async (db) => {
        await insertJob(db, job('j1'));
        await insertJob(db, job('j2', { idempotencyKey: 'k2' }));
        const s1 = await appendJobStep(db, { jobId: 'j1', step: null, stepIndex: null, outcome: 'queued', attempt: 1, at, detail: null });
        await appendJobStep(db, { jobId: 'j2', step: 'load', stepIndex: 2, outcome: 'started', attempt: 1, at, detail: null });
        const s3 = await appendJobStep(db, { jobId: 'j1', step: 'load', stepIndex: 2, outcome: 'failed', attempt: 1, at, detail: '{"sw":27264}' });
        assert.ok(s3 > s1);
        const steps = await listJobSteps(db, 'j1');
        assert.deepEqual(steps.map((s) => [s.step, s.outcome, s.detail]), [[null, 'queued', null], ['load', 'failed', '{"sw":27264}']]);
        assert.deepEqual(await listJobSteps(db, 'none'), []);
        await failsWithCode(() => appendJobStep(db, { jobId: 'j1', step: 'x', stepIndex: null, outcome: 'done', attempt: 1, at, detail: null }), 'ERR_STORE_RECORD');
      }));

    it('one lock per SE: of concurrent takers one wins; released only by its holder; stale locks of ended jobs freed', () =>
      withStore(open, async (db) => {
        const takes = await Promise.all(['a', 'b', 'c', 'd'].map((j) => acquireSeLock(db, 'se-1', j, at)));
        assert.equal(takes.filter(Boolean).length, 1);
        const holder = (await getSeLock(db, 'se-1'))!.jobId;
        assert.equal(await acquireSeLock(db, 'se-1', holder, at), false);
        assert.equal(await releaseSeLocks(db, holder === 'a' ? 'b' : 'a'), 0);
        assert.equal(await releaseSeLocks(db, holder), 1);
        assert.equal(await getSeLock(db, 'se-1'), undefined);
        await insertJob(db, job('done', { state: 'succeeded' }));
        await insertJob(db, job('live', { idempotencyKey: 'k-live', state: 'running', seId: 'se-2' }));
        await acquireSeLock(db, 'se-1', 'done', at);
        await acquireSeLock(db, 'se-2', 'live', at);
        assert.equal(await releaseSeLocksOfJobsIn(db, ['succeeded', 'failed']), 1);
        assert.deepEqual((await listSeLocks(db, 10)).map((l) => l.seId), ['se-2']);
      }));

    it('refuses records of the wrong shape, quoting no value', () =>
      withStore(open, async (db) => {
        const bad = [
          job(''), job('x', { tenant: 'a\u0000' }), job('x', { stepIndex: -1 }), job('x', { attempt: 0 }), job('x', { errorSw: 0x10000 }),
          job('x', { params: 'p'.repeat((1 << 20) + 1) }), { ...job('x'), payloadSealed: 1 }, { ...job('x'), payload: 'secret' }, null,
        ];
        for (const record of bad) {
          const error = await failsWithCode(() => insertJob(db, record as StoredJob), 'ERR_STORE_RECORD');
          assert.ok(!error.message.includes('ppp') && !error.message.includes('secret'), error.message);
        }
        await failsWithCode(() => getJob(db, 42 as unknown as string), 'ERR_STORE_PARAM');
        await failsWithCode(() => listJobs(db, { states: [], limit: 1 }), 'ERR_STORE_PARAM');
        await failsWithCode(() => updateJob(db, 'x', { states: [] }, { updatedAt: at }), 'ERR_STORE_PARAM');
        assert.deepEqual(await listJobs(db, { states: ['queued'], limit: 10 }), []);
      }));
  });
}
