/**
 * device/tee/: the phone's TEE model (docs/tee.md): a GP TEE Client API library for the rich OS,
 * the TEE process with its PIN Trusted Application and trusted input, TEE manufacture, and the
 * wallet's PIN pad.
 */
export {
  TEEC_RESULT, TEE_ERROR_TIMEOUT, TEEC_ORIGIN, TEEC_LOGIN, TEEC_PARAM, TEEC_MAX_PARAMS, TEEC_MAX_MEMREF, teecResultName,
  type TeecOrigin, type TeecLogin, type TeecParamType,
} from './teec.ts';
export {
  TeecContext, TeecSession, TeecOperation, teecNone, teecValue, teecMemref,
  type TeecParameter, type TeecValue, type TeecMemref, type TeecNone,
} from './client-api.ts';
export { MAX_FRAME, FrameDecoder, encodeFrame, parseRequest, parseResponse, type TeeRequest, type TeeResponse, type WireParam } from './tee-protocol.ts';
export { serveTee, TaError, type TaParam, type TaSession, type TrustedApplication } from './tee-server.ts';
export { PIN_TA_UUID, PIN_TA_COMMAND, pinTa, pekBlockKcv, type PinTaOptions } from './pin-ta.ts';
export { IpcTrustedInput, Touchscreen, type TrustedInput, type IpcChannel, type TouchscreenEvent, type TouchscreenInput } from './trusted-input.ts';
export { TeeStorage, TEE_ID_PATTERN, type TeeIdentity, type StoredPek } from './tee-storage.ts';
export { manufactureTee, type ManufactureOptions, type ManufacturedTee } from './tee-factory.ts';
export { startTee, type StartTeeOptions, type TeeHandle } from './tee-platform.ts';
export { TeePinPad, type TeePinBlock } from './pin-pad.ts';
