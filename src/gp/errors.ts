import { OpenTsmError } from '../bytes/index.ts';

/** Codes raised by the `gp/` layer. */
export const GP_ERROR_CODES = [
  'ERR_GP_PARAM',
  'ERR_GP_PARSE',
  'ERR_GP_STATUS',
  'ERR_GP_CARD_CRYPTOGRAM',
  'ERR_GP_HOST_CRYPTOGRAM',
  'ERR_GP_MAC',
  'ERR_GP_SECURITY_LEVEL',
  'ERR_GP_SESSION_STATE',
  'ERR_GP_COUNTER',
  'ERR_GP_LENGTH',
  'ERR_GP_KEY',
  'ERR_GP_CAP',
  'ERR_GP_UNSUPPORTED',
] as const;
export type GpErrorCode = (typeof GP_ERROR_CODES)[number];

/**
 * A GlobalPlatform protocol error. `sw` is set when the card answered with a status word (and for
 * card-side refusals, it is the status word the card must answer with).
 */
export class GpError extends OpenTsmError<GpErrorCode> {
  readonly sw: number | undefined;

  constructor(code: GpErrorCode, message: string, options?: { cause?: unknown; sw?: number }) {
    super(code, message, options);
    this.sw = options?.sw;
  }
}
