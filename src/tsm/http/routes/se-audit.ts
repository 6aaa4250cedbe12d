/**
 * The MNO's view of what is on an SE (GPS_SPE_002 SEAudit, GetApplicationOrELFStatus): the registry
 * mirror the TSM keeps from its last reading (OFFLINE audit), and an ONLINE audit — a job that reads
 * the card through the ISD and reports every difference from the mirror (docs/provisioning.md).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ProvisioningService } from '../../provisioning/index.ts';
import { IDEMPOTENCY_HEADERS, JOB_RESPONSE } from '../instance-schemas.ts';
import type { RequestServices } from '../request-context.ts';
import type { RouteSpec } from '../route.ts';
import { errorResponses, objectSchema, type JsonSchema } from '../schemas.ts';
import { jobBody, submitOptions } from './instances.ts';

const SE_PARAMS: JsonSchema = objectSchema({ seId: { type: 'string', pattern: '^[\\x21-\\x7E]{1,64}$' } }, ['seId']);
const MIRROR_RESPONSE: JsonSchema = objectSchema(
  {
    seId: { type: 'string' },
    entries: {
      type: 'array',
      items: objectSchema(
        {
          kind: { type: 'string', enum: ['sd', 'app', 'load-file'] }, aid: { type: 'string' }, lifecycle: { type: 'integer', description: 'GP life cycle state byte' },
          privileges: { type: 'string' }, sdAid: { type: 'string', description: 'associated Security Domain' },
        },
        ['kind', 'aid', 'lifecycle'],
      ),
    },
  },
  ['seId', 'entries'],
);

/** `GET …/registry` (offline audit) and `POST …/audit` (online audit job) for the MNO. */
export function seAuditRoutes(services: RequestServices, provisioning: ProvisioningService): RouteSpec[] {
  return [
    {
      method: 'GET', url: '/v1/mno/secure-elements/:seId/registry', operationId: 'GetApplicationOrELFStatus', tags: ['mno'], roles: ['mno'],
      summary: 'The SE\'s registry as the TSM last read it (GP SEAudit, OFFLINE): SDs, applications, load files and their life cycle states',
      schema: { params: SE_PARAMS, response: { 200: MIRROR_RESPONSE, ...errorResponses(404) } },
      handler: async (request: FastifyRequest) => {
        const { seId } = request.params as { seId: string };
        return { seId, entries: await provisioning.registryMirror(services.ctx(request).tenant, seId) };
      },
    },
    {
      method: 'POST', url: '/v1/mno/secure-elements/:seId/audit', operationId: 'AuditSecureElement', tags: ['mno'], roles: ['mno'],
      summary: 'ONLINE audit (GP SEAudit): a job that reads the card through the ISD, lists the differences from the registry mirror in its result, and refreshes the mirror',
      schema: { params: SE_PARAMS, headers: IDEMPOTENCY_HEADERS, response: { 202: JOB_RESPONSE, ...errorResponses(404, 409) } },
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const { seId } = request.params as { seId: string };
        return reply.code(202).send(jobBody(await provisioning.auditSe(services.ctx(request).tenant, seId, submitOptions(request))));
      },
    },
  ];
}
