/**
 * The SP-facing provisioning operations (GPS_SPE_002 GlobalServiceManagement: DeployService,
 * SuspendOrResumeService, TerminateService, GetServiceState; docs/provisioning.md): each one a
 * durable job on the instance's SE, answered at once with the job (the HTTP layer says 202). Also
 * the MNO's SE status changes fanned out to every SP with an instance on the SE (lost, theft →
 * lock through the ISD; recovered → unlock what the MNO locked).
 */
import { createHash } from 'node:crypto';
import { StoreError, findIssuerCard, findJobByKey, getRegistryMirror, getServiceInstance, listJobs, type MirrorEntry, insertServiceInstance, listServiceInstances, updateServiceInstanceState, type StoredServiceInstance } from '../../store/index.ts';
import { TsmError } from '../errors.ts';
import type { JobEngine, JobEvent, JobKind, JobView, SubmitOptions } from '../jobs/index.ts';
import type { CardBearer, SecureElementRecord, ServiceRecord } from '../model.ts';
import type { ResolvedSubscription } from '../registry/index.ts';
import { panIndex } from '../issuer/pan-index.ts';
import type { PaymentCardRecord } from '../personalization/card-record.ts';
import type { CardLinks } from './card-access.ts';
import { flavourFor } from './deploy-context.ts';
import { DEPLOY_KIND, UPDATE_PERSONALIZATION_KIND, deployKind, updatePersonalizationKind } from './deploy-kind.ts';
import { encodeCardPayload, type InstanceJobParams } from './deploy-request.ts';
import type { ProvisioningDeps } from './deps.ts';
import { SE_AUDIT_KIND, seAuditKind } from './audit-kind.ts';
import { LOCK_KIND, lockKind, TERMINATE_KIND, terminateKind, UNLOCK_KIND, unlockKind } from './lifecycle-kinds.ts';

/** The catalog's eligibility check (catalog/checkEligibility): every reason that stands in the way. */
export type EligibilityCheck = (service: ServiceRecord, se: SecureElementRecord, subscription?: ResolvedSubscription) => Promise<{ readonly eligible: boolean; readonly reasons: readonly string[] }>;

/** What a caller gets back from an operation: the instance and the job doing it. */
export interface InstanceOperation {
  readonly instance: StoredServiceInstance;
  readonly job: JobView;
}

/** Whether stored job params (canonical JSON) name `instanceId`. */
function jobParamsName(params: string, instanceId: string): boolean {
  try {
    return (JSON.parse(params) as { instanceId?: unknown } | null)?.instanceId === instanceId;
  } catch {
    return false;
  }
}

/** The job kinds provisioning defines, over `deps` and one set of card links. */
export function provisioningKinds(deps: ProvisioningDeps, links: CardLinks): JobKind[] {
  return [deployKind(deps, links), updatePersonalizationKind(deps, links), lockKind(deps, links), unlockKind(deps, links), terminateKind(deps, links), seAuditKind(deps, links)];
}

/** The instance id a deploy under `idempotencyKey` creates: the same key names the same instance. */
export function instanceIdFor(sp: string, idempotencyKey: string): string {
  return `inst_${createHash('sha256').update(`${sp}\n${idempotencyKey}`).digest('hex').slice(0, 32)}`;
}

export class ProvisioningService {
  readonly #deps: ProvisioningDeps;
  readonly #engine: JobEngine;
  readonly #links: CardLinks;
  readonly #instanceOfJob = new Map<string, string>();
  readonly #unsubscribe: () => void;
  readonly #checkEligibility: EligibilityCheck | undefined;

  /**
   * `links` must be the CardLinks the engine's kinds were made with (provisioningKinds). The
   * bearer's reachability events deliver the jobs waiting for that SE.
   */
  constructor(
    deps: ProvisioningDeps,
    engine: JobEngine,
    links: CardLinks,
    options: { readonly bearer?: CardBearer; readonly checkEligibility?: EligibilityCheck } = {},
  ) {
    this.#checkEligibility = options.checkEligibility;
    this.#deps = deps;
    this.#engine = engine;
    this.#links = links;
    this.#unsubscribe = (options.bearer ?? deps.bearer).onReachable((seId) => void this.#deliverWaiting(seId));
  }

  /** Stops listening to the bearer. */
  close(): void {
    this.#unsubscribe();
  }

  /** DeployService: a deploy job of `serviceId` to `seId` with the card's data (sealed in the job). */
  async deploy(
    sp: string,
    request: { readonly serviceId: string; readonly seId: string; readonly card: PaymentCardRecord; readonly subscription?: ResolvedSubscription },
    options: SubmitOptions,
  ): Promise<InstanceOperation> {
    const service = await this.#deps.service(request.serviceId);
    if (service === undefined || service.sp !== sp) throw new TsmError('ERR_TSM_NOT_FOUND', 'no such service for this tenant');
    const se = await this.#deps.secureElement(request.seId);
    if (se === undefined) throw new TsmError('ERR_TSM_NOT_FOUND', 'no such SE');
    const flavour = flavourFor(service, se.platform);
    if (flavour === undefined) throw new TsmError('ERR_TSM_STATE', `the service has no flavour for the SE's platform ${se.platform}`);
    // ARCHITECTURE.md §4.2 / GP CheckGlobalEligibility, before anything is written: the job checks the card itself
    const eligibility = this.#checkEligibility === undefined ? undefined : await this.#checkEligibility(service, se, request.subscription);
    if (eligibility !== undefined && !eligibility.eligible) throw new TsmError('ERR_TSM_STATE', `the SE is not eligible: ${eligibility.reasons.join(', ')}`);
    const payload = encodeCardPayload(request.card);
    const instanceId = instanceIdFor(sp, options.idempotencyKey);
    const at = this.#deps.now().toISOString();
    let instance = await getServiceInstance(this.#deps.db, instanceId);
    if (instance === undefined) {
      const record = { instanceId, sp, serviceId: service.serviceId, seId: se.seId, aid: flavour.instanceAid.toUpperCase(), state: 'deploying', createdAt: at, updatedAt: at };
      try {
        await insertServiceInstance(this.#deps.db, record);
      } catch (e) {
        if (e instanceof StoreError && e.code === 'ERR_STORE_CONFLICT') throw new TsmError('ERR_TSM_CONFLICT', `the SE already has a live instance of ${record.aid}`, { cause: e });
        throw e;
      }
      instance = record;
    } else if (instance.sp !== sp || instance.serviceId !== service.serviceId || instance.seId !== se.seId) {
      throw new TsmError('ERR_TSM_CONFLICT', 'jobs: the idempotency key was already used for another request');
    }
    const job = await this.#engine.submit(
      { tenant: sp, seId: se.seId, kind: DEPLOY_KIND, params: { instanceId, serviceId: service.serviceId }, payload: { data: payload, sensitive: true } },
      options,
    );
    this.#instanceOfJob.set(job.id, instanceId);
    await updateServiceInstanceState(this.#deps.db, instanceId, { from: ['deploying'], to: 'deploying', at: this.#deps.now().toISOString(), jobId: job.id });
    return { instance: (await getServiceInstance(this.#deps.db, instanceId)) ?? instance, job };
  }

  /** SuspendOrResumeService: lock (`suspend`) or unlock the instance's application through the SP's SSD. */
  async suspendOrResume(sp: string, instanceId: string, action: 'suspend' | 'resume', options: SubmitOptions): Promise<InstanceOperation> {
    const instance = await this.instance(sp, instanceId);
    const replay = await this.#replay(instance, options);
    if (replay !== undefined) return replay;
    const allowed = action === 'suspend' ? ['active', 'suspended'] : ['suspended', 'active'];
    if (!allowed.includes(instance.state)) throw new TsmError('ERR_TSM_STATE', `the instance is ${instance.state}`);
    return this.#submit(instance, action === 'suspend' ? LOCK_KIND : UNLOCK_KIND, { instanceId, by: 'sp' }, options);
  }

  /**
   * Update personalization (GP OperationType 3, update): the active instance is personalized anew
   * with `card`, a reissue — a PAN/PSN the issuer does not hold live (a new PSN for the same account),
   * since the rebuilt applet's ATC starts again. A job: the new card registered, the applet rebuilt,
   * personalized, listed in the PPSE; then the old card ended.
   */
  async updatePersonalization(sp: string, instanceId: string, card: PaymentCardRecord, options: SubmitOptions): Promise<InstanceOperation> {
    const instance = await this.instance(sp, instanceId);
    const replay = await this.#replay(instance, options);
    if (replay !== undefined) return replay;
    if (instance.state !== 'active') throw new TsmError('ERR_TSM_STATE', `the instance is ${instance.state}`);
    const payload = encodeCardPayload(card);
    const ctx = { tenant: sp, actor: 'provisioning' };
    const registered = await findIssuerCard(this.#deps.db, sp, await panIndex(this.#deps.hsm, await this.#deps.panIndexKey(ctx), card.pan, card.psn, ctx));
    if (registered !== undefined) throw new TsmError('ERR_TSM_CONFLICT', 'card: this PAN and PSN are live with the issuer — a re-personalization is a reissue with a new PSN');
    const job = await this.#engine.submit(
      { tenant: sp, seId: instance.seId, kind: UPDATE_PERSONALIZATION_KIND, params: { instanceId, serviceId: instance.serviceId }, payload: { data: payload, sensitive: true } },
      options,
    );
    this.#instanceOfJob.set(job.id, instanceId);
    await updateServiceInstanceState(this.#deps.db, instanceId, { from: ['active'], to: 'active', at: this.#deps.now().toISOString(), jobId: job.id });
    return { instance: (await getServiceInstance(this.#deps.db, instanceId)) ?? instance, job };
  }

  /**
   * TerminateService: a deploy still queued, running or waiting is terminated first; then the
   * instance is deleted from the card, its rule removed and the issuer's card ended.
   */
  async terminate(sp: string, instanceId: string, options: SubmitOptions): Promise<InstanceOperation> {
    const instance = await this.instance(sp, instanceId);
    const replay = await this.#replay(instance, options);
    if (replay !== undefined) return replay;
    if (instance.state === 'terminated') throw new TsmError('ERR_TSM_STATE', 'the instance is terminated');
    // terminating first, so the end of a deploy ended here cannot mark the instance terminated under it
    await updateServiceInstanceState(this.#deps.db, instanceId, { from: ['active', 'suspended', 'failed', 'deploying', 'terminating'], to: 'terminating', at: this.#deps.now().toISOString() });
    this.#deps.onInstanceState?.(sp, instanceId, 'terminating');
    if (instance.state === 'deploying' || instance.state === 'failed') {
      for (const job of await this.#jobsOf(instance)) {
        if (['queued', 'running', 'waiting', 'failed'].includes(job.state) && job.kind === DEPLOY_KIND) await this.#engine.terminate(job.id, sp).catch(() => undefined);
      }
    }
    return this.#submit({ ...instance, state: 'terminating' }, TERMINATE_KIND, { instanceId, by: 'sp' }, options);
  }

  /** The first answer to a request whose idempotency key was already used on this instance (GP FunctionCallIdentifier). */
  async #replay(instance: StoredServiceInstance, options: SubmitOptions): Promise<InstanceOperation | undefined> {
    const existing = await findJobByKey(this.#deps.db, instance.sp, options.idempotencyKey);
    if (existing === undefined) return undefined;
    if (!jobParamsName(existing.params, instance.instanceId)) throw new TsmError('ERR_TSM_CONFLICT', 'jobs: the idempotency key was already used for another request');
    return { instance: (await getServiceInstance(this.#deps.db, instance.instanceId)) ?? instance, job: await this.#engine.get(existing.id, instance.sp) };
  }

  /** GetServiceState: the tenant's instance; another tenant's is ERR_TSM_NOT_FOUND. */
  async instance(sp: string, instanceId: string): Promise<StoredServiceInstance> {
    const instance = typeof instanceId === 'string' ? await getServiceInstance(this.#deps.db, instanceId) : undefined;
    if (instance === undefined || instance.sp !== sp) throw new TsmError('ERR_TSM_NOT_FOUND', 'no such service instance for this tenant');
    return instance;
  }

  /**
   * HandleSEStatusChangeNotification fan-out: lost (22), theft (21), lost-or-theft (23) lock every
   * active instance on the SE through the ISD; recovered (121) unlocks those the MNO locked. One job
   * per instance, idempotent under the notification id. Returns the jobs, by SP.
   */
  async seStatusChanged(change: { readonly seId: string; readonly to: string; readonly reason?: number; readonly notificationId: string }): Promise<readonly JobView[]> {
    const lock = change.to === 'lost' || change.to === 'stolen';
    const unlock = change.to === 'active';
    if (!lock && !unlock) return [];
    const live = await listServiceInstances(this.#deps.db, { seId: change.seId, states: lock ? ['active'] : ['suspended'] });
    const jobs: JobView[] = [];
    for (const instance of live) {
      if (unlock && !(await this.#lockedByMno(instance))) continue;
      const params: InstanceJobParams = { instanceId: instance.instanceId, by: 'mno', ...(change.reason === undefined ? {} : { reason: change.reason }) };
      const { job } = await this.#submit(instance, lock ? LOCK_KIND : UNLOCK_KIND, params, { idempotencyKey: `se-status:${change.notificationId}:${instance.instanceId}` });
      jobs.push(job);
    }
    return jobs;
  }

  /**
   * SEAudit (GetApplicationOrELFStatus, ONLINE): the MNO's job that reads the SE's registry through
   * the ISD and reports how it differs from the mirror, then refreshes the mirror.
   */
  async auditSe(mno: string, seId: string, options: SubmitOptions): Promise<JobView> {
    const se = await this.#deps.secureElement(seId);
    if (se === undefined || se.mno !== mno) throw new TsmError('ERR_TSM_NOT_FOUND', 'no such SE for this tenant');
    return this.#engine.submit({ tenant: mno, seId, kind: SE_AUDIT_KIND, params: { seId } }, options);
  }

  /** The SE's registry mirror (the MNO's view: every entry the last reading found). */
  async registryMirror(mno: string, seId: string): Promise<readonly MirrorEntry[]> {
    const se = await this.#deps.secureElement(seId);
    if (se === undefined || se.mno !== mno) throw new TsmError('ERR_TSM_NOT_FOUND', 'no such SE for this tenant');
    return getRegistryMirror(this.#deps.db, seId);
  }

  /** Feed of the engine's events (JobEngineOptions.onEvent): instance states and SP notifications. */
  onJobEvent(event: JobEvent): void {
    void this.#handle(event).catch(() => undefined);
  }

  async #handle(event: JobEvent): Promise<void> {
    const instanceId = this.#instanceOfJob.get(event.job.id);
    if (event.type === 'ended') {
      this.#instanceOfJob.delete(event.job.id);
      this.#links.drop(event.job.id);
      if (event.job.kind === DEPLOY_KIND && instanceId !== undefined && event.state !== 'succeeded') {
        const to = event.state === 'failed' ? 'failed' : 'terminated';
        if (await updateServiceInstanceState(this.#deps.db, instanceId, { from: ['deploying', 'failed'], to, at: event.at, jobId: event.job.id })) {
          this.#deps.onInstanceState?.(event.job.tenant, instanceId, to);
        }
      }
    }
  }

  async #submit(instance: StoredServiceInstance, kind: string, params: InstanceJobParams, options: SubmitOptions): Promise<InstanceOperation> {
    const job = await this.#engine.submit({ tenant: instance.sp, seId: instance.seId, kind, params: { ...params } }, options);
    this.#instanceOfJob.set(job.id, instance.instanceId);
    await updateServiceInstanceState(this.#deps.db, instance.instanceId, { from: [instance.state], to: instance.state, at: this.#deps.now().toISOString(), jobId: job.id });
    return { instance: (await getServiceInstance(this.#deps.db, instance.instanceId)) ?? instance, job };
  }

  async #lockedByMno(instance: StoredServiceInstance): Promise<boolean> {
    if (instance.jobId === undefined) return false;
    const job = await this.#engine.get(instance.jobId, instance.sp).catch(() => undefined);
    return job !== undefined && job.kind === LOCK_KIND && job.idempotencyKey.startsWith('se-status:');
  }

  async #jobsOf(instance: StoredServiceInstance): Promise<readonly JobView[]> {
    const ids = new Set<string>();
    for (const [jobId, id] of this.#instanceOfJob) if (id === instance.instanceId) ids.add(jobId);
    if (instance.jobId !== undefined) ids.add(instance.jobId);
    const out: JobView[] = [];
    for (const id of ids) {
      const job = await this.#engine.get(id, instance.sp).catch(() => undefined);
      if (job !== undefined) out.push(job);
    }
    return out;
  }

  /** Delivers the job waiting for `seId` to become reachable (one job at a time per SE). */
  async #deliverWaiting(seId: string): Promise<void> {
    for (const job of await listJobs(this.#deps.db, { states: ['waiting'], seId, limit: 10 })) {
      if (job.waitToken?.startsWith('se-reachable:') === true) await this.#engine.deliver(job.waitToken, { reachable: true });
    }
  }
}
