/**
 * DES and Triple DES (ANSI X9.52 / NIST SP 800-67 Rev. 2) in ECB and CBC, no padding.
 *
 * LEGACY: single DES (56-bit) is broken and only exists here because SCP02, ISO 9797-1 MAC
 * algorithm 3 and EMV still use it as a building block. Node 20 (OpenSSL 3) refuses single DES, so
 * it is computed as 3DES with K1 = K2 = K3, which equals single DES (SP 800-67 §3.2).
 */
import { concat } from '../bytes/index.ts';
import { assertBlockData, assertKey, runCipher } from './cipher.ts';

const DES_KEY = [8] as const;
const TDES_KEY = [8, 16, 24] as const;

/** Expands a 1-, 2- or 3-key 3DES key to the 24 bytes OpenSSL wants (K1 K2 K1 for 2-key). */
export function tdesKey24(key: Uint8Array, name = '3DES key'): Uint8Array {
  assertKey(key, TDES_KEY, name);
  if (key.length === 24) return key;
  if (key.length === 16) return concat(key, key.subarray(0, 8));
  return concat(key, key, key);
}

/** 3DES-ECB encryption (2- or 3-key; an 8-byte key gives single DES). */
export function tdesEcbEncrypt(key: Uint8Array, data: Uint8Array): Uint8Array {
  assertBlockData(data, 8, '3DES-ECB data');
  return runCipher('des-ede3-ecb', tdesKey24(key), null, data, false);
}

/** 3DES-ECB decryption. */
export function tdesEcbDecrypt(key: Uint8Array, data: Uint8Array): Uint8Array {
  assertBlockData(data, 8, '3DES-ECB data');
  return runCipher('des-ede3-ecb', tdesKey24(key), null, data, true);
}

/** 3DES-CBC encryption with an explicit 8-byte IV. */
export function tdesCbcEncrypt(key: Uint8Array, data: Uint8Array, options: { iv: Uint8Array }): Uint8Array {
  assertBlockData(data, 8, '3DES-CBC data');
  assertKey(options.iv, [8], '3DES-CBC IV');
  return runCipher('des-ede3-cbc', tdesKey24(key), options.iv, data, false);
}

/** 3DES-CBC decryption with an explicit 8-byte IV. */
export function tdesCbcDecrypt(key: Uint8Array, data: Uint8Array, options: { iv: Uint8Array }): Uint8Array {
  assertBlockData(data, 8, '3DES-CBC data');
  assertKey(options.iv, [8], '3DES-CBC IV');
  return runCipher('des-ede3-cbc', tdesKey24(key), options.iv, data, true);
}

/** Single-DES ECB encryption (legacy, see file header). */
export function desEcbEncrypt(key: Uint8Array, data: Uint8Array): Uint8Array {
  assertKey(key, DES_KEY, 'DES key');
  return tdesEcbEncrypt(key, data);
}

/** Single-DES ECB decryption (legacy). */
export function desEcbDecrypt(key: Uint8Array, data: Uint8Array): Uint8Array {
  assertKey(key, DES_KEY, 'DES key');
  return tdesEcbDecrypt(key, data);
}

/** Single-DES CBC encryption (legacy). */
export function desCbcEncrypt(key: Uint8Array, data: Uint8Array, options: { iv: Uint8Array }): Uint8Array {
  assertKey(key, DES_KEY, 'DES key');
  return tdesCbcEncrypt(key, data, options);
}
