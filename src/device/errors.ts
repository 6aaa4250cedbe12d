import { OpenTsmError } from '../bytes/index.ts';

/**
 * Codes raised by the `device/` layer (the POS terminal's contactless kernel and the wallet's issuer
 * update). Card-facing errors carry the status word. Messages never contain a PAN, a cryptogram or
 * key bytes.
 */
export const DEVICE_ERROR_CODES = [
  // A bad argument from the caller: terminal configuration, transaction data, CA key table entry.
  'ERR_DEVICE_PARAM',
  // The card connection failed (the transport threw or returned no bytes).
  'ERR_DEVICE_TRANSPORT',
  // The card answered a status word that ends the transaction (the error carries `sw`).
  'ERR_DEVICE_STATUS',
  // The card's data is malformed or incomplete: bad TLV, a wrong length, a missing mandatory tag, a bad AFL.
  'ERR_DEVICE_CARD_DATA',
  // No application on the card is both offered by its PPSE and supported by the terminal (or all are blocked).
  'ERR_DEVICE_NO_APPLICATION',
  // The Authorizer threw or returned something that is not an AuthorizationResponse.
  'ERR_DEVICE_AUTHORIZER',
  // Open Mobile API (SIMalliance OMAPI v3 §6; the I/O kind is ERR_DEVICE_TRANSPORT):
  // SecurityException — the access-control enforcer denied the app this applet or this APDU, or transmit
  // was given MANAGE CHANNEL or SELECT by DF name (as AOSP's SecureElementService).
  'ERR_DEVICE_SECURITY',
  // NoSuchElementException — the AID is not on the SE (SELECT 6A82), or no next application.
  'ERR_DEVICE_NO_SUCH_ELEMENT',
  // UnsupportedOperationException — a SELECT P2 the service does not offer.
  'ERR_DEVICE_UNSUPPORTED',
  // IllegalStateException — the service is not connected, or the session/channel is closed.
  'ERR_DEVICE_ILLEGAL_STATE',
  // IllegalArgumentException — a bad AID length, a command shorter than 4 bytes.
  'ERR_DEVICE_ILLEGAL_ARGUMENT',
  // A GlobalPlatform TEE Client API call failed; the error carries the TEEC_Result (`teecResult`).
  'ERR_DEVICE_TEE',
] as const;

/** One of {@link DEVICE_ERROR_CODES}. */
export type DeviceErrorCode = (typeof DEVICE_ERROR_CODES)[number];

/** A terminal or wallet operation failed; `sw` is the card's status word where one caused it. */
export class DeviceError extends OpenTsmError<DeviceErrorCode> {
  readonly sw: number | undefined;
  /** For ERR_DEVICE_TEE: the TEEC_Result (GP TEE Client API v1.0 §4.4.2). */
  readonly teecResult: number | undefined;

  constructor(code: DeviceErrorCode, message: string, options?: { cause?: unknown; sw?: number; teecResult?: number }) {
    super(code, message, options);
    this.sw = options?.sw;
    this.teecResult = options?.teecResult;
  }
}

/** Shorthand for a malformed-card-data error. */
export function cardData(message: string, cause?: unknown): DeviceError {
  return new DeviceError('ERR_DEVICE_CARD_DATA', message, cause === undefined ? undefined : { cause });
}
