/**
 * Job engine events as webhooks (docs/webhooks.md §5): the mapping, and a real JobEngine whose
 * onEvent hook feeds a dispatcher delivering to a receiver on 127.0.0.1. Bodies carry the job id,
 * kind, attempt, state and step — never the SE id or the request's parameters.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { defineJobKind, JobEngine, jobEventHook, webhookOfJobEvent, type JobEvent } from '../../../src/tsm/index.ts';
import { startReceiver, withWorld } from './fixture.ts';

const JOB = { id: 'job_1', tenant: 'bank-a', seId: 'se-4711', kind: 'deploy', attempt: 2 };
const AT = '2026-11-27T13:00:00.000Z';

describe('job events as webhooks', () => {
  it('maps started, step events, waiting and every end state; no SE id in the data', () => {
    const cases: [JobEvent, string | undefined, Record<string, unknown> | undefined][] = [
      [{ type: 'started', job: JOB, at: AT, step: 'eligibility' }, 'job.started', { state: 'running', step: 'eligibility' }],
      [{ type: 'step-started', job: JOB, at: AT, step: 'load' }, 'job.progress', { state: 'running', step: 'load', progress: 'step-started' }],
      [{ type: 'step-done', job: JOB, at: AT, step: 'load' }, 'job.progress', { state: 'running', step: 'load', progress: 'step-done' }],
      [{ type: 'waiting', job: JOB, at: AT, step: 'install' }, 'job.progress', { state: 'waiting', step: 'install', progress: 'waiting' }],
      [{ type: 'ended', job: JOB, at: AT, state: 'succeeded' }, 'job.succeeded', { state: 'succeeded' }],
      [{ type: 'ended', job: JOB, at: AT, state: 'failed' }, 'job.failed', { state: 'failed' }],
      [{ type: 'ended', job: JOB, at: AT, state: 'expired' }, 'job.expired', { state: 'expired' }],
      [{ type: 'ended', job: JOB, at: AT, state: 'terminated' }, 'job.terminated', { state: 'terminated' }],
      [{ type: 'ended', job: JOB, at: AT, state: 'running' }, undefined, undefined],
    ];
    for (const [event, type, extra] of cases) {
      const hook = webhookOfJobEvent(event);
      assert.equal(hook?.type, type, `${event.type} ${event.state ?? ''}`);
      if (hook === undefined || extra === undefined) continue;
      assert.equal(hook.tenant, 'bank-a');
      assert.deepEqual(hook.data, { jobId: 'job_1', kind: 'deploy', attempt: 2, at: AT, ...extra });
      assert.ok(!JSON.stringify(hook.data).includes('se-4711'));
    }
  });

  it('a JobEngine feeding a dispatcher: the receiver gets started, each step\'s progress and succeeded', () =>
    withWorld(async (w) => {
      const rx = await startReceiver([200]);
      const dispatcher = w.dispatcher();
      const errors: unknown[] = [];
      const kind = defineJobKind('webhook-demo', [{ name: 'first', run: () => Promise.resolve('done') }, { name: 'second', run: () => Promise.resolve('done') }]);
      const engine = new JobEngine({ db: w.db, kinds: [kind], pollIntervalMs: 0, onEvent: jobEventHook(dispatcher, (e) => errors.push(e)) });
      try {
        await w.register(rx.url, ['job.started', 'job.progress', 'job.succeeded']);
        const job = await engine.submit({ tenant: 'bank-a', seId: 'se-4711', kind: 'webhook-demo', params: { secretish: 'not-sent' } }, { idempotencyKey: 'k1' });
        await rx.received(6);
        await dispatcher.whenIdle();
        const bodies = rx.requests.map((r) => JSON.parse(r.body) as { type: string; data: Record<string, string | number | null> });
        const seen = bodies.map((b) => `${b.type}:${String(b.data['progress'] ?? '')}:${String(b.data['step'] ?? '')}`).sort();
        assert.deepEqual(seen, [
          'job.progress:step-done:first', 'job.progress:step-done:second', 'job.progress:step-started:first', 'job.progress:step-started:second',
          'job.started::first', 'job.succeeded::',
        ]);
        for (const b of bodies) assert.equal(b.data['jobId'], job.id);
        const all = rx.requests.map((r) => r.body).join('\n');
        assert.ok(!all.includes('se-4711') && !all.includes('not-sent'), 'neither the SE id nor the parameters leave');
        assert.deepEqual(errors, []);
      } finally {
        await engine.close();
        await rx.close();
      }
    }));
});
