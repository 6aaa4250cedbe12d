/** AES (FIPS 197) in ECB and CBC (NIST SP 800-38A), no padding, explicit IV. */
import { createCipheriv } from 'node:crypto';
import { assertBlockData, assertKey, fromBuffer, runCipher, type CipherName } from './cipher.ts';

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

const ZERO_IV = new Uint8Array(16);

/**
 * AES-CBC encryption whose IV is itself AES-ECB(key, `ivInput`) — the SCP03 command/response ICV
 * (GPC Amd D v1.1.1 §6.2.6). Computed as one CBC pass: CBC(0, ivInput ‖ P) = E(ivInput) ‖ CBC(E(ivInput), P).
 */
export function aesCbcEncryptWithEncryptedIv(key: Uint8Array, data: Uint8Array, options: { ivInput: Uint8Array }): Uint8Array {
  assertKey(key, AES_KEY, 'AES key');
  assertBlockData(data, 16, 'AES-CBC data');
  assertKey(options.ivInput, [16], 'AES-CBC IV input');
  const c = createCipheriv(name(key, 'cbc'), key, ZERO_IV);
  c.setAutoPadding(false);
  c.update(options.ivInput); // the first output block is the ICV; the cipher chains from it
  const out = c.update(data);
  c.final();
  return fromBuffer(out);
}

/** The inverse of {@link aesCbcEncryptWithEncryptedIv}. */
export function aesCbcDecryptWithEncryptedIv(key: Uint8Array, data: Uint8Array, options: { ivInput: Uint8Array }): Uint8Array {
  assertKey(options.ivInput, [16], 'AES-CBC IV input');
  return aesCbcDecrypt(key, data, { iv: aesEcbEncrypt(key, options.ivInput) });
}
