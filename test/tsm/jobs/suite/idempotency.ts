/**
 * Idempotency keys (GPS_SPE_002 FunctionCallIdentifier) and validity (ValidityPeriod → EXPIRED):
 * a duplicate runs once, concurrent duplicates run once, a reused key with another request is a
 * conflict; a request that could not start in time expires unexecuted. Sensitive payloads are
 * stored sealed, or refused without a cipher.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getJob, listJobSteps } from '../../../../src/store/index.ts';
import { TsmError } from '../../../../src/tsm/index.ts';
import { defineJobKind, executionStatusOf, type JobRequest, type PayloadCipher } from '../../../../src/tsm/jobs/index.ts';
import { deployKind, EFFECT_STEPS } from './deploy-kind.ts';
import { FakeCard } from './fake-card.ts';
import { engineOn, EventLog, withDb, type StoreFactory } from './harness.ts';
import { testCipher } from './test-cipher.ts';

const request = (overrides: Partial<JobRequest> = {}): JobRequest => ({ tenant: 'bank-a', seId: 'se-1', kind: 'deploy', params: { service: 'visa' }, ...overrides });

async function rejectsCode(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (e: unknown) => e instanceof TsmError && e.code === code);
}

/** `cipher`: the PayloadCipher sensitive payloads are sealed with (default the test cipher). */
export function idempotencyTests(open: StoreFactory, cipher: PayloadCipher = testCipher): void {
  describe('jobs: idempotency and expiry', () => {
    it('a duplicate submit returns the first job, then its result, and never runs twice', () =>
      withDb(open, async (db) => {
        const card = new FakeCard();
        const engine = engineOn(db, new EventLog(), { kinds: [deployKind(card)] });
        const first = await engine.submit(request(), { idempotencyKey: 'k1' });
        const again = await engine.submit(request({ params: { service: 'visa' } }), { idempotencyKey: 'k1', validitySeconds: 60 });
        assert.equal(again.id, first.id);
        await engine.idle();
        const done = await engine.submit(request(), { idempotencyKey: 'k1' });
        assert.equal(done.id, first.id);
        assert.equal(done.state, 'succeeded');
        assert.deepEqual(done.result, { eligibility: { eligible: true }, 'security-domain': { sdAid: 'A000000151535041' } });
        for (const effect of EFFECT_STEPS) assert.equal(card.count('se-1', effect), 1);
        await engine.close();
      }));

    it('concurrent duplicate submits (also through two engines) create one job that runs once', () =>
      withDb(open, async (db) => {
        const card = new FakeCard(1);
        const a = engineOn(db, new EventLog(), { kinds: [deployKind(card)] });
        const b = engineOn(db, new EventLog(), { kinds: [deployKind(card)] });
        const views = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? a : b).submit(request(), { idempotencyKey: 'same' })));
        assert.equal(new Set(views.map((v) => v.id)).size, 1);
        await Promise.all([a.idle(), b.idle()]);
        assert.equal((await a.get(views[0]!.id, 'bank-a')).state, 'succeeded');
        for (const effect of EFFECT_STEPS) assert.equal(card.count('se-1', effect), 1, effect);
        await Promise.all([a.close(), b.close()]);
      }));

    it('the same key with another request is a conflict; another tenant may use the same key', () =>
      withDb(open, async (db) => {
        const engine = engineOn(db, new EventLog(), { kinds: [deployKind(new FakeCard())] });
        const first = await engine.submit(request(), { idempotencyKey: 'k1' });
        await rejectsCode(engine.submit(request({ params: { service: 'mastercard' } }), { idempotencyKey: 'k1' }), 'ERR_TSM_CONFLICT');
        await rejectsCode(engine.submit(request({ seId: 'se-2' }), { idempotencyKey: 'k1' }), 'ERR_TSM_CONFLICT');
        await rejectsCode(engine.submit(request({ payload: { data: new Uint8Array([1]), sensitive: false } }), { idempotencyKey: 'k1' }), 'ERR_TSM_CONFLICT');
        const other = await engine.submit(request({ tenant: 'bank-b' }), { idempotencyKey: 'k1' });
        assert.notEqual(other.id, first.id);
        await rejectsCode(engine.get(first.id, 'bank-b'), 'ERR_TSM_NOT_FOUND');
        await engine.idle();
        await engine.close();
      }));

    it('a request whose validity passes before it can start ends expired, never executed', () =>
      withDb(open, async (db) => {
        let now = Date.parse('2026-11-27T12:00:00Z');
        const card = new FakeCard();
        const hold = defineJobKind('hold', [{ name: 'wait', run: (ctx) => Promise.resolve(ctx.delivery === undefined ? { wait: 'hold-token' } : 'done') }]);
        const log = new EventLog();
        const engine = engineOn(db, log, { kinds: [deployKind(card), hold], now: () => new Date(now) });
        const busy = await engine.submit(request({ kind: 'hold', params: null }), { idempotencyKey: 'busy' });
        await engine.idle();
        assert.equal((await engine.get(busy.id, 'bank-a')).state, 'waiting');
        const late = await engine.submit(request(), { idempotencyKey: 'late', validitySeconds: 30 });
        const fine = await engine.submit(request({ seId: 'se-2' }), { idempotencyKey: 'fine', validitySeconds: 30 });
        await engine.idle();
        assert.equal((await engine.get(late.id, 'bank-a')).state, 'queued', 'waits for its SE');
        now += 31_000;
        assert.equal(await engine.deliver('hold-token', { sw: '9000' }), true);
        await engine.idle();
        const view = await engine.get(late.id, 'bank-a');
        assert.equal(view.state, 'expired');
        assert.equal(view.startedAt, null);
        assert.deepEqual(executionStatusOf(view), { status: 'EXPIRED' });
        assert.deepEqual((await listJobSteps(db, late.id)).map((h) => h.outcome), ['queued', 'expired']);
        assert.equal(card.log.filter((e) => e.startsWith('se-1:')).length, 0, 'nothing ran on se-1');
        assert.equal((await engine.get(fine.id, 'bank-a')).state, 'succeeded', 'a job that started in time finishes');
        assert.equal(log.ended(late.id).length, 1);
        assert.equal((await engine.submit(request(), { idempotencyKey: 'late', validitySeconds: 30 })).state, 'expired', 'the key answers EXPIRED');
        await engine.close();
      }));

    it('a sensitive payload is stored sealed, opened for the step, erased when the job ends; refused without a cipher', () =>
      withDb(open, async (db) => {
        const pan = new TextEncoder().encode('5413330089010434');
        const seen: Uint8Array[] = [];
        // the step waits until the row has been read: an engine that picks the job up at once would erase it first
        let release = (): void => undefined;
        const rowRead = new Promise<void>((resolve) => (release = resolve));
        const kind = defineJobKind('perso', [{ name: 'personalize', run: async (ctx) => (await rowRead, seen.push(await ctx.payload()), 'done') }]);
        const bare = engineOn(db, new EventLog(), { kinds: [kind] });
        await rejectsCode(bare.submit(request({ kind: 'perso', payload: { data: pan, sensitive: true } }), { idempotencyKey: 'p0' }), 'ERR_TSM_CONFIG');
        await bare.close();
        const engine = engineOn(db, new EventLog(), { kinds: [kind], cipher });
        const job = await engine.submit(request({ kind: 'perso', payload: { data: pan, sensitive: true } }), { idempotencyKey: 'p1' });
        const stored = await getJob(db, job.id);
        assert.equal(stored?.payloadSealed, true);
        assert.ok(stored?.payload !== null && !Buffer.from(stored.payload).includes(Buffer.from(pan)), 'no clear PAN in the row');
        assert.ok(!stored.requestHash.includes(Buffer.from(pan).toString('hex')));
        release();
        await engine.idle();
        assert.deepEqual(seen, [pan]);
        assert.equal((await getJob(db, job.id))?.payload, null, 'erased at the end');
        await rejectsCode(engine.submit(request({ kind: 'perso', payload: { data: new Uint8Array([9]), sensitive: true } }), { idempotencyKey: 'p1' }), 'ERR_TSM_CONFLICT');
        await engine.close();
      }));

    it('refuses malformed submissions with ERR_TSM_REQUEST', () =>
      withDb(open, async (db) => {
        const engine = engineOn(db, new EventLog(), { kinds: [deployKind(new FakeCard())] });
        const bad: [JobRequest, { idempotencyKey: string; validitySeconds?: number }][] = [
          [request({ kind: 'nope' }), { idempotencyKey: 'a' }],
          [request({ tenant: '' }), { idempotencyKey: 'a' }],
          [request(), { idempotencyKey: '' }],
          [request(), { idempotencyKey: 'a', validitySeconds: 0 }],
          [request(), { idempotencyKey: 'a', validitySeconds: 1.5 }],
          [request({ params: { n: Number.NaN } }), { idempotencyKey: 'a' }],
          [request({ params: { d: new Date() } as unknown as JobRequest['params'] }), { idempotencyKey: 'a' }],
        ];
        for (const [r, o] of bad) await rejectsCode(engine.submit(r, o), 'ERR_TSM_REQUEST');
        await engine.close();
      }));
  });
}
