import { OpenTsmError } from '../bytes/index.ts';

/** Codes raised by the `hsm/` layer. Messages name keys by id and KCV only, never by value. */
export const HSM_ERROR_CODES = [
  'ERR_HSM_KEY_NOT_FOUND',
  'ERR_HSM_USAGE',
  'ERR_HSM_TENANT',
  'ERR_HSM_NOT_EXPORTABLE',
  'ERR_HSM_DUAL_CONTROL',
  'ERR_HSM_CUSTODIAN',
  'ERR_HSM_KCV',
  'ERR_HSM_LMK',
  'ERR_HSM_KEY_BLOCK',
  'ERR_HSM_STATE',
  'ERR_HSM_PARAM',
  'ERR_HSM_BACKEND',
  'ERR_HSM_UNSUPPORTED',
  'ERR_HSM_WEAK_KEY',
] as const;
export type HsmErrorCode = (typeof HSM_ERROR_CODES)[number];

/**
 * An HSM refusal or failure: a key that does not exist or belongs to another tenant, a use its
 * attributes forbid, an export of a non-exportable key, missing dual control, a wrong component
 * KCV, a backend failure.
 */
export class HsmError extends OpenTsmError<HsmErrorCode> {}
