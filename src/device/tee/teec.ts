/**
 * The GlobalPlatform TEE Client API v1.0 constants OpenTSM's TEE model uses (GP TEE Client API
 * §4.4.2 return codes, §4.4.3 origins, §4.4.4 parameter types, §4.4.5 login types), and the one
 * Internal Core API code a TA returns when the user does not answer in time.
 */

/** TEEC_Result values (GP TEE Client API §4.4.2). */
export const TEEC_RESULT = {
  SUCCESS: 0x00000000,
  ERROR_GENERIC: 0xffff0000,
  ERROR_ACCESS_DENIED: 0xffff0001,
  ERROR_CANCEL: 0xffff0002,
  ERROR_ACCESS_CONFLICT: 0xffff0003,
  ERROR_EXCESS_DATA: 0xffff0004,
  ERROR_BAD_FORMAT: 0xffff0005,
  ERROR_BAD_PARAMETERS: 0xffff0006,
  ERROR_BAD_STATE: 0xffff0007,
  ERROR_ITEM_NOT_FOUND: 0xffff0008,
  ERROR_NOT_IMPLEMENTED: 0xffff0009,
  ERROR_NOT_SUPPORTED: 0xffff000a,
  ERROR_NO_DATA: 0xffff000b,
  ERROR_OUT_OF_MEMORY: 0xffff000c,
  ERROR_BUSY: 0xffff000d,
  ERROR_COMMUNICATION: 0xffff000e,
  ERROR_SECURITY: 0xffff000f,
  ERROR_SHORT_BUFFER: 0xffff0010,
} as const;

/** TEE_ERROR_TIMEOUT (GP TEE Internal Core API, TEE_Result table): the user did not answer the trusted UI in time. */
export const TEE_ERROR_TIMEOUT = 0xffff3001;

/** Where an error came from (GP TEE Client API §4.4.3, TEEC_ORIGIN_*). */
export const TEEC_ORIGIN = { API: 1, COMMS: 2, TEE: 3, TRUSTED_APP: 4 } as const;
export type TeecOrigin = (typeof TEEC_ORIGIN)[keyof typeof TEEC_ORIGIN];

/** Login methods of TEEC_OpenSession (GP TEE Client API §4.4.5). */
export const TEEC_LOGIN = { PUBLIC: 0, USER: 1, GROUP: 2, APPLICATION: 4, USER_APPLICATION: 5, GROUP_APPLICATION: 6 } as const;
export type TeecLogin = (typeof TEEC_LOGIN)[keyof typeof TEEC_LOGIN];

/** Parameter types (GP TEE Client API §4.4.4); the model carries values and temporary memory references only. */
export const TEEC_PARAM = {
  NONE: 0x0,
  VALUE_INPUT: 0x1,
  VALUE_OUTPUT: 0x2,
  VALUE_INOUT: 0x3,
  MEMREF_TEMP_INPUT: 0x5,
  MEMREF_TEMP_OUTPUT: 0x6,
  MEMREF_TEMP_INOUT: 0x7,
} as const;
export type TeecParamType = (typeof TEEC_PARAM)[keyof typeof TEEC_PARAM];

/** At most four parameters per operation (GP TEE Client API §4.3.9 TEEC_Operation). */
export const TEEC_MAX_PARAMS = 4;

/** The largest memory reference the model carries each way (bytes): a PIN TA needs a few hundred. */
export const TEEC_MAX_MEMREF = 4096;

/** A TEEC_Result's name, for messages (`FFFF0008 ITEM_NOT_FOUND`). */
export function teecResultName(result: number): string {
  const name = Object.entries(TEEC_RESULT).find(([, v]) => v === result)?.[0] ?? (result === TEE_ERROR_TIMEOUT ? 'TIMEOUT' : 'unknown');
  return `${(result >>> 0).toString(16).toUpperCase().padStart(8, '0')} ${name.replace(/^ERROR_/, '')}`;
}

const VALUE_TYPES: ReadonlySet<number> = new Set([TEEC_PARAM.VALUE_INPUT, TEEC_PARAM.VALUE_OUTPUT, TEEC_PARAM.VALUE_INOUT]);
const MEMREF_TYPES: ReadonlySet<number> = new Set([TEEC_PARAM.MEMREF_TEMP_INPUT, TEEC_PARAM.MEMREF_TEMP_OUTPUT, TEEC_PARAM.MEMREF_TEMP_INOUT]);

/** Whether `type` is a value parameter type. */
export function isValueType(type: number): boolean {
  return VALUE_TYPES.has(type);
}

/** Whether `type` is a (temporary) memory reference type. */
export function isMemrefType(type: number): boolean {
  return MEMREF_TYPES.has(type);
}

/** Whether data flows from the client to the TA for this type (input or inout). */
export function isInput(type: number): boolean {
  return (type & 0x1) !== 0;
}

/** Whether data flows back from the TA for this type (output or inout). */
export function isOutput(type: number): boolean {
  return (type & 0x2) !== 0;
}
