/**
 * The test's deploy job (issue 6 "Provisioning as durable jobs"): eligibility → security domain →
 * load → install → personalize → access rule → active, against a FakeCard. Every step with an
 * effect verifies against the card (as GET STATUS / GET DATA would) before it is run again.
 */
import { defineJobKind, type JobKind, type JobStep } from '../../../../src/tsm/jobs/index.ts';
import type { FakeCard } from './fake-card.ts';

/** The steps that change the card, in order. */
export const EFFECT_STEPS = ['security-domain', 'load', 'install', 'personalize', 'access-rule', 'active'] as const;
/** Every step of the deploy kind. */
export const DEPLOY_STEPS = ['eligibility', ...EFFECT_STEPS] as const;

function effectStep(card: FakeCard, name: string): JobStep {
  return {
    name,
    async run(ctx) {
      if (name === 'personalize' && ctx.job.kind === 'deploy') {
        const data = await ctx.payload().catch(() => undefined); // the sensitive payload, when the request had one
        if (data !== undefined && data.length === 0) return { fail: { code: 'NO_DATA', message: 'empty personalization data' } };
      }
      await card.apply(ctx.job.seId, name);
      return name === 'security-domain' ? { done: { sdAid: 'A000000151535041' } } : 'done';
    },
    verify(ctx) {
      if (!card.has(ctx.job.seId, name)) return Promise.resolve('not-done');
      return Promise.resolve(name === 'security-domain' ? { done: { sdAid: 'A000000151535041' } } : 'done'); // read back, as GET STATUS would
    },
  };
}

/** The deploy kind over `card`. */
export function deployKind(card: FakeCard): JobKind {
  return defineJobKind('deploy', [
    { name: 'eligibility', run: (ctx) => Promise.resolve(ctx.params === null ? { fail: { code: 'NOT_ELIGIBLE', message: 'no service named' } } : { done: { eligible: true } }) },
    ...EFFECT_STEPS.map((name) => effectStep(card, name)),
  ]);
}
