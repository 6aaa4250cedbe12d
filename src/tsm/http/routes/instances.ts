/**
 * The SP's service-instance routes (docs/service.md "SP API"; GPS_SPE_002 GlobalServiceManagement:
 * DeployService, SuspendOrResumeService, TerminateService, GetServiceState) and the job resource.
 * Every call that touches an SE needs an `Idempotency-Key` and answers 202 with the instance and
 * its job; the same key again answers with the same job, never a second one.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { fromHex } from '../../../bytes/index.ts';
import type { CvnProfileId } from '../../../emv/index.ts';
import type { StoredServiceInstance } from '../../../store/index.ts';
import { TsmError } from '../../errors.ts';
import { executionStatusOf, type JobView, type SubmitOptions } from '../../jobs/index.ts';
import type { PaymentCardRecord } from '../../personalization/card-record.ts';
import type { OperationContext } from '../../../hsm/index.ts';
import type { ProvisioningService } from '../../provisioning/index.ts';
import type { ResolvedSubscription } from '../../registry/index.ts';
import {
  DEPLOY_BODY, UPDATE_BODY, IDEMPOTENCY_HEADERS, INSTANCE, INSTANCE_ERRORS, INSTANCE_PARAMS, JOB_PARAMS, JOB_RESPONSE, LIFECYCLE_BODY, OPERATION_RESPONSE, SERVICE_PARAMS,
} from '../instance-schemas.ts';
import type { RequestServices } from '../request-context.ts';
import type { RouteSpec } from '../route.ts';
import { resolveKey } from '../tenant-keys.ts';

interface CardBody {
  pan: string; psn: string; expiry: string; profile: CvnProfileId; flow: 'gpo' | 'generate-ac'; issuerCountry: string; label: string; priority: number; keyDerivationIndex: number;
  pin?: { key: string; format: 0 | 1 | 3 | 4; block: string; tryLimit: number };
}
interface DeployBody { seId?: string; subscriptionId?: string; card: CardBody; validitySeconds?: number }

const SP = ['sp'] as const;
/** SPs' jobs, and the MNO's (SE audits); each sees only its own tenant's. */
const JOB_ROLES = ['sp', 'mno'] as const;
const TAGS = ['sp'] as const;

/** What the job engine and provisioning give the routes. */
export interface InstanceRouteDeps {
  readonly provisioning: ProvisioningService;
  /** The job engine's read and control operations. */
  readonly jobs: {
    get(id: string, tenant: string): Promise<JobView>;
    retry(id: string, tenant: string): Promise<JobView>;
    terminate(id: string, tenant: string): Promise<JobView>;
  };
  /** The subscription of an alias visible to the SP (its SE, status and MNO), or undefined. */
  resolveSubscription(alias: string): Promise<ResolvedSubscription | undefined>;
  /** A relay device token for an SE the MNO registered (RelayTokens.issue). */
  relayToken(seId: string): Promise<string>;
}

/** The request's `Idempotency-Key` (and validity) as the job engine takes them. */
export function submitOptions(request: FastifyRequest, validitySeconds?: number): SubmitOptions {
  const key = request.headers['idempotency-key'];
  if (typeof key !== 'string') throw new TsmError('ERR_TSM_REQUEST', 'Idempotency-Key header: required');
  return { idempotencyKey: key, ...(validitySeconds === undefined ? {} : { validitySeconds }) };
}

export function jobBody(job: JobView): Record<string, unknown> {
  const status = executionStatusOf(job);
  const data = status?.statusCodeData;
  return {
    jobId: job.id, kind: job.kind, state: job.state, step: job.step, attempt: job.attempt, createdAt: job.createdAt, updatedAt: job.updatedAt, endedAt: job.endedAt,
    ...(status === undefined ? {} : {
      executionStatus: {
        status: status.status,
        ...(data === undefined ? {} : { subject: data.subject, reason: data.reason, ...(data.sw === undefined ? {} : { sw: data.sw.toString(16).toUpperCase().padStart(4, '0') }), ...(data.message === undefined ? {} : { message: data.message }) }),
      },
    }),
    ...(job.error === null ? {} : {
      error: { step: job.error.step, code: job.error.code, message: job.error.message, ...(job.error.sw === undefined ? {} : { sw: job.error.sw.toString(16).toUpperCase().padStart(4, '0') }) },
    }),
  };
}

function instanceBody(i: StoredServiceInstance): Record<string, unknown> {
  return {
    instanceId: i.instanceId, serviceId: i.serviceId, seId: i.seId, aid: i.aid, state: i.state, createdAt: i.createdAt, updatedAt: i.updatedAt,
    ...(i.cardId === undefined ? {} : { cardId: i.cardId }), ...(i.jobId === undefined ? {} : { jobId: i.jobId }),
  };
}

/** The SP instance routes and the job routes over `services` and `deps`. */
export function instanceRoutes(services: RequestServices, deps: InstanceRouteDeps): RouteSpec[] {
  const tenant = (request: FastifyRequest): string => services.ctx(request).tenant;
  const operation = (reply: FastifyReply, r: { instance: StoredServiceInstance; job: JobView }) =>
    reply.code(202).send({ instance: instanceBody(r.instance), job: jobBody(r.job) });
  /** The card record of a request: the PIN key reference resolved in the caller's tenant. */
  const cardRecord = async (body: CardBody, ctx: OperationContext): Promise<PaymentCardRecord> => {
    const { pin, ...rest } = body;
    return {
      ...rest,
      ...(pin === undefined ? {} : {
        pin: { tryLimit: pin.tryLimit, block: { key: (await resolveKey(services.hsm, pin.key, 'card.pin.key', 'P0', ctx)).id, format: pin.format, block: fromHex(pin.block, 'card.pin.block'), pan: body.pan } },
      }),
    };
  };
  const lifecycle = (action: 'suspend' | 'resume') => async (request: FastifyRequest, reply: FastifyReply) => {
    const { instanceId } = request.params as { instanceId: string };
    const body = (request.body ?? {}) as { validitySeconds?: number };
    return operation(reply, await deps.provisioning.suspendOrResume(tenant(request), instanceId, action, submitOptions(request, body.validitySeconds)));
  };
  return [
    {
      method: 'POST', url: '/v1/sp/services/:serviceId/instances', operationId: 'DeployService', tags: TAGS, roles: SP,
      summary: 'Deploy the service to an SE (or a subscription\'s SE): a durable job — eligibility, SSD with key handover, install, personalization, access rule',
      schema: { params: SERVICE_PARAMS, headers: IDEMPOTENCY_HEADERS, body: DEPLOY_BODY, response: { 202: OPERATION_RESPONSE, ...INSTANCE_ERRORS } },
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const { serviceId } = request.params as { serviceId: string };
        const body = request.body as DeployBody;
        if ((body.seId === undefined) === (body.subscriptionId === undefined)) throw new TsmError('ERR_TSM_REQUEST', 'seId or subscriptionId: give exactly one');
        const subscription = body.subscriptionId === undefined ? undefined : await deps.resolveSubscription(body.subscriptionId);
        if (body.subscriptionId !== undefined && subscription === undefined) throw new TsmError('ERR_TSM_NOT_FOUND', 'subscriptionId: no subscription with this alias');
        const seId = body.seId ?? subscription!.seId;
        const ctx = services.ctx(request);
        const card = await cardRecord(body.card, ctx);
        return operation(reply, await deps.provisioning.deploy(ctx.tenant, { serviceId, seId, card, ...(subscription === undefined ? {} : { subscription }) }, submitOptions(request, body.validitySeconds)));
      },
    },
    {
      method: 'GET', url: '/v1/sp/instances/:instanceId', operationId: 'GetServiceState', tags: TAGS, roles: SP,
      summary: 'A service instance: its SE, AID, state, the issuer\'s card id and the last job',
      schema: { params: INSTANCE_PARAMS, response: { 200: INSTANCE, ...INSTANCE_ERRORS } },
      handler: async (request: FastifyRequest) => instanceBody(await deps.provisioning.instance(tenant(request), (request.params as { instanceId: string }).instanceId)),
    },
    {
      method: 'POST', url: '/v1/sp/instances/:instanceId/suspend', operationId: 'SuspendOrResumeService', tags: TAGS, roles: SP,
      summary: 'Suspend: lock the application (GP SET STATUS) through the SP\'s SSD — a job',
      schema: { params: INSTANCE_PARAMS, headers: IDEMPOTENCY_HEADERS, body: LIFECYCLE_BODY, response: { 202: OPERATION_RESPONSE, ...INSTANCE_ERRORS } },
      handler: lifecycle('suspend'),
    },
    {
      method: 'POST', url: '/v1/sp/instances/:instanceId/resume', operationId: 'ResumeService', tags: TAGS, roles: SP,
      summary: 'Resume (GP SuspendOrResumeService, action resume): unlock the application through the SP\'s SSD — a job',
      schema: { params: INSTANCE_PARAMS, headers: IDEMPOTENCY_HEADERS, body: LIFECYCLE_BODY, response: { 202: OPERATION_RESPONSE, ...INSTANCE_ERRORS } },
      handler: lifecycle('resume'),
    },
    {
      method: 'POST', url: '/v1/sp/instances/:instanceId/personalization', operationId: 'UpdateServicePersonalization', tags: TAGS, roles: SP,
      summary: 'Update personalization (GP OperationType 3): the applet is rebuilt and personalized with the new card data (same PAN and PSN) — a job',
      schema: { params: INSTANCE_PARAMS, headers: IDEMPOTENCY_HEADERS, body: UPDATE_BODY, response: { 202: OPERATION_RESPONSE, ...INSTANCE_ERRORS } },
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const { instanceId } = request.params as { instanceId: string };
        const body = request.body as { card: CardBody; validitySeconds?: number };
        const ctx = services.ctx(request);
        return operation(reply, await deps.provisioning.updatePersonalization(ctx.tenant, instanceId, await cardRecord(body.card, ctx), submitOptions(request, body.validitySeconds)));
      },
    },
    {
      method: 'POST', url: '/v1/sp/instances/:instanceId/terminate', operationId: 'TerminateService', tags: TAGS, roles: SP,
      summary: 'Terminate: delete the instance and its access rule, end the issuer\'s card — a job',
      schema: { params: INSTANCE_PARAMS, headers: IDEMPOTENCY_HEADERS, body: LIFECYCLE_BODY, response: { 202: OPERATION_RESPONSE, ...INSTANCE_ERRORS } },
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const { instanceId } = request.params as { instanceId: string };
        const body = (request.body ?? {}) as { validitySeconds?: number };
        return operation(reply, await deps.provisioning.terminate(tenant(request), instanceId, submitOptions(request, body.validitySeconds)));
      },
    },
    {
      method: 'GET', url: '/v1/jobs/:jobId', operationId: 'GetJob', tags: ['jobs'], roles: JOB_ROLES,
      summary: 'A job: its state, current step, attempt, and once ended the GP ExecutionStatus',
      schema: { params: JOB_PARAMS, response: { 200: JOB_RESPONSE, ...INSTANCE_ERRORS } },
      handler: async (request: FastifyRequest) => jobBody(await deps.jobs.get((request.params as { jobId: string }).jobId, tenant(request))),
    },
    {
      method: 'POST', url: '/v1/jobs/:jobId/retry', operationId: 'RetryJob', tags: ['jobs'], roles: JOB_ROLES,
      summary: 'Retry a failed job from its failed step (checked on the card first)',
      schema: { params: JOB_PARAMS, response: { 200: JOB_RESPONSE, ...INSTANCE_ERRORS } },
      handler: async (request: FastifyRequest) => jobBody(await deps.jobs.retry((request.params as { jobId: string }).jobId, tenant(request))),
    },
    {
      method: 'POST', url: '/v1/jobs/:jobId/terminate', operationId: 'TerminateJob', tags: ['jobs'], roles: JOB_ROLES,
      summary: 'End a job that has not ended (what the card already did stays: terminate the instance to remove it)',
      schema: { params: JOB_PARAMS, response: { 200: JOB_RESPONSE, ...INSTANCE_ERRORS } },
      handler: async (request: FastifyRequest) => jobBody(await deps.jobs.terminate((request.params as { jobId: string }).jobId, tenant(request))),
    },
  ];
}
