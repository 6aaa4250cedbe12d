/**
 * One job at a time per SE: jobs on one SE never overlap on the card and start in submit order;
 * jobs on different SEs run in parallel, bounded by the engine's concurrency.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getSeLock } from '../../../../src/store/index.ts';
import { deployKind, EFFECT_STEPS } from './deploy-kind.ts';
import { FakeCard } from './fake-card.ts';
import { engineOn, EventLog, withDb, type StoreFactory } from './harness.ts';

export function serializationTests(open: StoreFactory): void {
  describe('jobs: per-SE serialization and parallelism', () => {
    it('jobs on one SE never overlap and start in order; jobs on different SEs run concurrently', () =>
      withDb(open, async (db) => {
        const card = new FakeCard(2);
        const log = new EventLog();
        const engine = engineOn(db, log, { kinds: [deployKind(card)], concurrency: 4 });
        const ids: Record<string, string[]> = {};
        for (let i = 0; i < 4; i++) {
          for (const se of ['se-1', 'se-2', 'se-3']) {
            const job = await engine.submit({ tenant: 'bank-a', seId: se, kind: 'deploy', params: { n: i } }, { idempotencyKey: `${se}-${i}` });
            (ids[se] ??= []).push(job.id);
          }
        }
        await engine.idle();
        assert.equal(card.maxActivePerSe, 1, 'never two effects on one SE at once');
        assert.ok(card.maxActive >= 2, `different SEs ran in parallel (max ${card.maxActive})`);
        assert.ok(card.maxActive <= 4, 'bounded by the concurrency');
        for (const [se, jobs] of Object.entries(ids)) {
          const started = log.events.filter((e) => e.type === 'started' && e.job.seId === se).map((e) => e.job.id);
          assert.deepEqual(started, jobs, `${se}: started in submit order`);
          for (const id of jobs) assert.equal((await engine.get(id, 'bank-a')).state, 'succeeded');
          // Each job's effects are contiguous on its SE: the next job starts only after the previous ended.
          const perSe = card.log.filter((e) => e.startsWith(`${se}:`)).map((e) => e.slice(se.length + 1));
          assert.deepEqual(perSe, jobs.flatMap(() => [...EFFECT_STEPS]));
          assert.equal(await getSeLock(db, se), undefined, 'lock released');
        }
        await engine.close();
      }));

    it('two engines on one database still keep one job per SE', () =>
      withDb(open, async (db) => {
        const card = new FakeCard(1);
        const a = engineOn(db, new EventLog(), { kinds: [deployKind(card)], concurrency: 2 });
        const b = engineOn(db, new EventLog(), { kinds: [deployKind(card)], concurrency: 2 });
        await Promise.all(
          Array.from({ length: 6 }, (_, i) => (i % 2 === 0 ? a : b).submit({ tenant: 'bank-a', seId: i < 3 ? 'se-x' : 'se-y', kind: 'deploy', params: { i } }, { idempotencyKey: `k${i}` })),
        );
        await Promise.all([a.idle(), b.idle()]);
        await a.idle();
        await b.idle();
        assert.equal(card.maxActivePerSe, 1);
        for (const effect of EFFECT_STEPS) assert.equal(card.count('se-x', effect) + card.count('se-y', effect), 6);
        await Promise.all([a.close(), b.close()]);
      }));
  });
}
