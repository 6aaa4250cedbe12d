/**
 * The jobs that change a deployed instance (docs/provisioning.md §"Lock, unlock, terminate"; GP
 * OperationType 4 locking, 5 unlocking, 6 removal): SET STATUS of the application (GPC 2.3.1
 * §11.10) through the SP's SSD — or through the ISD when the MNO reports the SE lost or stolen —
 * and DELETE of the instance with its access rule. Every step checks the card first: running it
 * again is harmless.
 */
import { updateServiceInstanceState } from '../../store/index.ts';
import { defineJobKind, type JobKind, type StepContext, type StepOutcome } from '../jobs/index.ts';
import type { CardLink, CardLinks } from './card-access.ts';
import { araCAidFor, deleteAccessRule, deleteAraCRule, deleteInstance, isLockedEntry, lockApplication, readApplication, readCardContent, unlockApplication } from './card/index.ts';
import { loadInstanceContext, type InstanceContext } from './deploy-context.ts';
import { instanceJobParams } from './deploy-request.ts';
import { isdSession, ssdSession } from './deploy-kind.ts';
import type { ProvisioningDeps } from './deps.ts';
import { endIssuerCard } from './issuer-card.ts';
import { refreshMirror } from './mirror.ts';

export const LOCK_KIND = 'lock';
export const UNLOCK_KIND = 'unlock';
export const TERMINATE_KIND = 'terminate';

function steps(deps: ProvisioningDeps, links: CardLinks) {
  const context = (ctx: StepContext) => loadInstanceContext(deps, instanceJobParams(ctx.params).instanceId, ctx.job.id);
  const onCard = (ctx: StepContext, work: (card: CardLink, c: InstanceContext) => Promise<StepOutcome>) =>
    links.run(ctx, async (card) => work(card, await context(ctx)));
  /** The SD that acts: the SP's SSD, or the ISD for the MNO's lost/stolen/recovered notifications. */
  const actingSd = (ctx: StepContext, card: CardLink, c: InstanceContext) =>
    (instanceJobParams(ctx.params).by === 'mno' || c.ssd === undefined ? isdSession(deps, card, c) : ssdSession(deps, card, c));
  const mirrorAndState = (to: string, from: readonly string[]) => ({
    name: 'mirror',
    run: (ctx: StepContext) => onCard(ctx, async (card, c) => {
      await refreshMirror(deps.db, c.se.seId, await readCardContent(await isdSession(deps, card, c)), deps.now());
      if (await updateServiceInstanceState(deps.db, c.instance.instanceId, { from, to, at: deps.now().toISOString(), jobId: ctx.job.id })) {
        if (c.instance.state !== to) deps.onInstanceState?.(c.instance.sp, c.instance.instanceId, to);
      }
      return { done: { instanceId: c.instance.instanceId, state: to } };
    }),
  });
  const setLock = (locked: boolean) => ({
    name: 'set-status',
    run: (ctx: StepContext) => onCard(ctx, async (card, c) => {
      const sd = await actingSd(ctx, card, c);
      const entry = await readApplication(sd, c.aid);
      if (entry === undefined) return { fail: { code: 'INSTANCE_ABSENT', message: `the SE holds no application ${c.instance.aid}` } };
      if (isLockedEntry(entry) === locked) return 'done';
      await (locked ? lockApplication(sd, c.aid) : unlockApplication(sd, c.aid));
      return 'done';
    }),
  });
  return { context, onCard, mirrorAndState, setLock, actingSd };
}

/** Locks the instance's application (the SP suspends the service, or the SE was reported lost or stolen). */
export function lockKind(deps: ProvisioningDeps, links: CardLinks): JobKind {
  const s = steps(deps, links);
  return defineJobKind(LOCK_KIND, [s.setLock(true), s.mirrorAndState('suspended', ['active', 'suspended'])]);
}

/** Unlocks it again (the SP resumes the service, or the SE was recovered). */
export function unlockKind(deps: ProvisioningDeps, links: CardLinks): JobKind {
  const s = steps(deps, links);
  return defineJobKind(UNLOCK_KIND, [s.setLock(false), s.mirrorAndState('active', ['suspended', 'active'])]);
}

/**
 * Removes the instance: DELETE through the SSD (GPC 2.3.1 §11.2), its ARA-M rule through the ISD,
 * the issuer's card ended (no more authorizations), the mirror refreshed, the instance terminated.
 */
export function terminateKind(deps: ProvisioningDeps, links: CardLinks): JobKind {
  const s = steps(deps, links);
  return defineJobKind(TERMINATE_KIND, [
    {
      name: 'delete',
      run: (ctx) => s.onCard(ctx, async (card, c) => {
        const sd = c.ssd === undefined ? await isdSession(deps, card, c) : await ssdSession(deps, card, c);
        if ((await readApplication(sd, c.aid)) !== undefined) await deleteInstance(sd, c.aid);
        return 'done';
      }),
    },
    {
      // the rule where the deploy wrote it: the ARA-M through the ISD, or the SSD's ARA-C through the
      // SSD (the ARA-C stays registered: it may hold the SP's other services' rules)
      name: 'access-rule',
      run: (ctx) => s.onCard(ctx, async (card, c) => {
        if (c.se.araAid === undefined) return 'done';
        const target = { aid: c.aid, certHash: c.service.walletCertHash };
        if (c.service.accessRules !== 'ara-c') await deleteAccessRule(await isdSession(deps, card, c), c.se.araAid, target);
        else if (c.ssd !== undefined) await deleteAraCRule(await ssdSession(deps, card, c), araCAidFor(c.ssdAid), target);
        return 'done';
      }),
    },
    {
      name: 'issuer',
      run: async (ctx) => {
        const c = await s.context(ctx);
        if (c.instance.cardId !== undefined) await endIssuerCard(deps, c, c.instance.cardId);
        return 'done';
      },
    },
    s.mirrorAndState('terminated', ['active', 'suspended', 'failed', 'deploying', 'terminating', 'terminated']),
  ]);
}
