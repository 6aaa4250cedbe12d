/**
 * The fault test: a 7-step deploy is killed at every step boundary and in the middle of every
 * step (before and after the card's effect), then a new engine resumes it. Each job must end
 * exactly once, each effect happen on the card exactly once (verify consulted), and the history
 * must hold one confirmation per step, in order.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { listJobSteps, type StoreDb } from '../../../../src/store/index.ts';
import type { JobEngine, JobEvent, PayloadCipher } from '../../../../src/tsm/jobs/index.ts';
import { DEPLOY_STEPS, deployKind, EFFECT_STEPS } from './deploy-kind.ts';
import { FakeCard } from './fake-card.ts';
import { engineOn, EventLog, withDb, type StoreFactory } from './harness.ts';
import { testCipher } from './test-cipher.ts';

type Crash =
  | { readonly at: 'claim' }
  | { readonly at: 'boundary'; readonly step: string }
  | { readonly at: 'step-started'; readonly step: string }
  | { readonly at: 'effect'; readonly step: string; readonly when: 'before' | 'after' };

function crashPoints(): Crash[] {
  const points: Crash[] = [{ at: 'claim' }];
  for (const step of DEPLOY_STEPS) {
    points.push({ at: 'step-started', step });
    if ((EFFECT_STEPS as readonly string[]).includes(step)) {
      points.push({ at: 'effect', step, when: 'before' }, { at: 'effect', step, when: 'after' });
    }
    points.push({ at: 'boundary', step });
  }
  return points;
}

const describeCrash = (c: Crash): string => (c.at === 'claim' ? 'right after the claim' : c.at === 'effect' ? `${c.when} the card effect of ${c.step}` : `at ${c.at} of ${c.step}`);

/** Arms engine `engine` (set later through `ref`) to be killed at `crash`; resolves when it was. */
function arm(card: FakeCard, crash: Crash, ref: { engine?: JobEngine }): { onEvent: (e: JobEvent) => void; killed: Promise<void> } {
  let resolve!: () => void;
  const killed = new Promise<void>((r) => (resolve = r));
  const kill = (): void => {
    void ref.engine?.close({ abandon: true });
    resolve();
  };
  if (crash.at === 'effect') card.crash = { effect: crash.step, when: crash.when, kill };
  const onEvent = (e: JobEvent): void => {
    if (crash.at === 'claim' && e.type === 'started') kill();
    if (crash.at === 'boundary' && e.type === 'step-done' && e.step === crash.step) kill();
    if (crash.at === 'step-started' && e.type === 'step-started' && e.step === crash.step) kill();
  };
  return { onEvent, killed };
}

async function assertCompleteHistory(db: StoreDb, jobId: string): Promise<string[]> {
  const history = await listJobSteps(db, jobId);
  const confirmed = history.filter((h) => h.outcome === 'done' || h.outcome === 'verified-done').map((h) => h.step);
  assert.deepEqual(confirmed, [...DEPLOY_STEPS], 'one confirmation per step, in order');
  assert.equal(history.filter((h) => h.outcome === 'succeeded').length, 1);
  assert.equal(history.at(-1)?.outcome, 'succeeded');
  return history.map((h) => (h.step === null ? h.outcome : `${h.step}:${h.outcome}`));
}

/** `cipher`: the PayloadCipher the sensitive deploy payload is sealed with (default the test cipher). */
export function faultTests(open: StoreFactory, cipher: PayloadCipher = testCipher): void {
  describe('jobs: crash at every step boundary and inside every step, then resume', () => {
    for (const crash of crashPoints()) {
      it(`killed ${describeCrash(crash)}: ends once, every effect once, history complete`, () =>
        withDb(open, async (db) => {
          const card = new FakeCard();
          const log = new EventLog();
          const ref: { engine?: JobEngine } = {};
          const armed = arm(card, crash, ref);
          const first = engineOn(db, log, { kinds: [deployKind(card)], cipher, onEvent: armed.onEvent });
          ref.engine = first;
          const job = await first.submit(
            { tenant: 'bank-a', seId: 'se-1', kind: 'deploy', params: { service: 'visa' }, payload: { data: new Uint8Array([1, 2, 3]), sensitive: true } },
            { idempotencyKey: 'deploy-1', validitySeconds: 600 },
          );
          await first.resume();
          await armed.killed;
          const second = engineOn(db, log, { kinds: [deployKind(card)], cipher });
          await second.resume();
          await second.idle();
          const view = await second.get(job.id, 'bank-a');
          assert.equal(view.state, 'succeeded', JSON.stringify(view.error));
          assert.deepEqual(view.result, { eligibility: { eligible: true }, 'security-domain': { sdAid: 'A000000151535041' } });
          assert.equal(log.ended(job.id).length, 1, 'ended exactly once');
          for (const effect of EFFECT_STEPS) assert.equal(card.count('se-1', effect), 1, `${effect} applied once`);
          const history = await assertCompleteHistory(db, job.id);
          if (crash.at === 'effect') {
            assert.ok(history.includes(`${crash.step}:${crash.when === 'after' ? 'verified-done' : 'verified-not-done'}`), history.join(' '));
          }
          await second.close();
        }));
    }

    for (const step of EFFECT_STEPS) {
      it(`killed after the effect of ${step}, then again while verifying it: the third engine finishes, once`, () =>
        withDb(open, async (db) => {
          const card = new FakeCard();
          const log = new EventLog();
          const kinds = [deployKind(card)];
          const ref1: { engine?: JobEngine } = {};
          const armed = arm(card, { at: 'effect', step, when: 'after' }, ref1);
          const first = (ref1.engine = engineOn(db, log, { kinds }));
          const job = await first.submit({ tenant: 'bank-a', seId: 'se-1', kind: 'deploy', params: {} }, { idempotencyKey: 'v1' });
          await armed.killed;
          let killedAgain!: () => void;
          const again = new Promise<void>((r) => (killedAgain = r));
          const second = engineOn(db, log, { kinds });
          card.crashOnVerify = { effect: step, kill: () => (void second.close({ abandon: true }), killedAgain()) };
          await second.resume();
          await again;
          const third = engineOn(db, log, { kinds });
          await third.resume();
          await third.idle();
          assert.equal((await third.get(job.id, 'bank-a')).state, 'succeeded');
          assert.equal(log.ended(job.id).length, 1);
          for (const effect of EFFECT_STEPS) assert.equal(card.count('se-1', effect), 1, effect);
          assert.equal(card.verifies.get(`se-1:${step}`), 2, 'verified by the second and the third engine');
          await assertCompleteHistory(db, job.id);
          await third.close();
        }));
    }

    it('a chain of restarts, each killed after the next effect: still once each, history complete', () =>
      withDb(open, async (db) => {
        const card = new FakeCard();
        const log = new EventLog();
        let jobId = '';
        for (const [i, step] of [...EFFECT_STEPS, 'done'].entries()) {
          const ref: { engine?: JobEngine } = {};
          const armed = step === 'done' ? undefined : arm(card, { at: 'effect', step, when: 'after' }, ref);
          const engine = engineOn(db, log, { kinds: [deployKind(card)], ...(armed ? { onEvent: armed.onEvent } : {}) });
          ref.engine = engine;
          if (i === 0) jobId = (await engine.submit({ tenant: 'bank-a', seId: 'se-9', kind: 'deploy', params: {} }, { idempotencyKey: 'chain' })).id;
          await engine.resume();
          if (armed) await armed.killed;
          else await engine.idle();
        }
        assert.equal(log.ended(jobId).length, 1);
        for (const effect of EFFECT_STEPS) assert.equal(card.count('se-9', effect), 1, effect);
        const history = await assertCompleteHistory(db, jobId);
        assert.equal(history.filter((h) => h === 'resumed').length, EFFECT_STEPS.length);
      }));
  });
}
