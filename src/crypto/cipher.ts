import { createCipheriv, createDecipheriv, type Cipher, type Decipher } from 'node:crypto';
import { BytesError, assertBytes } from '../bytes/index.ts';
import { CryptoError } from './errors.ts';

/** Names of the node:crypto (OpenSSL 3) ciphers we use; never with implicit padding. */
export type CipherName =
  | 'des-ede3-ecb'
  | 'des-ede3-cbc'
  | 'aes-128-ecb'
  | 'aes-192-ecb'
  | 'aes-256-ecb'
  | 'aes-128-cbc'
  | 'aes-192-cbc'
  | 'aes-256-cbc';

/** Converts a node Buffer to a plain Uint8Array view (CONVENTIONS.md §1: Buffer only at the edge). */
export function fromBuffer(buf: Buffer): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/**
 * One-shot raw block-cipher run without padding. `data` must already be block-aligned (checked by
 * the caller with a message that names the operation).
 */
export function runCipher(
  name: CipherName,
  key: Uint8Array,
  iv: Uint8Array | null,
  data: Uint8Array,
  decrypt: boolean,
): Uint8Array {
  const c: Cipher | Decipher = decrypt ? createDecipheriv(name, key, iv) : createCipheriv(name, key, iv);
  c.setAutoPadding(false);
  const head = c.update(data);
  const tail = c.final();
  return fromBuffer(tail.length === 0 ? head : Buffer.concat([head, tail]));
}

/** Checks key type/length and rewraps the bytes error as a crypto key error. */
export function assertKey(key: unknown, lengths: readonly number[], name: string): asserts key is Uint8Array {
  try {
    assertBytes(key, lengths, name);
  } catch (e) {
    if (e instanceof BytesError) throw new CryptoError('ERR_CRYPTO_KEY', e.message, { cause: e });
    throw e;
  }
}

/** Checks that `data` is a Uint8Array whose length is a non-zero multiple of `block` unless `allowEmpty`. */
export function assertBlockData(data: unknown, block: number, name: string, allowEmpty = true): asserts data is Uint8Array {
  if (!(data instanceof Uint8Array)) throw new CryptoError('ERR_CRYPTO_INPUT', `${name}: expected Uint8Array`);
  if (data.length % block !== 0 || (!allowEmpty && data.length === 0)) {
    throw new CryptoError(
      'ERR_CRYPTO_INPUT',
      `${name}: length ${data.length} is not a ${allowEmpty ? '' : 'non-zero '}multiple of the ${block}-byte block (no implicit padding)`,
    );
  }
}
