/**
 * The engine's edges: kind definitions are checked, history is tenant-scoped, a throwing event
 * hook does not break a job, and a job of a kind the engine does not know is reported, not run.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getJob } from '../../../../src/store/index.ts';
import { TsmError } from '../../../../src/tsm/index.ts';
import { defineJobKind, JobEngine, type JobStep } from '../../../../src/tsm/jobs/index.ts';
import { deployKind } from './deploy-kind.ts';
import { FakeCard } from './fake-card.ts';
import { engineOn, EventLog, withDb, type StoreFactory } from './harness.ts';

const ok: JobStep = { name: 'one', run: () => Promise.resolve('done') };

function throwsCode(run: () => unknown, code: string): void {
  assert.throws(run, (e: unknown) => e instanceof TsmError && e.code === code);
}

export function engineApiTests(open: StoreFactory): void {
  describe('jobs: engine edges', () => {
    it('defineJobKind refuses bad names, duplicate steps and missing run functions', () => {
      throwsCode(() => defineJobKind('Bad Kind', [ok]), 'ERR_TSM_REQUEST');
      throwsCode(() => defineJobKind('k', []), 'ERR_TSM_REQUEST');
      throwsCode(() => defineJobKind('k', [ok, ok]), 'ERR_TSM_REQUEST');
      throwsCode(() => defineJobKind('k', [{ name: 'x' } as unknown as JobStep]), 'ERR_TSM_REQUEST');
      throwsCode(() => defineJobKind('k', [{ ...ok, verify: 'yes' } as unknown as JobStep]), 'ERR_TSM_REQUEST');
      const kind = defineJobKind('k', [ok]);
      assert.ok(Object.isFrozen(kind) && Object.isFrozen(kind.steps));
    });

    it('history is the tenant\'s only; a throwing event hook does not stop the job', () =>
      withDb(open, async (db) => {
        const engine = engineOn(db, new EventLog(), {
          kinds: [deployKind(new FakeCard())],
          onEvent: () => {
            throw new Error('webhook down');
          },
        });
        const job = await engine.submit({ tenant: 'bank-a', seId: 'se-1', kind: 'deploy', params: {} }, { idempotencyKey: 'h1' });
        await engine.idle();
        assert.equal((await engine.get(job.id, 'bank-a')).state, 'succeeded');
        const history = await engine.history(job.id, 'bank-a');
        assert.deepEqual(history.slice(0, 2).map((h) => h.outcome), ['queued', 'started']);
        await assert.rejects(engine.history(job.id, 'bank-b'), (e: unknown) => e instanceof TsmError && e.code === 'ERR_TSM_NOT_FOUND');
        await engine.close();
      }));

    it('a job of a kind this engine does not run is reported through onError and left for an engine that does', () =>
      withDb(open, async (db) => {
        const errors: unknown[] = [];
        const other = engineOn(db, new EventLog(), { kinds: [defineJobKind('other', [ok])] });
        const job = await other.submit({ tenant: 'bank-a', seId: 'se-1', kind: 'other' }, { idempotencyKey: 'o1' });
        await other.close({ abandon: true }); // queued or running: either way nobody drives it now
        const partial = engineOn(db, new EventLog(), { kinds: [deployKind(new FakeCard())], onError: (e) => errors.push(e) });
        await partial.resume();
        await partial.idle();
        assert.equal(errors.length, 1);
        assert.ok(errors[0] instanceof TsmError && errors[0].code === 'ERR_TSM_CONFIG');
        assert.equal((await getJob(db, job.id))?.state, 'running');
        await partial.close({ abandon: true });
        const full = engineOn(db, new EventLog(), { kinds: [defineJobKind('other', [ok])] });
        await full.resume();
        await full.idle();
        assert.equal((await full.get(job.id, 'bank-a')).state, 'succeeded');
        await full.close();
      }));

    it('terminating a running job: its step finishes, nothing more is written for it, the SE is freed for the next job', () =>
      withDb(open, async (db) => {
        const card = new FakeCard();
        const log = new EventLog();
        let release!: () => void;
        const gate = new Promise<void>((r) => (release = r));
        let entered!: () => void;
        const inStep = new Promise<void>((r) => (entered = r));
        const slow = defineJobKind('slow', [
          { name: 'block', run: async () => (entered(), await gate, 'done') },
          { name: 'after', run: async (ctx) => (await card.apply(ctx.job.seId, 'after'), 'done') },
        ]);
        const engine = engineOn(db, log, { kinds: [slow, deployKind(card)] });
        const job = await engine.submit({ tenant: 'bank-a', seId: 'se-1', kind: 'slow' }, { idempotencyKey: 't1' });
        const next = await engine.submit({ tenant: 'bank-a', seId: 'se-1', kind: 'deploy', params: {} }, { idempotencyKey: 't2' });
        await inStep;
        assert.equal((await engine.terminate(job.id, 'bank-a')).state, 'terminated');
        release();
        await engine.idle();
        assert.equal(card.count('se-1', 'after'), 0, 'no step after the terminate');
        assert.equal((await engine.get(job.id, 'bank-a')).state, 'terminated');
        assert.equal((await engine.get(next.id, 'bank-a')).state, 'succeeded', 'the SE was freed');
        assert.equal(log.ended(job.id).length, 1);
        const history = (await engine.history(job.id, 'bank-a')).map((h) => h.outcome);
        assert.deepEqual(history.slice(-1), ['terminated']);
        await engine.close();
      }));

    it('refuses a bad configuration: duplicate kinds, concurrency out of range', () =>
      withDb(open, (db) => {
        throwsCode(() => new JobEngine({ db, kinds: [defineJobKind('k', [ok]), defineJobKind('k', [ok])] }), 'ERR_TSM_CONFIG');
        throwsCode(() => new JobEngine({ db, kinds: [], concurrency: 0 }), 'ERR_TSM_CONFIG');
        return Promise.resolve();
      }));
  });
}
