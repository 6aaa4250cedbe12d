/**
 * Waiting for an asynchronous bearer and delivery (also after a restart), failure with a status
 * word then retry, terminate, graceful close and hand-over, and the event sequence.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { listJobSteps } from '../../../../src/store/index.ts';
import { TsmError } from '../../../../src/tsm/index.ts';
import { ApduError } from '../../../../src/apdu/index.ts';
import { defineJobKind, executionStatusOf, type JobKind } from '../../../../src/tsm/jobs/index.ts';
import { deployKind, EFFECT_STEPS } from './deploy-kind.ts';
import { FakeCard } from './fake-card.ts';
import { engineOn, EventLog, withDb, type StoreFactory } from './harness.ts';

/** A kind whose script step is pushed to a phone and answered later (an SMS proof of receipt). */
function bearerKind(card: FakeCard, pushed: string[]): JobKind {
  return defineJobKind('script', [
    { name: 'prepare', run: () => Promise.resolve('done') },
    {
      name: 'push-script',
      run: async (ctx) => {
        if (ctx.delivery === undefined) {
          pushed.push(ctx.job.id);
          return { wait: `por-${ctx.job.id}-${ctx.job.attempt}` };
        }
        const answer = ctx.delivery as { readonly sw: string };
        if (answer.sw !== '9000') return { fail: { code: 'SCRIPT', sw: Number.parseInt(answer.sw, 16), message: 'the card refused the script' } };
        await card.apply(ctx.job.seId, 'script');
        return { done: { por: answer.sw } };
      },
    },
    { name: 'finish', run: () => Promise.resolve('done') },
  ]);
}

async function rejectsCode(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (e: unknown) => e instanceof TsmError && e.code === code);
}

export function lifecycleTests(open: StoreFactory): void {
  describe('jobs: waiting, delivery, failure, retry, terminate', () => {
    it('a step waits for its bearer; delivery resumes it; a duplicate or unknown delivery changes nothing', () =>
      withDb(open, async (db) => {
        const card = new FakeCard();
        const pushed: string[] = [];
        const log = new EventLog();
        const engine = engineOn(db, log, { kinds: [bearerKind(card, pushed)] });
        const job = await engine.submit({ tenant: 'mno-x', seId: 'se-1', kind: 'script' }, { idempotencyKey: 's1' });
        await engine.idle();
        const waiting = await engine.get(job.id, 'mno-x');
        assert.equal(waiting.state, 'waiting');
        assert.deepEqual(waiting.step, { index: 1, name: 'push-script', status: 'waiting' });
        assert.equal(await engine.deliver('por-unknown', { sw: '9000' }), false);
        assert.equal(await engine.deliver(`por-${job.id}-1`, { sw: '9000' }), true);
        assert.equal(await engine.deliver(`por-${job.id}-1`, { sw: '9000' }), false, 'a retransmitted PoR is ignored');
        await engine.idle();
        const done = await engine.get(job.id, 'mno-x');
        assert.equal(done.state, 'succeeded');
        assert.deepEqual(done.result, { 'push-script': { por: '9000' } });
        assert.deepEqual(pushed, [job.id]);
        assert.equal(card.count('se-1', 'script'), 1);
        assert.deepEqual(log.types(job.id), [
          'started:prepare', 'step-started:prepare', 'step-done:prepare', 'step-started:push-script', 'waiting:push-script',
          'step-started:push-script', 'step-done:push-script', 'step-started:finish', 'step-done:finish', 'ended',
        ]);
        await engine.close();
      }));

    it('a late delivery after a restart resumes the job on the new engine; the SE stays held meanwhile', () =>
      withDb(open, async (db) => {
        const card = new FakeCard();
        const pushed: string[] = [];
        const log = new EventLog();
        const first = engineOn(db, log, { kinds: [bearerKind(card, pushed), deployKind(card)] });
        const job = await first.submit({ tenant: 'mno-x', seId: 'se-1', kind: 'script' }, { idempotencyKey: 's1' });
        const next = await first.submit({ tenant: 'bank-a', seId: 'se-1', kind: 'deploy', params: {} }, { idempotencyKey: 'd1' });
        await first.idle();
        assert.equal((await first.get(next.id, 'bank-a')).state, 'queued', 'the SE is held by the waiting job');
        await first.close();
        const second = engineOn(db, log, { kinds: [bearerKind(card, pushed), deployKind(card)] });
        await second.resume();
        await second.idle();
        assert.equal((await second.get(job.id, 'mno-x')).state, 'waiting');
        assert.equal(await second.deliver(`por-${job.id}-1`, { sw: '9000' }), true);
        await second.idle();
        assert.equal((await second.get(job.id, 'mno-x')).state, 'succeeded');
        assert.equal((await second.get(next.id, 'bank-a')).state, 'succeeded', 'the queued job ran once the SE was free');
        assert.equal(log.ended(job.id).length, 1);
        assert.equal(card.maxActivePerSe, 1);
        await second.close();
      }));

    it('a refused step ends the job failed with the step and status word, nothing rolled back; retry continues from it', () =>
      withDb(open, async (db) => {
        const card = new FakeCard();
        const pushed: string[] = [];
        const engine = engineOn(db, new EventLog(), { kinds: [bearerKind(card, pushed)] });
        const job = await engine.submit({ tenant: 'mno-x', seId: 'se-1', kind: 'script' }, { idempotencyKey: 's1' });
        await engine.idle();
        await engine.deliver(`por-${job.id}-1`, { sw: '6A84' });
        await engine.idle();
        const failed = await engine.get(job.id, 'mno-x');
        assert.equal(failed.state, 'failed');
        assert.deepEqual(failed.error, { step: 'push-script', code: 'SCRIPT', sw: 0x6a84, message: 'the card refused the script' });
        assert.equal(failed.step.index, 1, 'stays at the failed step');
        assert.deepEqual(executionStatusOf(failed), {
          status: 'FAILED', statusCodeData: { subject: 'push-script', reason: 'SCRIPT', sw: 0x6a84, message: 'the card refused the script' },
        });
        await rejectsCode(engine.terminate(job.id, 'other'), 'ERR_TSM_NOT_FOUND');
        const retried = await engine.retry(job.id, 'mno-x');
        assert.equal(retried.attempt, 2);
        await engine.idle();
        assert.equal(await engine.deliver(`por-${job.id}-2`, { sw: '9000' }), true);
        await engine.idle();
        const done = await engine.get(job.id, 'mno-x');
        assert.equal(done.state, 'succeeded');
        assert.equal(done.error, null);
        assert.deepEqual(executionStatusOf(done), { status: 'EXECUTED_SUCCESS' });
        const history = (await listJobSteps(db, job.id)).map((h) => `${h.step ?? '-'}:${h.outcome}:${h.attempt}`);
        assert.equal(history.filter((h) => h === 'prepare:done:1').length, 1, 'prepare is not run again');
        assert.ok(history.includes('push-script:failed:1') && history.includes('-:retry:2') && history.includes('push-script:done:2'), history.join(' '));
        await rejectsCode(engine.retry(job.id, 'mno-x'), 'ERR_TSM_STATE');
        await engine.close();
      }));

    it('a step that throws (outcome unknown) fails the job with the error code and status word; retry verifies first', () =>
      withDb(open, async (db) => {
        const card = new FakeCard();
        let throwOnce = true;
        const kind = defineJobKind('install', [
          {
            name: 'install',
            run: async (ctx) => {
              await card.apply(ctx.job.seId, 'install');
              if (throwOnce) {
                throwOnce = false;
                throw new ApduError('ERR_APDU_TRANSPORT', 'the reader went away', { sw: 0x6f00 });
              }
              return 'done';
            },
            verify: (ctx) => Promise.resolve(card.has(ctx.job.seId, 'install') ? 'done' : 'not-done'),
          },
        ]);
        const engine = engineOn(db, new EventLog(), { kinds: [kind] });
        const job = await engine.submit({ tenant: 'bank-a', seId: 'se-1', kind: 'install' }, { idempotencyKey: 'i1' });
        await engine.idle();
        const failed = await engine.get(job.id, 'bank-a');
        assert.deepEqual(failed.error, { step: 'install', code: 'ERR_APDU_TRANSPORT', sw: 0x6f00, message: 'the reader went away' });
        assert.equal(failed.step.status, 'started', 'outcome unknown');
        await engine.retry(job.id, 'bank-a');
        await engine.idle();
        assert.equal((await engine.get(job.id, 'bank-a')).state, 'succeeded');
        assert.equal(card.count('se-1', 'install'), 1, 'verify found it done: not installed twice');
        await engine.close();
      }));

    it('terminate ends a waiting job, ignores its late delivery and frees the SE; an ended job cannot be terminated', () =>
      withDb(open, async (db) => {
        const card = new FakeCard();
        const log = new EventLog();
        const engine = engineOn(db, log, { kinds: [bearerKind(card, []), deployKind(card)] });
        const job = await engine.submit({ tenant: 'mno-x', seId: 'se-1', kind: 'script' }, { idempotencyKey: 's1' });
        const queued = await engine.submit({ tenant: 'bank-a', seId: 'se-1', kind: 'deploy', params: {} }, { idempotencyKey: 'd1' });
        await engine.idle();
        assert.equal(executionStatusOf(await engine.get(queued.id, 'bank-a')), undefined, 'not ended yet');
        const ended = await engine.terminate(job.id, 'mno-x');
        assert.equal(ended.state, 'terminated');
        assert.deepEqual(executionStatusOf(ended), { status: 'FAILED', statusCodeData: { subject: 'push-script', reason: 'TERMINATED' } });
        assert.equal(await engine.deliver(`por-${job.id}-1`, { sw: '9000' }), false);
        await engine.idle();
        assert.equal((await engine.get(queued.id, 'bank-a')).state, 'succeeded');
        assert.equal(card.count('se-1', 'script'), 0);
        for (const effect of EFFECT_STEPS) assert.equal(card.count('se-1', effect), 1);
        await rejectsCode(engine.terminate(job.id, 'mno-x'), 'ERR_TSM_STATE');
        await rejectsCode(engine.terminate(queued.id, 'bank-a'), 'ERR_TSM_STATE');
        await rejectsCode(engine.retry(queued.id, 'bank-a'), 'ERR_TSM_STATE');
        assert.equal(log.ended(job.id).length, 1);
        await engine.close();
      }));

    it('a graceful close hands running jobs back at a step boundary; the next engine finishes them', () =>
      withDb(open, async (db) => {
        const card = new FakeCard(3);
        const first = engineOn(db, new EventLog(), { kinds: [deployKind(card)] });
        const job = await first.submit({ tenant: 'bank-a', seId: 'se-1', kind: 'deploy', params: {} }, { idempotencyKey: 'g1' });
        await new Promise((r) => setTimeout(r, 8));
        await first.close();
        await rejectsCode(first.submit({ tenant: 'bank-a', seId: 'se-1', kind: 'deploy', params: {} }, { idempotencyKey: 'g2' }), 'ERR_TSM_STATE');
        const view = await first.get(job.id, 'bank-a');
        assert.ok(view.state === 'running' || view.state === 'succeeded', view.state);
        const second = engineOn(db, new EventLog(), { kinds: [deployKind(card)] });
        await second.resume();
        await second.idle();
        assert.equal((await second.get(job.id, 'bank-a')).state, 'succeeded');
        for (const effect of EFFECT_STEPS) assert.equal(card.count('se-1', effect), 1);
        await second.close();
      }));
  });
}
