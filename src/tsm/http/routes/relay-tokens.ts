/**
 * The phone's credential for the wallet relay (docs/relay.md): the MNO that registered an SE asks
 * for its device token and provisions it into the phone's agent. The token binds the WebSocket to
 * the SE id; the card's own SCP03 mutual authentication remains what proves the SE.
 */
import type { FastifyRequest } from 'fastify';
import { findSecureElement } from '../../registry/index.ts';
import { TsmError } from '../../errors.ts';
import { errorResponses, objectSchema, type JsonSchema } from '../schemas.ts';
import type { RequestServices } from '../request-context.ts';
import type { RouteSpec } from '../route.ts';

const SE_PARAMS: JsonSchema = objectSchema({ seId: { type: 'string', pattern: '^[\\x21-\\x7E]{1,64}$' } }, ['seId']);
const TOKEN_RESPONSE: JsonSchema = objectSchema(
  { seId: { type: 'string' }, token: { type: 'string', description: 'the agent sends `Authorization: Bearer <seId>.<token>` on the upgrade to /v1/relay' } },
  ['seId', 'token'],
);

/** `POST /v1/mno/secure-elements/:seId/relay-token` over `issue` (RelayTokens.issue). */
export function relayTokenRoutes(services: RequestServices, issue: (seId: string) => Promise<string>): RouteSpec[] {
  return [{
    method: 'POST', url: '/v1/mno/secure-elements/:seId/relay-token', operationId: 'IssueRelayDeviceToken', tags: ['mno'], roles: ['mno'],
    summary: 'The wallet relay device token of a registered SE, for the phone\'s agent',
    schema: { params: SE_PARAMS, response: { 200: TOKEN_RESPONSE, ...errorResponses(404) } },
    handler: async (request: FastifyRequest) => {
      const { seId } = request.params as { seId: string };
      const se = await findSecureElement(services.db, seId);
      if (se === undefined || se.mno !== services.ctx(request).tenant) throw new TsmError('ERR_TSM_NOT_FOUND', 'no such SE for this tenant');
      return { seId, token: await issue(seId) };
    },
  }];
}
