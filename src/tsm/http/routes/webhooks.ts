/**
 * The webhook endpoint routes (docs/webhooks.md §1), for Service Providers: register an endpoint
 * (the secret is answered once), list them, read one, delete one. Each runs as the caller's
 * tenant; another tenant's endpoint id is a 404.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { WebhookEndpoints } from '../../webhooks/endpoints.ts';
import { WebhookSecrets } from '../../webhooks/secrets.ts';
import type { RouteSpec } from '../route.ts';
import type { RequestServices } from '../request-context.ts';
import { CREATE_WEBHOOK_BODY, CREATED_WEBHOOK_RESPONSE, WEBHOOK_ERRORS, WEBHOOK_LIST_RESPONSE, WEBHOOK_PARAMS, WEBHOOK_RESPONSE } from '../webhook-schemas.ts';

type EndpointRequest = FastifyRequest<{ Params: { endpointId: string } }>;

const SP = ['sp'] as const;
const TAGS = ['webhooks'] as const;

/** The webhook routes over `services`; `secrets` is shared with the dispatcher when given. */
export function webhookRoutes(services: RequestServices, secrets: WebhookSecrets = new WebhookSecrets(services.hsm)): RouteSpec[] {
  const endpoints = new WebhookEndpoints({ db: services.db, hsm: services.hsm, secrets, now: services.now });
  return [
    {
      method: 'POST', url: '/v1/sp/webhooks', operationId: 'CreateWebhookEndpoint', tags: TAGS, roles: SP,
      summary: 'Register an endpoint for signed webhooks; the answer holds its signing secret, shown this once',
      schema: { body: CREATE_WEBHOOK_BODY, response: { 201: CREATED_WEBHOOK_RESPONSE, ...WEBHOOK_ERRORS } },
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const body = request.body as { url: string; events: string[] };
        const created = await endpoints.create({ url: body.url, events: body.events }, services.ctx(request));
        return reply.code(201).send(created);
      },
    },
    {
      method: 'GET', url: '/v1/sp/webhooks', operationId: 'ListWebhookEndpoints', tags: TAGS, roles: SP,
      summary: 'The caller\'s webhook endpoints (never their secrets)',
      schema: { response: { 200: WEBHOOK_LIST_RESPONSE, ...WEBHOOK_ERRORS } },
      handler: async (request: FastifyRequest) => ({ endpoints: await endpoints.list(services.ctx(request)) }),
    },
    {
      method: 'GET', url: '/v1/sp/webhooks/:endpointId', operationId: 'GetWebhookEndpoint', tags: TAGS, roles: SP,
      summary: 'One webhook endpoint of the caller (never its secret)',
      schema: { params: WEBHOOK_PARAMS, response: { 200: WEBHOOK_RESPONSE, ...WEBHOOK_ERRORS } },
      handler: async (request: FastifyRequest) => endpoints.get((request as EndpointRequest).params.endpointId, services.ctx(request)),
    },
    {
      method: 'DELETE', url: '/v1/sp/webhooks/:endpointId', operationId: 'DeleteWebhookEndpoint', tags: TAGS, roles: SP,
      summary: 'Delete a webhook endpoint; its pending deliveries are cancelled',
      schema: { params: WEBHOOK_PARAMS, response: { 204: null, ...WEBHOOK_ERRORS } },
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        await endpoints.delete((request as EndpointRequest).params.endpointId, services.ctx(request));
        return reply.code(204).send();
      },
    },
  ];
}
