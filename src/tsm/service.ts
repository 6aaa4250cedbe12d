/**
 * The whole TSM service in one object (docs/service.md, docs/provisioning.md): the HTTP app, the
 * durable job engine with the provisioning kinds, the wallet relay bearer on the same server, the
 * webhook dispatcher fed by the engine's events, and the registry's notifications fanned out to the
 * SPs' instances. With `ota`, also the over-the-air bearers (ota-bearers.ts): the SCP81 admin server
 * on its own port, the SMS bearer and trigger, and the bearer router that sends each SE to the relay
 * or to SCP81 by its platform profile. `opentsm serve`, the demo and the benchmarks start it; tests may too.
 */
import type { Logger } from 'pino';
import type { Hsm } from '../hsm/index.ts';
import { listServiceInstances, type StoreDb } from '../store/index.ts';
import { checkEligibility, findService } from './catalog/index.ts';
import { buildApp, type ApiCall, type AppDeps, type TsmApp } from './http/app.ts';
import type { AuditEntry, AuditLog } from './audit/index.ts';
import { PanIndexKeys } from './http/tenant-keys.ts';
import { JobEngine } from './jobs/index.ts';
import { HsmPayloadCipher } from './protection/index.ts';
import { CardLinks, ProvisioningService, provisioningKinds, type ProvisioningDeps } from './provisioning/index.ts';
import { findSecureElement, resolveSubscription, type RegistryHooks } from './registry/index.ts';
import { attachRelay, RelayHub, RelayTokens, type RelayAttachment, type RelayHubOptions } from './relay/index.ts';
import { jobEventHook, WebhookDispatcher, type WebhookDispatcherOptions } from './webhooks/index.ts';
import { OtaBearers, type TsmOtaOptions } from './ota-bearers.ts';
import type { CardBearer } from './model.ts';

export interface TsmServiceOptions {
  readonly db: StoreDb;
  readonly hsm: Hsm;
  readonly config: AppDeps['config'];
  readonly https?: AppDeps['https'];
  readonly logger?: Logger;
  readonly clock?: () => Date;
  /** Jobs driven at once (default 16) and how often to look for work of other processes (default 1000 ms). */
  readonly jobs?: { readonly concurrency?: number; readonly pollIntervalMs?: number };
  readonly relay?: RelayHubOptions;
  readonly webhooks?: Partial<Omit<WebhookDispatcherOptions, 'db' | 'hsm'>>;
  /**
   * The chained audit log (docs/audit.md): every API call, job step and MNO notification is
   * appended to it (the HSM's own events reach it through a ChainAuditSink given to the HSM).
   */
  readonly audit?: AuditLog;
  /**
   * The over-the-air bearers (docs/service.md "OTA bearers"): given, the SCP81 admin server starts
   * (loopback, its own port), the SMS bearer and trigger too when `smpp` is given, and jobs reach
   * each SE over the relay or SCP81 by its platform profile (`bearerFor`).
   */
  readonly ota?: TsmOtaOptions;
}

/**
 * Appends to the chained log without holding the caller up: the entry is queued in order (the log
 * serializes its appends); a failed append is logged — the operator's alert — never thrown into a
 * request or a job that already happened.
 */
function auditFeed(log: AuditLog, logger: Logger | undefined): (entry: AuditEntry) => void {
  return (entry) => {
    log.append(entry).catch((e: unknown) => logger?.error({ err: e instanceof Error ? e.message : 'error', action: entry.action }, 'audit append failed'));
  };
}

/** A TSM: build it with `TsmService.create`, then `listen`, and `close` when done. */
export class TsmService {
  readonly app: TsmApp;
  readonly engine: JobEngine;
  readonly relay: RelayHub;
  readonly relayTokens: RelayTokens;
  readonly provisioning: ProvisioningService;
  readonly webhooks: WebhookDispatcher;
  /** The OTA bearers, when started with `ota`. */
  readonly ota: OtaBearers | undefined;
  #attachment: RelayAttachment | undefined;

  private constructor(parts: { app: TsmApp; engine: JobEngine; relay: RelayHub; relayTokens: RelayTokens; provisioning: ProvisioningService; webhooks: WebhookDispatcher; ota: OtaBearers | undefined }) {
    this.app = parts.app;
    this.engine = parts.engine;
    this.relay = parts.relay;
    this.relayTokens = parts.relayTokens;
    this.provisioning = parts.provisioning;
    this.webhooks = parts.webhooks;
    this.ota = parts.ota;
  }

  /** Builds the service and resumes the jobs a previous process left running. */
  static async create(options: TsmServiceOptions): Promise<TsmService> {
    const { db, hsm } = options;
    const now = options.clock ?? (() => new Date());
    const relay = new RelayHub({ ...options.relay, ...(options.logger === undefined ? {} : { logger: options.logger }) });
    const ota = options.ota === undefined ? undefined : await OtaBearers.start({ db, hsm, relay, options: options.ota, ...(options.logger === undefined ? {} : { logger: options.logger }) });
    const webhooks = new WebhookDispatcher({ db, hsm, now, ...options.webhooks, ...(options.logger === undefined ? {} : { logger: options.logger }) });
    const panIndexKeys = new PanIndexKeys(hsm);
    try {
      return await TsmService.#build(options, { webhooks, relay, panIndexKeys, ota, bearer: ota?.router ?? relay, now });
    } catch (e) {
      await ota?.close().catch(() => undefined);
      throw e;
    }
  }

  static async #build(
    options: TsmServiceOptions,
    parts: { webhooks: WebhookDispatcher; relay: RelayHub; panIndexKeys: PanIndexKeys; ota: OtaBearers | undefined; bearer: CardBearer; now: () => Date },
  ): Promise<TsmService> {
    const { db, hsm } = options;
    const { webhooks, relay, panIndexKeys, now } = parts;
    const deps: ProvisioningDeps = {
      db, hsm, bearer: parts.bearer, now,
      secureElement: (seId) => findSecureElement(db, seId),
      service: (serviceId) => findService(db, serviceId),
      panIndexKey: (ctx) => panIndexKeys.keyOf(ctx),
      onInstanceState: (sp, instanceId, state) => {
        webhooks.enqueue(sp, 'instance.state', { instanceId, state }).catch((e: unknown) => options.logger?.error({ err: e instanceof Error ? e.message : 'error' }, 'webhook enqueue failed'));
      },
    };
    const audit = options.audit === undefined ? undefined : auditFeed(options.audit, options.logger);
    const toWebhooks = jobEventHook(webhooks, (e) => options.logger?.error({ err: e instanceof Error ? e.message : 'error' }, 'webhook enqueue failed'));
    const links = new CardLinks(parts.bearer);
    const late: { provisioning?: ProvisioningService } = {};
    const engine = new JobEngine({
      db, kinds: provisioningKinds(deps, links), cipher: new HsmPayloadCipher(hsm), concurrency: options.jobs?.concurrency ?? 16,
      pollIntervalMs: options.jobs?.pollIntervalMs ?? 1000, now,
      onEvent: (event) => {
        late.provisioning?.onJobEvent(event);
        toWebhooks(event);
        audit?.({
          tenant: event.job.tenant, actor: `job:${event.job.id}`, kind: 'job-step', action: event.step === undefined ? `job-${event.type}` : `${event.type}:${event.step}`,
          subjects: [event.job.id, event.job.seId], result: event.state ?? 'ok', requestId: event.job.id, detail: { kind: event.job.kind, attempt: event.job.attempt },
        });
      },
      onError: (e) => options.logger?.error({ err: e instanceof Error ? e.message : 'error' }, 'job engine'),
    });
    const provisioning = new ProvisioningService(deps, engine, links, { checkEligibility: (service, se, subscription) => checkEligibility(db, service, se, subscription) });
    late.provisioning = provisioning;
    const relayTokens = new RelayTokens(hsm);
    const registryHooks: RegistryHooks = {
      // SE renewal / SIM swap (HandleSERenewalNotification): the SPs with a live instance on the old SE
      // are told (instance.state with the new SE); redeploying there is the SP's DeployService call.
      seReplaced: async (replacement) => {
        const live = await listServiceInstances(db, { seId: replacement.oldSeId, states: ['active', 'suspended', 'deploying'] });
        for (const i of live) await webhooks.enqueue(i.sp, 'instance.state', { instanceId: i.instanceId, state: i.state, seReplacedBy: replacement.newSeId });
        audit?.({
          tenant: replacement.mno, actor: 'registry', kind: 'notification', action: 'HandleSERenewalNotification', subjects: [replacement.notificationId, replacement.oldSeId, replacement.newSeId],
          result: 'replaced', detail: { instances: live.map((i) => i.instanceId) },
        });
      },
      seStatusChanged: async (change) => {
        const jobs = await provisioning.seStatusChanged({ seId: change.seId, to: change.to, ...(change.reason === undefined ? {} : { reason: change.reason }), notificationId: change.notificationId });
        audit?.({
          tenant: change.mno, actor: 'registry', kind: 'notification', action: change.kind, subjects: [change.notificationId, change.seId], result: change.to,
          detail: { from: change.from, to: change.to, reason: change.reason ?? null, jobs: jobs.map((j) => j.id) },
        });
      },
    };
    const app = buildApp({
      db, hsm, config: options.config, ...(options.https === undefined ? {} : { https: options.https }), ...(options.logger === undefined ? {} : { logger: options.logger }),
      ...(options.clock === undefined ? {} : { clock: options.clock }), registryHooks,
      ...(audit === undefined ? {} : {
        onApiCall: (call: ApiCall) => audit({
          tenant: call.tenant ?? 'anonymous', actor: call.clientId ?? 'anonymous', kind: 'api-call', action: call.operationId, subjects: call.subjects,
          result: String(call.status), requestId: call.requestId,
        }),
      }),
      instances: {
        provisioning, jobs: engine,
        resolveSubscription: (alias) => resolveSubscription(db, alias),
        relayToken: (seId) => relayTokens.issue(seId),
      },
    });
    const service = new TsmService({ app, engine, relay, relayTokens, provisioning, webhooks, ota: parts.ota });
    await engine.resume();
    return service;
  }

  /** Listens (HTTP or HTTPS as configured) with the wallet relay on the same port; resolves with the address. */
  async listen(where: { readonly host: string; readonly port: number }): Promise<string> {
    const address = await this.app.listen(where);
    this.#attachment = attachRelay(this.app.server, this.relay, { tokens: this.relayTokens });
    return address;
  }

  /** Stops taking requests and relay connections, hands running jobs back, stops the OTA bearers and webhooks. */
  async close(): Promise<void> {
    await this.#attachment?.close();
    this.provisioning.close();
    await this.app.close();
    await this.engine.close();
    await this.ota?.close();
    await this.relay.close();
    await this.webhooks.close();
  }
}
