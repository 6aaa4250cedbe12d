/**
 * DES and Triple DES (ANSI X9.52 / NIST SP 800-67 Rev. 2) in ECB and CBC, no padding.
 *
 * LEGACY: single DES (56-bit) is broken and only exists here because SCP02, ISO 9797-1 MAC
 * algorithm 3 and EMV still use it as a building block. Node 20 (OpenSSL 3) refuses single DES, so
 * there it is computed as 3DES with K1 = K2 = K3, which equals single DES (SP 800-67 §3.2).
 *
 * Small inputs run on the table-driven DES of des-block.ts: node:crypto's cipher setup (≈4.5 µs a
 * call) outweighs the DES work below a few hundred bytes, and an EMV verification makes ~5 such
 * calls under fresh keys. Larger 3DES inputs go to node:crypto (OpenSSL), faster per byte there.
 * Single DES always runs in des-block.ts: node can only do it as three passes.
 */
import { concat } from '../bytes/index.ts';
import { assertBlockData, assertKey, runCipher } from './cipher.ts';
import { cbcDecryptBlocks, cbcEncryptBlocks, ecbBlocks, tdesSchedule, withTdesSchedule } from './des-block.ts';
import { CryptoError } from './errors.ts';

const DES_KEY = [8] as const;
const TDES_KEY = [8, 16, 24] as const;

/**
 * Largest 2- or 3-key 3DES input (bytes) run in des-block.ts; above it node:crypto wins. Measured
 * on Node 20 (this 2-core machine), one-shot 3DES-CBC including key setup: des-block ≈ 2.4 µs vs
 * node ≈ 6.7 µs at 32 B, 5.9 vs 10.4 µs at 64 B, 13.5 vs 16.2 µs at 256 B, even at 512 B, node
 * 1.3× ahead at 1 KiB. An 8-byte key (single DES) has no limit: node runs it as three passes and
 * is 2–3× slower at every size.
 */
export const TDES_JS_MAX_BYTES = 256;

/** Expands a 1-, 2- or 3-key 3DES key to the 24 bytes OpenSSL wants (K1 K2 K1 for 2-key). */
export function tdesKey24(key: Uint8Array, name = '3DES key'): Uint8Array {
  assertKey(key, TDES_KEY, name);
  if (key.length === 24) return key;
  if (key.length === 16) return concat(key, key.subarray(0, 8));
  return concat(key, key, key);
}

/** Whether a (3)DES operation over `length` bytes under `key` runs in des-block.ts. */
export function useDesBlock(key: Uint8Array, length: number): boolean {
  return key.length === 8 || length <= TDES_JS_MAX_BYTES;
}

function ecb(key: Uint8Array, data: Uint8Array, decrypt: boolean): Uint8Array {
  assertBlockData(data, 8, '3DES-ECB data');
  assertKey(key, TDES_KEY, '3DES key');
  if (!useDesBlock(key, data.length)) return runCipher('des-ede3-ecb', tdesKey24(key), null, data, decrypt);
  return withTdesSchedule(key, decrypt, (ks) => ecbBlocks(ks, data));
}

function cbc(key: Uint8Array, data: Uint8Array, options: { iv: Uint8Array }, decrypt: boolean): Uint8Array {
  assertBlockData(data, 8, '3DES-CBC data');
  assertKey(options.iv, [8], '3DES-CBC IV');
  assertKey(key, TDES_KEY, '3DES key');
  const { iv } = options;
  if (!useDesBlock(key, data.length)) return runCipher('des-ede3-cbc', tdesKey24(key), iv, data, decrypt);
  return withTdesSchedule(key, decrypt, (ks) => (decrypt ? cbcDecryptBlocks(ks, iv, data) : cbcEncryptBlocks(ks, iv, data)));
}

/** 3DES-ECB encryption (2- or 3-key; an 8-byte key gives single DES). */
export function tdesEcbEncrypt(key: Uint8Array, data: Uint8Array): Uint8Array {
  return ecb(key, data, false);
}

/** 3DES-ECB decryption. */
export function tdesEcbDecrypt(key: Uint8Array, data: Uint8Array): Uint8Array {
  return ecb(key, data, true);
}

/** 3DES-CBC encryption with an explicit 8-byte IV. */
export function tdesCbcEncrypt(key: Uint8Array, data: Uint8Array, options: { iv: Uint8Array }): Uint8Array {
  return cbc(key, data, options, false);
}

/** 3DES-CBC decryption with an explicit 8-byte IV. */
export function tdesCbcDecrypt(key: Uint8Array, data: Uint8Array, options: { iv: Uint8Array }): Uint8Array {
  return cbc(key, data, options, true);
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

/**
 * A keyed 3DES-ECB encryption context (2- or 3-key): the key schedule is computed once, for a key
 * used many times in a row (an issuer master key deriving ICC master keys, EMV Book 2 A1.4), and
 * wiped by `destroy()`. The caller's key array is not kept.
 */
export class TdesEcbEncryptor {
  #ks: Int32Array | undefined;

  constructor(key: Uint8Array) {
    assertKey(key, [16, 24], '3DES key');
    this.#ks = tdesSchedule(key, false);
  }

  /** 3DES-ECB encryption of block-aligned `data`. */
  encrypt(data: Uint8Array): Uint8Array {
    assertBlockData(data, 8, '3DES-ECB data');
    if (this.#ks === undefined) throw new CryptoError('ERR_CRYPTO_PARAM', 'this 3DES-ECB context was destroyed');
    return ecbBlocks(this.#ks, data);
  }

  /** Zeroes the key schedule; the context is unusable afterwards. */
  destroy(): void {
    this.#ks?.fill(0);
    this.#ks = undefined;
  }
}
