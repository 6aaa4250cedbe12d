import { OpenTsmError } from '../bytes/index.ts';

/** Codes raised by the `crypto/` layer. */
export const CRYPTO_ERROR_CODES = [
  'ERR_CRYPTO_KEY',
  'ERR_CRYPTO_INPUT',
  'ERR_CRYPTO_PADDING',
  'ERR_CRYPTO_PARAM',
] as const;
export type CryptoErrorCode = (typeof CRYPTO_ERROR_CODES)[number];

/**
 * A crypto primitive refused its input: wrong key length, data not block-aligned, bad padding,
 * an unsupported parameter. Messages never contain key bytes.
 */
export class CryptoError extends OpenTsmError<CryptoErrorCode> {}
