import { OpenTsmError } from '../bytes/index.ts';

/**
 * Codes raised by the `emv/` layer (EMV Book 2 key derivation, cryptograms and secure messaging;
 * ISO 9564-1 PIN blocks). Stable strings: callers and the HTTP error registry switch on them.
 * Messages never contain a PIN, a PAN, key bytes or the digits of a decoded block.
 */
export const EMV_ERROR_CODES = [
  // A key of the wrong type or length (an IMK, ICC master key, session key or PIN key).
  'ERR_EMV_KEY',
  // A data argument of the wrong type or length (ATC, ARQC, ARC, CSU, R, script header or data).
  'ERR_EMV_INPUT',
  // A parameter outside its allowed set (padding method, MAC length, tree shape, scheme, format).
  'ERR_EMV_PARAM',
  // A PAN that is not a string of decimal digits of an allowed length (value withheld).
  'ERR_EMV_PAN',
  // A PAN sequence number that is not two decimal digits (value withheld).
  'ERR_EMV_PSN',
  // A PIN that is not a string of 4 to 12 decimal digits (value withheld).
  'ERR_EMV_PIN',
  // A decoded PIN block or ISO 4 PIN/PAN field that is not well formed; one fixed message per format.
  'ERR_EMV_PIN_BLOCK',
  // A caller-supplied random source returned something other than the bytes asked for.
  'ERR_EMV_RANDOM',
  // Enciphered issuer script data that does not decrypt to well-formed plaintext; one fixed message.
  'ERR_EMV_SCRIPT_DATA',
] as const;

/** One of {@link EMV_ERROR_CODES}. */
export type EmvErrorCode = (typeof EMV_ERROR_CODES)[number];

/** An EMV or PIN-block operation refused its input, or a decoded structure was malformed. */
export class EmvError extends OpenTsmError<EmvErrorCode> {}
