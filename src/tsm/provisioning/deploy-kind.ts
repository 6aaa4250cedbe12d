/**
 * The deploy job (ARCHITECTURE.md §4 steps 2–5; docs/provisioning.md §"The jobs"): eligibility →
 * issuer registration → security domain → key handover → load → install → extradite → personalize
 * → PPSE entry → access rule → active. Each step reads the card before it writes, so running it again
 * after a crash or a lost bearer is safe; the ones whose effect a re-run could duplicate have a
 * `verify` the engine calls first. ISD work runs as the MNO tenant, SSD work as the SP tenant.
 */
import { fromHex, toHex } from '../../bytes/index.ts';
import { putSpSecurityDomain, updateServiceInstanceState } from '../../store/index.ts';
import { TsmError } from '../errors.ts';
import { defineJobKind, type JobKind, type JobStep, type JsonValue, type StepContext, type StepOutcome, type VerifyOutcome } from '../jobs/index.ts';
import { CVN_PROFILES } from '../../emv/index.ts';
import type { CardLink, CardLinks } from './card-access.ts';
import {
  createSsd, findApplication, findLoadFile, installInstance, isPersonalized, isPersonalizedSd, openIsd, openSsd, personalizePayment,
  readApplication, readCardContent, deleteInstance, extraditeToSsd, loadPackage, takeOverSsd, writeAccessRule, writePpseEntry, type HandoverBlocks,
  araCAidFor, ensureAraC, registerAraC,
} from './card/index.ts';
import { loadInstanceContext, type InstanceContext } from './deploy-context.ts';
import { decodeCardPayload, deployParams } from './deploy-request.ts';
import type { ProvisioningDeps } from './deps.ts';
import { endIssuerCard, registerIssuerCard } from './issuer-card.ts';
import { refreshMirror } from './mirror.ts';
import { GpError, type SecureChannelSession } from '../../gp/index.ts';

/** The deploy job's kind name. */
export const DEPLOY_KIND = 'deploy';

const fail = (code: string, message: string): StepOutcome => ({ fail: { code, message } });

/** The ISD session of the job's card (MNO tenant). */
export function isdSession(deps: ProvisioningDeps, card: CardLink, c: InstanceContext): Promise<SecureChannelSession> {
  return card.session(c.se.isd.aid.toUpperCase(), () => openIsd(deps.hsm, c.mnoCtx, card.transport, c.se));
}

/** The SP's SSD session (SP tenant); ERR_TSM_STATE before the handover. */
export function ssdSession(deps: ProvisioningDeps, card: CardLink, c: InstanceContext): Promise<SecureChannelSession> {
  const ssd = c.ssd;
  if (ssd === undefined) return Promise.reject(new TsmError('ERR_TSM_STATE', `the SP's SSD on ${c.se.seId} is not taken over yet`));
  return card.session(ssd.aid, () => openSsd(deps.hsm, c.spCtx, card.transport, { ssdAid: ssd.aid, kvn: ssd.kvn, keys: ssd.keys }));
}

function handoverOf(outputs: Readonly<Record<string, JsonValue>>): { initialKvn: number; blocks: HandoverBlocks } | undefined {
  const o = outputs['security-domain'] as { initialKvn?: number; blocks?: HandoverBlocks } | null | undefined;
  return o?.blocks !== undefined && typeof o.initialKvn === 'number' ? { initialKvn: o.initialKvn, blocks: o.blocks } : undefined;
}

/** INSTALL [for install and make selectable] of the instance by the SSD; one already made by this job counts as done. */
async function installOnce(ssd: SecureChannelSession, c: InstanceContext): Promise<void> {
  try {
    await installInstance(ssd, { loadFileAid: c.flavour.package.loadFileAid, moduleAid: c.flavour.package.moduleAid, aid: c.aid, privileges: c.flavour.privileges });
  } catch (e) {
    if (!(e instanceof GpError && e.sw === 0x6a80)) throw e;
  }
}

/** The deploy job kind over `deps`, reaching cards through `links`. */
export function deployKind(deps: ProvisioningDeps, links: CardLinks): JobKind {
  return defineJobKind(DEPLOY_KIND, paymentSteps(deps, links).deploy);
}

/**
 * The update-personalization job (GP OperationType 3, update): a payment applet is personalized
 * once (EMV CPS) and its ATC starts again at zero, so new card data is a reissued card — a new PSN
 * (or PAN) the issuer registers first, so its ATC history starts clean and old cryptograms stay
 * refused. The instance is deleted, installed and extradited again (`rebuild`), personalized and
 * listed in the PPSE with the new record; then the instance names the new card and the issuer ends
 * the old one.
 */
export function updatePersonalizationKind(deps: ProvisioningDeps, links: CardLinks): JobKind {
  return defineJobKind(UPDATE_PERSONALIZATION_KIND, paymentSteps(deps, links).update);
}

/** The update-personalization job's kind name. */
export const UPDATE_PERSONALIZATION_KIND = 'update-personalization';

/** The steps of both payment jobs, sharing the card-facing ones. */
function paymentSteps(deps: ProvisioningDeps, links: CardLinks): { deploy: JobStep[]; update: JobStep[] } {
  /** Jobs whose personalize step was found not done after an unknown outcome: its instance is rebuilt. */
  const rebuild = new Set<string>();
  const context = (ctx: StepContext) => loadInstanceContext(deps, deployParams(ctx.params).instanceId, ctx.job.id);
  const onCard = (ctx: StepContext, work: (card: CardLink, c: InstanceContext) => Promise<StepOutcome>) =>
    links.run(ctx, async (card) => work(card, await context(ctx)));

  const deploy: JobStep[] = [
    {
      // ARCHITECTURE.md §4.2: the SE is known and active, a flavour fits, the card is genuine (SCP03
      // mutual authentication), the package is there or uploadable, no instance of the AID yet.
      name: 'eligibility',
      run: (ctx) => onCard(ctx, async (card, c) => {
        if (c.se.status !== 'active') return fail('SE_NOT_ACTIVE', `SE ${c.se.seId} is ${c.se.status}`);
        const content = await readCardContent(await isdSession(deps, card, c));
        await refreshMirror(deps.db, c.se.seId, content, deps.now());
        if (findApplication(content, c.aid) !== undefined) return fail('INSTANCE_EXISTS', `the SE already holds an application ${toHex(c.aid)}`);
        const packagePresent = findLoadFile(content, fromHex(c.flavour.package.loadFileAid, 'loadFileAid')) !== undefined;
        if (!packagePresent && c.flavour.package.cap === undefined) return fail('PACKAGE_MISSING', `package ${c.flavour.package.loadFileAid} is not on the SE and the flavour has no CAP`);
        return { done: { packagePresent } };
      }),
    },
    {
      // The issuer learns the card (keyed PAN index, issuer master keys) under a card id fixed by
      // the instance, so a repeated registration returns the same card; done before the card is
      // touched, so a PAN the issuer already has live fails the deploy early (ERR_TSM_CONFLICT).
      name: 'register',
      run: async (ctx) => {
        const c = await context(ctx);
        const cardRecord = decodeCardPayload(await ctx.payload());
        if (!(cardRecord.profile in CVN_PROFILES)) return fail('PROFILE', 'unknown CVN profile');
        const cardId = await registerIssuerCard(deps, c, cardRecord, `card_${c.instance.instanceId}`);
        await updateServiceInstanceState(deps.db, c.instance.instanceId, { from: ['deploying', 'failed'], to: c.instance.state === 'failed' ? 'failed' : 'deploying', at: deps.now().toISOString(), cardId });
        return { done: { cardId } };
      },
    },
    {
      // §4.3, SEI role: the SSD with transient initial keys, handed over as TR-31 blocks.
      name: 'security-domain',
      run: (ctx) => onCard(ctx, async (card, c): Promise<StepOutcome> => {
        if (c.ssd !== undefined) return { done: { existing: true } };
        const isd = await isdSession(deps, card, c);
        const entry = await readApplication(isd, c.ssdAid);
        if (entry !== undefined && isPersonalizedSd(entry)) return fail('SSD_TAKEN', `SSD ${toHex(c.ssdAid)} on ${c.se.seId} belongs to someone else`);
        const handover = await createSsd(deps.hsm, c.mnoCtx, isd, { ssdAid: c.ssdAid, ifExists: 'recreate' }, { spTenant: c.instance.sp });
        const { enc, mac, dek } = handover.blocks;
        return { done: { initialKvn: handover.initialKvn, blocks: { enc, mac, dek } } };
      }),
    },
    {
      // §4.3, SP-TSM role: the initial keys replaced over the SSD's own channel; the SSD PERSONALIZED.
      name: 'key-handover',
      run: (ctx) => onCard(ctx, async (card, c) => {
        if (c.ssd !== undefined) return 'done';
        const handover = handoverOf(ctx.outputs);
        if (handover === undefined) return fail('SSD_HANDOVER_MISSING', 'the security-domain step left no handover blocks');
        card.reset();
        const taken = await takeOverSsd(deps.hsm, c.spCtx, card.transport, {
          ssdAid: c.ssdAid, initialKvn: handover.initialKvn, blocks: handover.blocks, masters: c.service.ssdMasters, finalKvn: c.flavour.ssd.kvn, mnoTenant: c.se.mno,
        });
        taken.session.close();
        await putSpSecurityDomain(deps.db, { seId: c.se.seId, aid: toHex(c.ssdAid), sp: c.instance.sp, kvn: taken.kvn, keys: taken.keys, createdAt: deps.now().toISOString() });
        return 'done';
      }),
    },
    {
      // §4.4: LOAD only when the package is not on the card.
      name: 'load',
      run: (ctx) => {
        if ((ctx.outputs.eligibility as { packagePresent?: boolean } | null)?.packagePresent === true) return Promise.resolve('done');
        return onCard(ctx, async (card, c) => {
          const ssd = await ssdSession(deps, card, c);
          const content = await readCardContent(ssd);
          if (findLoadFile(content, fromHex(c.flavour.package.loadFileAid, 'loadFileAid')) !== undefined) return 'done';
          await loadPackage(ssd, Buffer.from(c.flavour.package.cap ?? '', 'base64'), { loadFileAid: c.flavour.package.loadFileAid, ssdAid: c.ssdAid });
          return 'done';
        });
      },
    },
    {
      // INSTALL by the SSD (Authorized Management, GPC 2.3.1 §9.3.5). The instance lands under its
      // load file's SD (§9.3.6) — for a preloaded package, the ISD — so a repeated INSTALL cannot see
      // it (ERR_TSM_CONFLICT): eligibility found the AID absent and the SE is ours, so it is this job's.
      name: 'install',
      run: (ctx) => onCard(ctx, async (card, c) => {
        await installOnce(await ssdSession(deps, card, c), c);
        return 'done';
      }),
    },
    {
      // §9.4.1: the ISD extradites the instance to the SP's SSD, which then personalizes, locks and deletes it.
      name: 'extradite',
      run: (ctx) => onCard(ctx, async (card, c) => {
        await extraditeToSsd(await isdSession(deps, card, c), { aid: c.aid, ssdAid: c.ssdAid });
        return 'done';
      }),
    },
    {
      // EMV CPS through the SSD: an instance found half-personalized after a lost outcome is deleted
      // and installed again, never trusted (issue 6, "never half-trusted").
      name: 'personalize',
      run: (ctx) => onCard(ctx, async (card, c) => {
        const again = rebuild.delete(ctx.job.id) || ctx.delivery !== undefined;
        if (again) await card.closeStrayChannels();
        let ssd = await ssdSession(deps, card, c);
        const present = (await readApplication(ssd, c.aid)) !== undefined;
        if (present && (await isPersonalized(ssd, card.transport, c.aid))) return 'done';
        if (!present || again) {
          if (present) await deleteInstance(ssd, c.aid);
          await installOnce(ssd, c);
          await extraditeToSsd(await isdSession(deps, card, c), { aid: c.aid, ssdAid: c.ssdAid });
          ssd = await ssdSession(deps, card, c);
        }
        const cardRecord = decodeCardPayload(await ctx.payload());
        await personalizePayment(deps.hsm, c.spCtx, ssd, { aid: c.aid, card: cardRecord, issuer: c.service.issuer });
        return 'done';
      }),
      verify: async (ctx): Promise<VerifyOutcome> => {
        const done = await links.probe(ctx, async (card) => {
          const c = await context(ctx);
          await card.closeStrayChannels();
          const ssd = await ssdSession(deps, card, c);
          return (await readApplication(ssd, c.aid)) !== undefined && (await isPersonalized(ssd, card.transport, c.aid));
        });
        if (done === true) return 'done';
        rebuild.add(ctx.job.id);
        return 'not-done';
      },
    },
    {
      // The wallet's contactless entry point: the PPSE entry, personalized through the ISD.
      name: 'ppse',
      run: (ctx) => onCard(ctx, async (card, c) => {
        const cardRecord = decodeCardPayload(await ctx.payload());
        await writePpseEntry(await isdSession(deps, card, c), c.aid, cardRecord);
        return 'done';
      }),
    },
    {
      // §4.4: the SP's wallet app may reach the applet — the rule goes to the ARA-M through the ISD,
      // or (accessRules 'ara-c', docs/access-rules.md) to the ARA-C of the SP's SSD, registered with the ARA-M.
      name: 'access-rule',
      run: (ctx) => onCard(ctx, async (card, c): Promise<StepOutcome> => {
        if (c.se.araAid === undefined) return { done: { rule: 'no ARA-M on this SE' } };
        const target = { aid: c.aid, certHash: c.service.walletCertHash };
        if (c.service.accessRules !== 'ara-c') {
          await writeAccessRule(await isdSession(deps, card, c), c.se.araAid, target);
          return 'done';
        }
        const araCAid = araCAidFor(c.ssdAid);
        await ensureAraC({ isd: () => isdSession(deps, card, c), ssd: () => ssdSession(deps, card, c) }, { araCAid, ssdAid: c.ssdAid });
        await registerAraC(await isdSession(deps, card, c), c.se.araAid, araCAid);
        await writeAccessRule(await ssdSession(deps, card, c), araCAid, target);
        return { done: { rule: 'ara-c', araC: toHex(araCAid) } };
      }),
    },
    {
      name: 'active',
      run: (ctx) => onCard(ctx, async (card, c) => {
        const content = await readCardContent(await isdSession(deps, card, c));
        await refreshMirror(deps.db, c.se.seId, content, deps.now());
        const cardId = (ctx.outputs.register as { cardId?: string } | null)?.cardId;
        const moved = await updateServiceInstanceState(deps.db, c.instance.instanceId, {
          from: ['deploying', 'failed'], to: 'active', at: deps.now().toISOString(), ...(cardId === undefined ? {} : { cardId }), jobId: ctx.job.id,
        });
        if (moved) deps.onInstanceState?.(c.instance.sp, c.instance.instanceId, 'active');
        return { done: { instanceId: c.instance.instanceId, ...(cardId === undefined ? {} : { cardId }) } };
      }),
    },
  ];
  const byName = (name: string): JobStep => deploy.find((step) => step.name === name)!;
  const update: JobStep[] = [
    {
      // the reissued card (a new PSN, or a new PAN) is registered first: a PAN/PSN the issuer holds live fails here
      name: 'register',
      run: async (ctx) => {
        const c = await context(ctx);
        const cardRecord = decodeCardPayload(await ctx.payload());
        const cardId = await registerIssuerCard(deps, c, cardRecord, `card_${ctx.job.id}`);
        return { done: { cardId } };
      },
    },
    {
      // the old instance goes (through the SSD), a fresh one comes (installed by the SSD, extradited by the ISD)
      name: 'rebuild',
      run: (ctx) => onCard(ctx, async (card, c) => {
        if (c.instance.state !== 'active') return fail('INSTANCE_STATE', `the instance is ${c.instance.state}`);
        await card.closeStrayChannels();
        const ssd = await ssdSession(deps, card, c);
        const present = (await readApplication(ssd, c.aid)) !== undefined;
        if (present && !(await isPersonalized(ssd, card.transport, c.aid))) return 'done'; // rebuilt by an attempt cut short
        if (present) await deleteInstance(ssd, c.aid);
        await installOnce(ssd, c);
        await extraditeToSsd(await isdSession(deps, card, c), { aid: c.aid, ssdAid: c.ssdAid });
        return 'done';
      }),
    },
    byName('personalize'),
    byName('ppse'),
    {
      // the instance now holds the new card: the issuer ends the old one (its PAN index erased)
      name: 'updated',
      run: (ctx) => onCard(ctx, async (card, c) => {
        await refreshMirror(deps.db, c.se.seId, await readCardContent(await isdSession(deps, card, c)), deps.now());
        const cardId = (ctx.outputs.register as { cardId?: string } | null)?.cardId;
        const old = c.instance.cardId;
        await updateServiceInstanceState(deps.db, c.instance.instanceId, { from: ['active'], to: 'active', at: deps.now().toISOString(), jobId: ctx.job.id, ...(cardId === undefined ? {} : { cardId }) });
        if (old !== undefined && old !== cardId) await endIssuerCard(deps, c, old);
        return { done: { instanceId: c.instance.instanceId, ...(cardId === undefined ? {} : { cardId }) } };
      }),
    },
  ];
  return { deploy, update };
}
