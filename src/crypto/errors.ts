import { OpenTsmError } from '../bytes/index.ts';

/** Codes raised by the `crypto/` layer. */
export const CRYPTO_ERROR_CODES = [
  'ERR_CRYPTO_KEY',
  'ERR_CRYPTO_INPUT',
  'ERR_CRYPTO_PADDING',
  'ERR_CRYPTO_PARAM',
  'ERR_CRYPTO_KEY_BLOCK',
  'ERR_CRYPTO_KEY_BLOCK_AUTH',
] as const;
export type CryptoErrorCode = (typeof CRYPTO_ERROR_CODES)[number];

/**
 * A crypto primitive refused its input: wrong key length, data not block-aligned, bad padding,
 * an unsupported parameter, a malformed TR-31 key block (`ERR_CRYPTO_KEY_BLOCK`) or one whose
 * binding check failed (`ERR_CRYPTO_KEY_BLOCK_AUTH`, one fixed message). Messages never contain
 * key bytes.
 */
export class CryptoError extends OpenTsmError<CryptoErrorCode> {}
