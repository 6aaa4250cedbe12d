/**
 * The webhook routes' JSON Schemas (docs/webhooks.md §1): an endpoint is a URL and the event types
 * it wants; the secret appears only in the creation answer.
 */
import { ENDPOINT_ID_PATTERN, MAX_WEBHOOK_URL } from '../webhooks/endpoints.ts';
import { WEBHOOK_EVENT_TYPES } from '../webhooks/types.ts';
import { errorResponses, ID_SCHEMA, objectSchema, type JsonSchema } from './schemas.ts';

const URL_SCHEMA = {
  type: 'string', minLength: 1, maxLength: MAX_WEBHOOK_URL, pattern: '^[\\x21-\\x7E]+$',
  description: 'https URL (http only to a loopback address); no user or password, no fragment',
} as const;
const EVENTS_SCHEMA = {
  type: 'array', minItems: 1, maxItems: WEBHOOK_EVENT_TYPES.length, uniqueItems: true,
  items: { type: 'string', enum: [...WEBHOOK_EVENT_TYPES] }, description: 'the event types to receive',
} as const;
const ENDPOINT_PROPERTIES = {
  endpointId: { type: 'string', pattern: ENDPOINT_ID_PATTERN.source },
  url: { type: 'string' },
  events: { type: 'array', items: { type: 'string' } },
  createdAt: { type: 'string', description: 'ISO 8601' },
} as const;

export const WEBHOOK_PARAMS: JsonSchema = objectSchema({ endpointId: ID_SCHEMA }, ['endpointId']);

export const CREATE_WEBHOOK_BODY: JsonSchema = objectSchema({ url: URL_SCHEMA, events: EVENTS_SCHEMA }, ['url', 'events']);

export const CREATED_WEBHOOK_RESPONSE: JsonSchema = objectSchema(
  {
    ...ENDPOINT_PROPERTIES,
    secret: { type: 'string', description: 'the signing secret (whsec_…): shown this once, never stored; the HMAC key of OpenTSM-Signature' },
  },
  ['endpointId', 'url', 'events', 'createdAt', 'secret'],
);

export const WEBHOOK_RESPONSE: JsonSchema = objectSchema(ENDPOINT_PROPERTIES, ['endpointId', 'url', 'events', 'createdAt']);

export const WEBHOOK_LIST_RESPONSE: JsonSchema = objectSchema({ endpoints: { type: 'array', items: WEBHOOK_RESPONSE } }, ['endpoints']);

export const WEBHOOK_ERRORS = errorResponses(404, 409);
