import { OpenTsmError } from '../bytes/index.ts';

/**
 * Codes raised by the `tlv/` layer (BER-TLV per ISO/IEC 8825-1, DGI per EMV CPS v1.1, SIMPLE-TLV per
 * ISO/IEC 7816-4 §5.2). Stable strings: callers and the HTTP error registry switch on them.
 */
export const TLV_ERROR_CODES = [
  // The input ends inside a tag, a length or a value, or a value overruns its enclosing value.
  'ERR_TLV_TRUNCATED',
  // Bytes remain after the single object `parseTlv` expects.
  'ERR_TLV_TRAILING',
  // A tag that ISO 7816-4 / ISO 8825-1 forbids (first byte 00 or FF, bad subsequent byte).
  'ERR_TLV_TAG',
  // A BER tag longer than 3 bytes.
  'ERR_TLV_TAG_TOO_LONG',
  // A length form we do not accept (more than 4 length bytes, reserved FF) or a value too long to encode.
  'ERR_TLV_LENGTH',
  // A length coded on more bytes than needed (e.g. `81 05`, `82 00 80`, DGI `FF 00 10`).
  'ERR_TLV_NON_MINIMAL',
  // Indefinite length (`80`) where the caller did not allow it, or on a primitive object.
  'ERR_TLV_INDEFINITE',
  // Nesting deeper than the configured limit.
  'ERR_TLV_DEPTH',
  // More objects than the configured limit.
  'ERR_TLV_COUNT',
  // A node handed to the encoder or builder is inconsistent (children on a primitive tag, a cycle, bad value).
  'ERR_TLV_ENCODE',
] as const;

/** One of {@link TLV_ERROR_CODES}. */
export type TlvErrorCode = (typeof TLV_ERROR_CODES)[number];

/** A malformed or over-limit TLV structure, or an invalid node given to an encoder. */
export class TlvError extends OpenTsmError<TlvErrorCode> {}
