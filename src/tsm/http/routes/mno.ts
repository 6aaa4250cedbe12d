/**
 * The MNO routes (docs/service.md "MNO API"; role `mno`, tenant = the MNO): card batches, SE
 * registration in bulk, subscriptions and notifications. Operation ids keep the GP System Messaging
 * (GPS_SPE_002) function names where one exists — notifications carry theirs as `kind`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { TsmError } from '../../errors.ts';
import {
  changeSeMsisdn, createSubscription, endSubscription, getMnoSecureElement, handleNotification, importBatch, MSISDN_INDEX_LABEL, registerSecureElements,
  type BatchImport, type MnoNotification, type RegistryContext, type SeRegistration, type SeRegistrationResult,
} from '../../registry/index.ts';
import type { SecureElementRecord } from '../../model.ts';
import { INTERNAL_ERROR, mapError } from '../error-registry.ts';
import {
  BATCH_BODY, BATCH_RESPONSE, MNO_ERRORS, SE_MSISDN_BODY, NOTIFICATION_BODY, NOTIFICATION_RESPONSE, SE_PARAMS, SE_REGISTRATION_BODY, SE_REGISTRATION_RESPONSE, SE_RESPONSE,
  SUBSCRIPTION_BODY, SUBSCRIPTION_PARAMS, SUBSCRIPTION_RESPONSE,
} from '../mno-schemas.ts';
import type { RequestServices } from '../request-context.ts';
import type { RouteSpec } from '../route.ts';
import { TenantMacKeys } from '../tenant-keys.ts';
import { OpenTsmError } from '../../../bytes/index.ts';

const MNO = ['mno'] as const;
const TAGS = ['mno'] as const;

/** The fields each notification kind needs and may carry (the body schema is flat: errors name fields). */
const NOTIFICATION_FIELDS: Readonly<Record<MnoNotification['kind'], { readonly required: readonly string[]; readonly optional: readonly string[] }>> = {
  HandleSEStatusChangeNotification: { required: ['seId', 'newStatus'], optional: ['reason'] },
  HandleMobileSubscriptionStatusChangeNotification: { required: ['subscriptionId', 'newStatus'], optional: ['reason'] },
  HandleSERenewalNotification: { required: ['oldSeId', 'newSeId'], optional: [] },
  HandleSEMobileSubscriptionChangedNotification: { required: ['seId', 'newMsisdn'], optional: [] },
  HandleSEDeviceChangedNotification: { required: ['seId'], optional: ['oldDeviceProfileId', 'newDeviceProfileId'] },
};

/** The body as one notification: the kind's fields present, no other field. */
export function notificationOf(body: Record<string, unknown>): MnoNotification {
  const kind = body['kind'] as MnoNotification['kind'];
  const fields = NOTIFICATION_FIELDS[kind];
  for (const f of fields.required) if (body[f] === undefined) throw new TsmError('ERR_TSM_REQUEST', `body.${f}: is required for ${kind}`);
  for (const f of Object.keys(body)) if (f !== 'kind' && !fields.required.includes(f) && !fields.optional.includes(f)) throw new TsmError('ERR_TSM_REQUEST', `body.${f}: is not allowed for ${kind}`);
  if (kind === 'HandleSEStatusChangeNotification' && body['newStatus'] === 'RESTRICTED') throw new TsmError('ERR_TSM_REQUEST', 'body.newStatus: RESTRICTED is for subscriptions');
  return body as unknown as MnoNotification;
}

/** An SE's OTA data without key ids or the MSISDN (only whether one is registered). */
function otaAnswer(ota: NonNullable<SecureElementRecord['ota']>): Record<string, unknown> {
  return {
    tars: ota.tars, ...(ota.counter === undefined ? {} : { counter: ota.counter }),
    ...(ota.scp80 === undefined ? {} : { scp80: ota.scp80.map((k) => ({ kvn: k.kvn, kicByte: k.kicByte, kidByte: k.kidByte })) }),
    ...(ota.scp81 === undefined ? {} : { scp81: { kvn: ota.scp81.kvn, identity: ota.scp81.identity } }),
    ...(ota.msisdn === undefined ? {} : { msisdn: true }),
  };
}

function seAnswer(se: SecureElementRecord): Record<string, unknown> {
  return {
    seId: se.seId, platform: se.platform, status: se.status, isd: { aid: se.isd.aid, kvn: se.isd.kvn, scp: se.isd.scp },
    ...(se.araAid === undefined ? {} : { araAid: se.araAid }),
    ...(se.ota === undefined ? {} : { ota: otaAnswer(se.ota) }),
    createdAt: se.createdAt,
  };
}

/** One item's outcome as JSON: an error as its public code and message (a field-naming message only for request errors). */
function resultAnswer(request: FastifyRequest, r: SeRegistrationResult, index: number): Record<string, unknown> {
  if (r.result !== 'error') return { seId: r.seId, result: r.result };
  const m = mapError(r.error) ?? INTERNAL_ERROR;
  if (m.status >= 500) request.log.error({ err: r.error, item: index }, 'secure element registration failed');
  const message = m.passMessage === true && r.error instanceof OpenTsmError ? `items[${index}].${r.error.message.replace(/^items\[\d+\]\./, '')}` : m.message;
  return { seId: r.seId, result: 'error', error: { code: m.error, message } };
}

/** The MNO routes over `services`. */
export function mnoRoutes(services: RequestServices): RouteSpec[] {
  const msisdnKeys = new TenantMacKeys(services.hsm, MSISDN_INDEX_LABEL);
  const rc = (request: FastifyRequest): RegistryContext => ({ db: services.db, hsm: services.hsm, ctx: services.ctx(request), now: services.now });
  return [
    {
      method: 'POST', url: '/v1/mno/batches', operationId: 'ImportSEBatchKeys', tags: TAGS, roles: MNO,
      summary: 'Import a card batch\'s ISD master keys (TR-31 blocks under a KBPK of the MNO, each KCV checked) and its diversification method',
      schema: { body: BATCH_BODY, response: { 201: BATCH_RESPONSE, ...MNO_ERRORS } },
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const batch = await importBatch(rc(request), request.body as BatchImport);
        return reply.code(201).send({ batchId: batch.batchId });
      },
    },
    {
      method: 'POST', url: '/v1/mno/secure-elements', operationId: 'RegisterSecureElements', tags: TAGS, roles: MNO,
      summary: 'Register up to 1,000 SEs (OTA: the key file\'s scp80/scp81 entries verbatim, the trigger MSISDN sealed): each item atomic, one result per item (created, exists, or an error naming the field); the call is not atomic',
      schema: { body: SE_REGISTRATION_BODY, response: { 200: SE_REGISTRATION_RESPONSE, ...MNO_ERRORS } },
      handler: async (request: FastifyRequest) => {
        const results = await registerSecureElements(rc(request), (request.body as { items: SeRegistration[] }).items);
        const count = (what: string): number => results.filter((r) => r.result === what).length;
        return { created: count('created'), existing: count('exists'), failed: count('error'), results: results.map((r, i) => resultAnswer(request, r, i)) };
      },
    },
    {
      method: 'GET', url: '/v1/mno/secure-elements/:seId', operationId: 'GetSecureElement', tags: TAGS, roles: MNO,
      summary: 'An SE of this MNO: platform, status, ISD AID/KVN/SCP, ARA-M AID, TARs, SCP80 key bytes, SCP81 PSK identity (never a key id nor the MSISDN)',
      schema: { params: SE_PARAMS, response: { 200: SE_RESPONSE, ...MNO_ERRORS } },
      handler: async (request: FastifyRequest) => seAnswer(await getMnoSecureElement(rc(request), (request.params as { seId: string }).seId)),
    },
    {
      method: 'POST', url: '/v1/mno/secure-elements/:seId/ota/msisdn', operationId: 'ChangeSeTriggerMsisdn', tags: TAGS, roles: MNO,
      summary: 'Change the MSISDN an SE\'s SCP81 trigger SMS goes to (number change or port): stored only sealed, the old one made unrecoverable',
      schema: { params: SE_PARAMS, body: SE_MSISDN_BODY, response: { 204: null, ...MNO_ERRORS } },
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        await changeSeMsisdn(rc(request), (request.params as { seId: string }).seId, (request.body as { msisdn: string }).msisdn);
        return reply.code(204).send();
      },
    },
    {
      method: 'POST', url: '/v1/mno/subscriptions', operationId: 'RegisterMobileSubscription', tags: TAGS, roles: MNO,
      summary: 'Bind an MSISDN (kept only as a keyed hash) to an SE; answers the subscription id and the alias SPs know it by',
      schema: { body: SUBSCRIPTION_BODY, response: { 201: SUBSCRIPTION_RESPONSE, ...MNO_ERRORS } },
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const body = request.body as { msisdn: string; seId: string };
        return reply.code(201).send(await createSubscription(rc(request), msisdnKeys, body.msisdn, body.seId));
      },
    },
    {
      method: 'DELETE', url: '/v1/mno/subscriptions/:subscriptionId', operationId: 'EndMobileSubscription', tags: TAGS, roles: MNO,
      summary: 'End a subscription: its alias no longer resolves to an active subscription',
      schema: { params: SUBSCRIPTION_PARAMS, response: { 204: null, ...MNO_ERRORS } },
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        await endSubscription(rc(request), (request.params as { subscriptionId: string }).subscriptionId);
        return reply.code(204).send();
      },
    },
    {
      method: 'POST', url: '/v1/mno/notifications', operationId: 'HandleMnoNotification', tags: TAGS, roles: MNO,
      summary: 'An SE or subscription life-cycle notification (kind: the GP function name); recorded, applied, fanned out to the SPs concerned',
      schema: { body: NOTIFICATION_BODY, response: { 202: NOTIFICATION_RESPONSE, ...MNO_ERRORS } },
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const outcome = await handleNotification(rc(request), msisdnKeys, notificationOf(request.body as Record<string, unknown>), services.registryHooks);
        return reply.code(202).send(outcome);
      },
    },
  ];
}
