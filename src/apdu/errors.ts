import { OpenTsmError } from '../bytes/index.ts';

/** Codes raised by the `apdu/` layer. */
export const APDU_ERROR_CODES = [
  'ERR_APDU_FIELD',
  'ERR_APDU_LENGTH',
  'ERR_APDU_MALFORMED',
  'ERR_APDU_STATUS',
  'ERR_APDU_TRANSPORT',
  'ERR_APDU_RELAY_FRAME',
] as const;
export type ApduErrorCode = (typeof APDU_ERROR_CODES)[number];

/** A malformed command or response APDU, a field out of range, or a transport failure. */
export class ApduError extends OpenTsmError<ApduErrorCode> {
  /** The status word, when the error is a card's answer (`ERR_APDU_STATUS`). */
  readonly sw: number | undefined;

  constructor(code: ApduErrorCode, message: string, options?: { cause?: unknown; sw?: number }) {
    super(code, message, options);
    this.sw = options?.sw;
  }
}
