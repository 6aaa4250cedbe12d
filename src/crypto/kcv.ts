/**
 * Key check values: the first bytes of a fixed encryption under the key, so a key can be named and
 * compared without showing it (CONVENTIONS.md §8).
 */
import { assertInt } from '../bytes/index.ts';
import { aesEcbEncrypt } from './aes.ts';
import { aesCmac } from './cmac.ts';
import { tdesEcbEncrypt } from './des.ts';
import { CryptoError } from './errors.ts';

/** How a KCV is computed, as data (CONVENTIONS.md §10). */
export const KCV_METHODS = {
  /** ANSI X9.24-1: 3DES-ECB of 8 zero bytes (GP DES keys, GPC 2.3.1 §11.8.2.3). */
  'tdes-zeros': (key: Uint8Array) => tdesEcbEncrypt(key, new Uint8Array(8)),
  /** ANSI X9.24-1:2017 / AWS Payment Cryptography: AES-CMAC of 16 zero bytes. */
  'aes-cmac': (key: Uint8Array) => aesCmac(key, new Uint8Array(16), { length: 16 }),
  /** GPC Amd D v1.1.1 §7.2 (PUT KEY): AES-ECB of 16 bytes of 01. */
  'aes-ones': (key: Uint8Array) => aesEcbEncrypt(key, new Uint8Array(16).fill(1)),
  /** Legacy vendor form: AES-ECB of 16 zero bytes. */
  'aes-zeros': (key: Uint8Array) => aesEcbEncrypt(key, new Uint8Array(16)),
} as const;
export type KcvMethod = keyof typeof KCV_METHODS;

/**
 * The key check value of `key` by `method`, `length` bytes (3 by default, the usual printed form).
 * @example toHex(kcv(key, 'tdes-zeros')) // '08D7B4'
 */
export function kcv(key: Uint8Array, method: KcvMethod, length = 3): Uint8Array {
  const fn = KCV_METHODS[method] as ((key: Uint8Array) => Uint8Array) | undefined;
  if (fn === undefined) throw new CryptoError('ERR_CRYPTO_PARAM', `unknown KCV method ${String(method)}`);
  assertInt(length, 1, 8, 'KCV length');
  return fn(key).slice(0, length);
}
