/**
 * The one table from error codes to HTTP answers (CONVENTIONS.md §4, after fastify's registry):
 * every code of tsm/, hsm/, store/ and emv/ that can reach a route, and the framework's own, maps to
 * a status, a stable public code (after BSI TR-03165's TSM-API error types) and a public message
 * that carries no internal detail. Only `ERR_TSM_REQUEST` passes its own message through: its
 * messages name the field and never its value (src/tsm/errors.ts). Anything else is a 500 whose
 * detail goes only to the log.
 */
import type { EmvErrorCode } from '../../emv/index.ts';
import type { HsmErrorCode } from '../../hsm/index.ts';
import type { StoreErrorCode } from '../../store/index.ts';
import type { TsmErrorCode } from '../errors.ts';

/** The public error codes a client switches on (docs/service.md §4; listed in docs/errors.md). Not named *_ERROR_CODES: those are the layers' ERR_ codes. */
export const PUBLIC_CODES = [
  'INVALID_ARGUMENT', 'UNAUTHORIZED', 'NOT_ALLOWED', 'NOT_FOUND', 'ALREADY_EXISTS', 'FAILED_PRECONDITION',
  'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE', 'RESOURCE_EXHAUSTED', 'NOT_IMPLEMENTED', 'UNAVAILABLE', 'INTERNAL',
] as const;
export type PublicErrorCode = (typeof PUBLIC_CODES)[number];

/** How one code is answered. `passMessage`: the error's own message is public (it names a field, never a value). */
export interface HttpErrorMapping {
  readonly status: number;
  readonly error: PublicErrorCode;
  readonly message: string;
  readonly passMessage?: true;
}

const m = (status: number, error: PublicErrorCode, message: string): HttpErrorMapping => ({ status, error, message });

const BAD_REQUEST = m(400, 'INVALID_ARGUMENT', 'a request field is not valid');
const KEY_NOT_FOUND = m(404, 'NOT_FOUND', 'a key the request names does not exist');
const HSM_DOWN = m(503, 'UNAVAILABLE', 'the HSM is not available; retry later');
const STORE_DOWN = m(503, 'UNAVAILABLE', 'the database is not available; retry later');
const INTERNAL = m(500, 'INTERNAL', 'internal error; quote the request id to the operator');
const NOT_ALLOWED = m(403, 'NOT_ALLOWED', 'the operation is not allowed');

/** Every code of the four layers whose errors routes let through: the type makes the table exhaustive. */
export const ERROR_REGISTRY: Readonly<Record<TsmErrorCode | HsmErrorCode | StoreErrorCode | EmvErrorCode, HttpErrorMapping>> = {
  ERR_TSM_REQUEST: { ...BAD_REQUEST, passMessage: true },
  ERR_TSM_NOT_FOUND: m(404, 'NOT_FOUND', 'no such resource for this tenant'),
  ERR_TSM_CONFLICT: m(409, 'ALREADY_EXISTS', 'the resource already exists'),
  ERR_TSM_STATE: m(409, 'FAILED_PRECONDITION', 'the resource\'s state does not allow this operation'),
  ERR_TSM_AUTH: m(401, 'UNAUTHORIZED', 'missing or invalid credentials'),
  ERR_TSM_FORBIDDEN: m(403, 'NOT_ALLOWED', 'this client\'s role may not call this operation'),
  ERR_TSM_RATE_LIMITED: m(429, 'RESOURCE_EXHAUSTED', 'too many failed authentications; retry after the Retry-After seconds'),
  ERR_TSM_CONFIG: INTERNAL,
  ERR_TSM_UNREACHABLE: m(503, 'UNAVAILABLE', 'the secure element is not reachable now; retry later'),
  // A key of another tenant answers exactly as a missing one (no oracle on other tenants' ids).
  ERR_HSM_KEY_NOT_FOUND: KEY_NOT_FOUND,
  ERR_HSM_TENANT: KEY_NOT_FOUND,
  ERR_HSM_USAGE: m(400, 'INVALID_ARGUMENT', 'a key the request names may not be used for this operation'),
  ERR_HSM_NOT_EXPORTABLE: NOT_ALLOWED,
  ERR_HSM_DUAL_CONTROL: NOT_ALLOWED,
  ERR_HSM_CUSTODIAN: NOT_ALLOWED,
  ERR_HSM_KCV: m(400, 'INVALID_ARGUMENT', 'a key check value does not match'),
  ERR_HSM_LMK: HSM_DOWN,
  ERR_HSM_KEY_BLOCK: m(400, 'INVALID_ARGUMENT', 'a key block is not valid'),
  ERR_HSM_STATE: HSM_DOWN,
  ERR_HSM_PARAM: BAD_REQUEST,
  ERR_HSM_BACKEND: HSM_DOWN,
  ERR_HSM_UNSUPPORTED: m(501, 'NOT_IMPLEMENTED', 'the HSM backend does not support this operation'),
  ERR_HSM_WEAK_KEY: m(400, 'INVALID_ARGUMENT', 'the key is weak'),
  ERR_STORE_URL: STORE_DOWN,
  ERR_STORE_OPEN: STORE_DOWN,
  ERR_STORE_MIGRATION: STORE_DOWN,
  ERR_STORE_QUERY: STORE_DOWN,
  ERR_STORE_CONFLICT: m(409, 'ALREADY_EXISTS', 'the resource already exists'),
  // A record the store refuses, or a lookup argument it refuses, is a bug of ours once the schema passed.
  ERR_STORE_RECORD: INTERNAL,
  ERR_STORE_PARAM: INTERNAL,
  ERR_EMV_KEY: INTERNAL,
  ERR_EMV_RANDOM: INTERNAL,
  ERR_EMV_INPUT: BAD_REQUEST,
  ERR_EMV_PARAM: BAD_REQUEST,
  ERR_EMV_PAN: m(400, 'INVALID_ARGUMENT', 'pan: not a valid PAN'),
  ERR_EMV_PSN: m(400, 'INVALID_ARGUMENT', 'psn: not a valid PAN sequence number'),
  ERR_EMV_PIN: BAD_REQUEST,
  ERR_EMV_PIN_BLOCK: BAD_REQUEST,
  ERR_EMV_SCRIPT_DATA: BAD_REQUEST,
};

/** Fastify's own errors that a client can cause (its other codes are our bugs: 500). */
export const FRAMEWORK_ERRORS: Readonly<Record<string, HttpErrorMapping>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: m(413, 'PAYLOAD_TOO_LARGE', 'the request body is over the limit'),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: m(415, 'UNSUPPORTED_MEDIA_TYPE', 'the request body must be application/json'),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: m(400, 'INVALID_ARGUMENT', 'the Content-Length does not match the body'),
  FST_ERR_CTP_EMPTY_JSON_BODY: m(400, 'INVALID_ARGUMENT', 'the request body is empty'),
  FST_ERR_CTP_INVALID_JSON_BODY: m(400, 'INVALID_ARGUMENT', 'the request body is not valid JSON'),
  // A JSON syntax error (its message would quote the body): by status, see mapError.
  JSON_SYNTAX: m(400, 'INVALID_ARGUMENT', 'the request body is not valid JSON'),
  NOT_FOUND: m(404, 'NOT_FOUND', 'no such route'),
};

/** The mapping of an error thrown on a route; undefined for anything unknown (a 500 by the caller). */
export function mapError(error: unknown): HttpErrorMapping | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, statusCode } = error as { code?: unknown; statusCode?: unknown };
  if (typeof code === 'string' && Object.hasOwn(ERROR_REGISTRY, code)) return ERROR_REGISTRY[code as keyof typeof ERROR_REGISTRY];
  if (typeof code === 'string' && Object.hasOwn(FRAMEWORK_ERRORS, code)) return FRAMEWORK_ERRORS[code];
  if (error instanceof SyntaxError && statusCode === 400) return FRAMEWORK_ERRORS['JSON_SYNTAX'];
  return undefined;
}

export const INTERNAL_ERROR = INTERNAL;
