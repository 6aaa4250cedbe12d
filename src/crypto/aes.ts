/** AES (FIPS 197) in ECB and CBC (NIST SP 800-38A), no padding, explicit IV. */
import { assertBlockData, assertKey, runCipher, type CipherName } from './cipher.ts';

const AES_KEY = [16, 24, 32] as const;

function name(key: Uint8Array, mode: 'ecb' | 'cbc'): CipherName {
  return `aes-${key.length * 8}-${mode}` as CipherName;
}

/** AES-ECB encryption of block-aligned data. */
export function aesEcbEncrypt(key: Uint8Array, data: Uint8Array): Uint8Array {
  assertKey(key, AES_KEY, 'AES key');
  assertBlockData(data, 16, 'AES-ECB data');
  return runCipher(name(key, 'ecb'), key, null, data, false);
}

/** AES-ECB decryption. */
export function aesEcbDecrypt(key: Uint8Array, data: Uint8Array): Uint8Array {
  assertKey(key, AES_KEY, 'AES key');
  assertBlockData(data, 16, 'AES-ECB data');
  return runCipher(name(key, 'ecb'), key, null, data, true);
}

/** AES-CBC encryption with an explicit 16-byte IV. */
export function aesCbcEncrypt(key: Uint8Array, data: Uint8Array, options: { iv: Uint8Array }): Uint8Array {
  assertKey(key, AES_KEY, 'AES key');
  assertBlockData(data, 16, 'AES-CBC data');
  assertKey(options.iv, [16], 'AES-CBC IV');
  return runCipher(name(key, 'cbc'), key, options.iv, data, false);
}

/** AES-CBC decryption with an explicit 16-byte IV. */
export function aesCbcDecrypt(key: Uint8Array, data: Uint8Array, options: { iv: Uint8Array }): Uint8Array {
  assertKey(key, AES_KEY, 'AES key');
  assertBlockData(data, 16, 'AES-CBC data');
  assertKey(options.iv, [16], 'AES-CBC IV');
  return runCipher(name(key, 'cbc'), key, options.iv, data, true);
}
