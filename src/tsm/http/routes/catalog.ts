/**
 * The SP catalog routes (docs/service.md "SP API"; role `sp`, tenant = the SP): services and their
 * flavours, and the preliminary eligibility check (GPS_SPE_002 `CheckGlobalEligibility`). Another
 * SP's service id is a 404, exactly like a missing one.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  capDigest, checkEligibility, createService, listSpServices, putFlavour, spService, type CatalogContext, type Eligibility, type ServiceDefinition,
} from '../../catalog/index.ts';
import { TsmError } from '../../errors.ts';
import type { ServiceFlavour, ServiceRecord } from '../../model.ts';
import { findSecureElement, resolveSubscription } from '../../registry/index.ts';
import {
  CATALOG_ERRORS, ELIGIBILITY_BODY, ELIGIBILITY_RESPONSE, FLAVOUR, SERVICE_BODY, SERVICE_LIST_RESPONSE, SERVICE_PARAMS, SERVICE_RESPONSE,
} from '../catalog-schemas.ts';
import type { RequestServices } from '../request-context.ts';
import type { RouteSpec } from '../route.ts';

const SP = ['sp'] as const;
const TAGS = ['sp'] as const;
type ServiceRequest = FastifyRequest<{ Params: { serviceId: string } }>;

/** A service as JSON: key ids, no certificate bytes, an uploaded CAP as its size and digest. */
function serviceAnswer(s: ServiceRecord): Record<string, unknown> {
  const { issuerCertificate: _certificate, ...issuer } = s.issuer;
  return {
    serviceId: s.serviceId, name: s.name, walletCertHash: s.walletCertHash, issuer, ssdMasters: s.ssdMasters, createdAt: s.createdAt,
    ...(s.accessRules === undefined ? {} : { accessRules: s.accessRules }),
    flavours: s.flavours.map((f: ServiceFlavour) => ({
      ...f, package: { loadFileAid: f.package.loadFileAid, moduleAid: f.package.moduleAid, ...(f.package.cap === undefined ? {} : { cap: capDigest(f.package.cap) }) },
    })),
  };
}

/** The eligibility of the SE the body names (by id or by subscription alias). */
async function eligibilityOf(services: RequestServices, service: ServiceRecord, body: { seId?: string; subscription?: string }): Promise<Eligibility> {
  if ((body.seId === undefined) === (body.subscription === undefined)) throw new TsmError('ERR_TSM_REQUEST', 'body: give exactly one of seId and subscription');
  let seId = body.seId;
  const subscription = body.subscription === undefined ? undefined : await resolveSubscription(services.db, body.subscription);
  if (body.subscription !== undefined) {
    if (subscription === undefined) return { eligible: false, reasons: ['subscription-unknown'] };
    seId = subscription.seId;
  }
  const se = await findSecureElement(services.db, seId!);
  if (se === undefined) return { eligible: false, reasons: ['se-unknown'] };
  return checkEligibility(services.db, service, se, subscription);
}

/** The SP catalog routes over `services`. */
export function catalogRoutes(services: RequestServices): RouteSpec[] {
  const cc = (request: FastifyRequest): CatalogContext => ({ db: services.db, hsm: services.hsm, ctx: services.ctx(request), now: services.now });
  return [
    {
      method: 'POST', url: '/v1/sp/services', operationId: 'CreateService', tags: TAGS, roles: SP,
      summary: 'Create a service with its flavours per SE platform; key references resolved in the SP\'s tenant and checked for usage; an uploaded CAP must parse',
      schema: { body: SERVICE_BODY, response: { 201: SERVICE_RESPONSE, ...CATALOG_ERRORS } },
      handler: async (request: FastifyRequest, reply: FastifyReply) => reply.code(201).send(serviceAnswer(await createService(cc(request), request.body as ServiceDefinition))),
    },
    {
      method: 'GET', url: '/v1/sp/services', operationId: 'ListServices', tags: TAGS, roles: SP,
      summary: 'The SP\'s services, by id (at most 1,000)',
      schema: { response: { 200: SERVICE_LIST_RESPONSE, ...CATALOG_ERRORS } },
      handler: async (request: FastifyRequest) => ({ services: (await listSpServices(cc(request), 1000)).map(serviceAnswer) }),
    },
    {
      method: 'GET', url: '/v1/sp/services/:serviceId', operationId: 'GetService', tags: TAGS, roles: SP,
      summary: 'One service of the SP',
      schema: { params: SERVICE_PARAMS, response: { 200: SERVICE_RESPONSE, ...CATALOG_ERRORS } },
      handler: async (request: FastifyRequest) => serviceAnswer(await spService(cc(request), (request as ServiceRequest).params.serviceId)),
    },
    {
      method: 'POST', url: '/v1/sp/services/:serviceId/flavours', operationId: 'PutServiceFlavour', tags: TAGS, roles: SP,
      summary: 'Add a flavour, or replace the one for its platform (200 replaced, 201 added)',
      schema: { params: SERVICE_PARAMS, body: FLAVOUR, response: { 200: SERVICE_RESPONSE, 201: SERVICE_RESPONSE, ...CATALOG_ERRORS } },
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const { service, replaced } = await putFlavour(cc(request), (request as ServiceRequest).params.serviceId, request.body as ServiceFlavour);
        return reply.code(replaced ? 200 : 201).send(serviceAnswer(service));
      },
    },
    {
      method: 'POST', url: '/v1/sp/services/:serviceId/eligibility', operationId: 'CheckGlobalEligibility', tags: TAGS, roles: SP,
      summary: 'Preliminary eligibility of an SE (by id or subscription alias) for the service: SE known and active, a flavour for its platform, subscription active',
      schema: { params: SERVICE_PARAMS, body: ELIGIBILITY_BODY, response: { 200: ELIGIBILITY_RESPONSE, ...CATALOG_ERRORS } },
      handler: async (request: FastifyRequest) => {
        const service = await spService(cc(request), (request as ServiceRequest).params.serviceId);
        const e = await eligibilityOf(services, service, request.body as { seId?: string; subscription?: string });
        return { eligible: e.eligible, reasons: e.reasons };
      },
    },
  ];
}
