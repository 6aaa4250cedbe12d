/**
 * The issuer routes (docs/payment-application.md §5, docs/service.md §5): register a card, authorize
 * a transaction, queue and confirm issuer scripts, read and terminate a card. Each request runs
 * tsm/'s IssuerService as the caller's tenant, with the client id as actor and the request id, so
 * every HSM call and audit event is the caller's; another tenant's card id is a 404.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { fromHex, toHex } from '../../../bytes/index.ts';
import type { AuthorizationRequest, CvnProfileId } from '../../../emv/index.ts';
import { IssuerService } from '../../issuer/issuer-service.ts';
import type { IssuerScriptRequest } from '../../issuer/issuer-scripts.ts';
import type { RouteSpec } from '../route.ts';
import type { RequestServices } from '../request-context.ts';
import {
  AUTHORIZATION_BODY, AUTHORIZATION_RESPONSE, CARD_ID_RESPONSE, CARD_PARAMS, CARD_STATE_RESPONSE, CONFIRM_BODY, ISSUER_ERRORS, REGISTER_CARD_BODY, SCRIPT_BODY,
  TEE_ENROLLMENT_BODY, TEE_ENROLLMENT_RESPONSE,
} from '../issuer-schemas.ts';
import { resolveKey } from '../tenant-keys.ts';

interface RegisterBody { pan: string; psn: string; profile: CvnProfileId; imkAc: string; imkSmi: string; imkSmc: string }
interface AuthorizationBody { pan: string; psn: string; cryptogram: string; cid: string; data: Record<string, string> }
interface ScriptBody { kind: IssuerScriptRequest['kind']; pin?: { key: string; format: 0 | 1 | 3 | 4; block: string } }
type CardRequest = FastifyRequest<{ Params: { cardId: string } }>;

const ISSUER = ['issuer'] as const;
const TAGS = ['issuer'] as const;

async function issuerOf(services: RequestServices, request: FastifyRequest): Promise<IssuerService> {
  const ctx = services.ctx(request);
  return new IssuerService({ db: services.db, hsm: services.hsm, ctx, panIndexKey: await services.panIndexKeys.keyOf(ctx), now: services.now });
}

async function cardState(issuer: IssuerService, cardId: string): Promise<Record<string, unknown>> {
  const state = await issuer.cardState(cardId);
  return { cardId, status: state.status, lastAtc: state.lastAtc, pendingScripts: state.pendingScripts };
}

function authorizationRequest(body: AuthorizationBody): AuthorizationRequest {
  const data = Object.fromEntries(Object.entries(body.data).map(([tag, hex]) => [tag.toUpperCase(), fromHex(hex, 'data')]));
  return { pan: body.pan, psn: body.psn, cryptogram: fromHex(body.cryptogram, 'cryptogram'), cid: fromHex(body.cid, 'cid')[0]!, data };
}

/** The issuer routes over `services`. */
export function issuerRoutes(services: RequestServices): RouteSpec[] {
  return [
    {
      method: 'POST', url: '/v1/issuer/cards', operationId: 'RegisterIssuerCard', tags: TAGS, roles: ISSUER,
      summary: 'Register a personalized payment card: its PAN/PSN (kept only as a keyed hash), CVN profile and issuer master keys',
      schema: { body: REGISTER_CARD_BODY, response: { 201: CARD_ID_RESPONSE, ...ISSUER_ERRORS } },
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const body = request.body as RegisterBody;
        const ctx = services.ctx(request);
        const [imkAc, imkSmi, imkSmc] = await Promise.all([
          resolveKey(services.hsm, body.imkAc, 'imkAc', 'E0', ctx), resolveKey(services.hsm, body.imkSmi, 'imkSmi', 'E2', ctx), resolveKey(services.hsm, body.imkSmc, 'imkSmc', 'E1', ctx),
        ]);
        const issuer = await issuerOf(services, request);
        const cardId = await issuer.registerCard({ pan: body.pan, psn: body.psn, profile: body.profile, imkAc: imkAc.id, imkSmi: imkSmi.id, imkSmc: imkSmc.id });
        return reply.code(201).send({ cardId });
      },
    },
    {
      method: 'POST', url: '/v1/authorizations', operationId: 'AuthorizeTransaction', tags: TAGS, roles: ISSUER,
      summary: 'Online authorization: verify the ARQC in the HSM, refuse a replayed ATC, answer with the decision, the ARPC and pending issuer scripts',
      schema: { body: AUTHORIZATION_BODY, response: { 200: AUTHORIZATION_RESPONSE, ...ISSUER_ERRORS } },
      handler: async (request: FastifyRequest) => {
        const issuer = await issuerOf(services, request);
        const r = await issuer.authorize(authorizationRequest(request.body as AuthorizationBody));
        return {
          decision: r.decision, ...(r.reason === undefined ? {} : { reason: r.reason }), responseCode: r.responseCode,
          ...(r.issuerAuthenticationData === undefined ? {} : { issuerAuthenticationData: toHex(r.issuerAuthenticationData) }),
          scripts: r.scripts.map(toHex),
        };
      },
    },
    {
      method: 'POST', url: '/v1/issuer/cards/:cardId/scripts', operationId: 'QueueIssuerScript', tags: TAGS, roles: ISSUER,
      summary: 'Queue an issuer script for the card\'s next online transaction',
      schema: { params: CARD_PARAMS, body: SCRIPT_BODY, response: { 202: CARD_STATE_RESPONSE, ...ISSUER_ERRORS } },
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const { cardId } = (request as CardRequest).params;
        const body = request.body as ScriptBody;
        const issuer = await issuerOf(services, request);
        let script: IssuerScriptRequest = { kind: body.kind } as IssuerScriptRequest;
        if (body.kind === 'pin-change' && body.pin !== undefined) {
          const key = await resolveKey(services.hsm, body.pin.key, 'pin.key', undefined, services.ctx(request));
          script = { kind: 'pin-change', pin: { key: key.id, format: body.pin.format, block: fromHex(body.pin.block, 'pin.block') } };
        }
        await issuer.queueScript(cardId, script);
        return reply.code(202).send(await cardState(issuer, cardId));
      },
    },
    {
      method: 'POST', url: '/v1/issuer/cards/:cardId/scripts/confirm', operationId: 'ConfirmIssuerScripts', tags: TAGS, roles: ISSUER,
      summary: 'Report how many delivered scripts the card accepted; those leave the queue',
      schema: { params: CARD_PARAMS, body: CONFIRM_BODY, response: { 200: CARD_STATE_RESPONSE, ...ISSUER_ERRORS } },
      handler: async (request: FastifyRequest) => {
        const { cardId } = (request as CardRequest).params;
        const issuer = await issuerOf(services, request);
        await issuer.confirmScripts(cardId, (request.body as { accepted: number }).accepted);
        return cardState(issuer, cardId);
      },
    },
    {
      method: 'GET', url: '/v1/issuer/cards/:cardId', operationId: 'GetIssuerCardState', tags: TAGS, roles: ISSUER,
      summary: 'The card\'s status, last ATC and number of pending scripts (never its PAN)',
      schema: { params: CARD_PARAMS, response: { 200: CARD_STATE_RESPONSE, ...ISSUER_ERRORS } },
      handler: async (request: FastifyRequest) => cardState(await issuerOf(services, request), (request as CardRequest).params.cardId),
    },
    {
      method: 'POST', url: '/v1/issuer/tee-enrollments', operationId: 'EnrollTee', tags: TAGS, roles: ISSUER,
      summary: 'Give a phone\'s TEE a PIN encryption key: its KBPK block (under the issuer\'s TEE KIF KEK) in, the PEK as a TR-31 block under that KBPK out; 200 with the same key when the TEE is enrolled already',
      schema: { body: TEE_ENROLLMENT_BODY, response: { 200: TEE_ENROLLMENT_RESPONSE, 201: TEE_ENROLLMENT_RESPONSE, ...ISSUER_ERRORS } },
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const body = request.body as { teeId: string; kbpkBlock: string };
        const e = await (await issuerOf(services, request)).enrollTee({ teeId: body.teeId, kbpkBlock: body.kbpkBlock });
        return reply.code(e.created ? 201 : 200).send({ teeId: e.teeId, pinKey: e.pinKey, ...(e.keyBlock === undefined ? {} : { keyBlock: e.keyBlock }), kcv: e.kcv });
      },
    },
    {
      method: 'DELETE', url: '/v1/issuer/cards/:cardId', operationId: 'TerminateIssuerCard', tags: TAGS, roles: ISSUER,
      summary: 'Terminate the card: unknown to authorization from now on, pending scripts dropped',
      schema: { params: CARD_PARAMS, response: { 204: null, ...ISSUER_ERRORS } },
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        await (await issuerOf(services, request)).terminateCard((request as CardRequest).params.cardId);
        return reply.code(204).send();
      },
    },
  ];
}
