import { OpenTsmError } from '../bytes/index.ts';

/**
 * Codes raised by the `tsm/` layer (the service: issuer authorization, personalization data
 * preparation). Messages name fields and identifiers — never a PAN, PIN, key or card data value.
 */
export const TSM_ERROR_CODES = [
  // A request field of the wrong type, length or format (the message names the field).
  'ERR_TSM_REQUEST',
  // The named card, service or key reference does not exist for this tenant.
  'ERR_TSM_NOT_FOUND',
  // The record already exists (a card registered twice).
  'ERR_TSM_CONFLICT',
  // The operation is not allowed in the record's current state (a script for a terminated card).
  'ERR_TSM_STATE',
  // HTTP API: no credentials, unknown client, wrong secret or a disabled client (one fixed message).
  'ERR_TSM_AUTH',
  // HTTP API: an authenticated client whose role may not call this route.
  'ERR_TSM_FORBIDDEN',
  // HTTP API: too many failed authentications of this client id or source address; retry after the backoff (429).
  'ERR_TSM_RATE_LIMITED',
  // The service configuration (file, environment, flags) cannot work; the message names the setting.
  'ERR_TSM_CONFIG',
  // The SE's bearer went away (relay disconnect or batch timeout); the job waits for the SE to come back.
  'ERR_TSM_UNREACHABLE',
] as const;
export type TsmErrorCode = (typeof TSM_ERROR_CODES)[number];

/** A service-level refusal: a bad request, an unknown or duplicate record, a state that forbids it. */
export class TsmError extends OpenTsmError<TsmErrorCode> {}
