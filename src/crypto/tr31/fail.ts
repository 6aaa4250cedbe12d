/** The two ways a TR-31 key block is refused. Messages never contain key bytes. */
import { CryptoError } from '../errors.ts';

/** A malformed or refused block (structure, header codes, lengths, a key that may not be wrapped). */
export function blockError(message: string): CryptoError {
  return new CryptoError('ERR_CRYPTO_KEY_BLOCK', `TR-31 key block: ${message}`);
}

/**
 * The binding check failed: wrong KBPK, tampered header, ciphertext or MAC. One fixed message, whatever
 * went wrong (CONVENTIONS.md §2).
 */
export function authError(): CryptoError {
  return new CryptoError('ERR_CRYPTO_KEY_BLOCK_AUTH', 'TR-31 key block: authentication failed');
}
