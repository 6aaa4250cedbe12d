import { OpenTsmError } from '../bytes/index.ts';

/** Codes raised by the `ota/` layer. */
export const OTA_ERROR_CODES = [
  'ERR_OTA_PARAM',
  'ERR_OTA_PARSE',
  'ERR_OTA_LENGTH',
  'ERR_OTA_KEY',
  'ERR_OTA_CC',
  'ERR_OTA_CIPHER',
  'ERR_OTA_COUNTER',
  'ERR_OTA_MISMATCH',
  'ERR_OTA_UNSUPPORTED',
  'ERR_OTA_TLS',
  'ERR_OTA_ADMIN',
  'ERR_OTA_TRANSPORT',
  'ERR_OTA_CONCAT',
] as const;
export type OtaErrorCode = (typeof OTA_ERROR_CODES)[number];

/**
 * An SCP80 secured-packet error (ETSI TS 102 225). On the card side `porStatus` is the Response
 * Status Code the card answers with in a PoR (§5.2, `POR_STATUS`), or undefined when the packet
 * cannot be answered at all (it does not parse, so there is no TAR or counter to echo).
 */
export class OtaError extends OpenTsmError<OtaErrorCode> {
  readonly porStatus: number | undefined;

  constructor(code: OtaErrorCode, message: string, options?: { cause?: unknown; porStatus?: number }) {
    super(code, message, options);
    this.porStatus = options?.porStatus;
  }
}

/** Any other typed error from a lower layer (a bad argument) becomes an OtaError with it as cause. */
export function guard<T>(run: () => T): T {
  try {
    return run();
  } catch (e) {
    if (e instanceof OtaError) throw e;
    if (e instanceof OpenTsmError) throw new OtaError('ERR_OTA_PARAM', `secured packet: ${e.message}`, { cause: e });
    throw e;
  }
}
