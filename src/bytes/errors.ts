/**
 * The error root every OpenTSM layer extends: a stable string `code` to switch on, a message that
 * names the argument and what it got, and an optional `cause`. Never put key bytes, PINs or PANs in
 * a message: errors end up in logs.
 */
export class OpenTsmError<Code extends string = string> extends Error {
  readonly code: Code;

  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Codes raised by the `bytes/` layer. */
export const BYTES_ERROR_CODES = [
  'ERR_BYTES_TYPE',
  'ERR_BYTES_LENGTH',
  'ERR_BYTES_HEX',
  'ERR_BYTES_RANGE',
  'ERR_BYTES_TRUNCATED',
  'ERR_BYTES_TRAILING',
] as const;
export type BytesErrorCode = (typeof BYTES_ERROR_CODES)[number];

/** Bad input to a byte-level helper: wrong type, wrong length, bad hex, out-of-range integer, short read. */
export class BytesError extends OpenTsmError<BytesErrorCode> {}
