/**
 * A key held elsewhere — an HSM's token object — that the pure protocol functions of crypto/, gp/
 * and emv/ use through the primitives a PKCS#11 token offers (block encryption and decryption, CMAC), so
 * the protocol math runs unchanged while the key never enters this process (ARCHITECTURE.md §2:
 * the layers declare the keyed interfaces hsm/ implements). What the functions compute from it
 * (a session key, a derived key) is returned as bytes, as with a key given as bytes.
 */
import { assertBytes, assertInt } from '../bytes/index.ts';
import { assertKey } from './cipher.ts';
import { aesEcbDecrypt, aesEcbEncrypt } from './aes.ts';
import { aesCmac, tdesCmac } from './cmac.ts';
import { tdesCbcEncrypt, tdesEcbEncrypt } from './des.ts';
import { CryptoError } from './errors.ts';

/** Block encryption of a held key: ECB, or CBC with an explicit IV; block-aligned data, no padding. */
export type HeldKeyCipherMode = { readonly mode: 'ecb' } | { readonly mode: 'cbc'; readonly iv: Uint8Array };

/** A symmetric key known by its algorithm, length and primitives, never by its bytes. */
export interface HeldKey {
  readonly kind: 'held-key';
  readonly cipher: 'aes' | 'tdes';
  /** Key length in bytes: 16, 24 or 32 (AES); 16 or 24 (TDES). */
  readonly length: number;
  /** Encrypts block-aligned `data` under the key. */
  encrypt(data: Uint8Array, mode: HeldKeyCipherMode): Uint8Array;
  /** Decrypts block-aligned `data` under the key. */
  decrypt(data: Uint8Array, mode: HeldKeyCipherMode): Uint8Array;
  /** The full CMAC (NIST SP 800-38B) of `data`: 16 bytes for AES, 8 for TDES. */
  cmac(data: Uint8Array): Uint8Array;
  /** Names the key by id or KCV, never by value (CONVENTIONS.md §8). */
  toString(): string;
}

/** Whether `key` is a {@link HeldKey} (rather than key bytes). */
export function isHeldKey(key: unknown): key is HeldKey {
  return typeof key === 'object' && key !== null && (key as { kind?: unknown }).kind === 'held-key';
}

/**
 * Checks a key given as bytes or held: bytes of one of `lengths`, or a held key of `cipher` whose
 * length is one of `lengths` (ERR_CRYPTO_KEY otherwise).
 */
export function assertKeyOrHeld(key: unknown, cipher: 'aes' | 'tdes', lengths: readonly number[], name: string): asserts key is Uint8Array | HeldKey {
  if (!isHeldKey(key)) {
    assertKey(key, lengths, name);
    return;
  }
  if (key.cipher !== cipher || !lengths.includes(key.length)) {
    throw new CryptoError('ERR_CRYPTO_KEY', `${name}: expected a ${lengths.join(' or ')}-byte ${cipher.toUpperCase()} key, got a held ${key.length}-byte ${String(key.cipher).toUpperCase()} key`);
  }
}

function heldOutput(out: unknown, length: number, what: string): Uint8Array {
  if (!(out instanceof Uint8Array) || out.length !== length) {
    throw new CryptoError('ERR_CRYPTO_PARAM', `held key ${what}: expected ${length} bytes back`);
  }
  return out;
}

/** 3DES-ECB encryption under key bytes or a held TDES key. */
export function tdesEcbEncryptWith(key: Uint8Array | HeldKey, data: Uint8Array): Uint8Array {
  if (!isHeldKey(key)) return tdesEcbEncrypt(key, data);
  assertKeyOrHeld(key, 'tdes', [16, 24], '3DES key');
  assertBytes(data, undefined, '3DES-ECB data');
  return heldOutput(key.encrypt(data, { mode: 'ecb' }), data.length, '3DES-ECB');
}

/** 3DES-CBC encryption under key bytes or a held TDES key, explicit 8-byte IV. */
export function tdesCbcEncryptWith(key: Uint8Array | HeldKey, data: Uint8Array, options: { iv: Uint8Array }): Uint8Array {
  if (!isHeldKey(key)) return tdesCbcEncrypt(key, data, options);
  assertKeyOrHeld(key, 'tdes', [16, 24], '3DES key');
  assertBytes(data, undefined, '3DES-CBC data');
  assertKey(options.iv, [8], '3DES-CBC IV');
  return heldOutput(key.encrypt(data, { mode: 'cbc', iv: options.iv }), data.length, '3DES-CBC');
}

/** AES-ECB encryption under key bytes or a held AES key. */
export function aesEcbEncryptWith(key: Uint8Array | HeldKey, data: Uint8Array): Uint8Array {
  if (!isHeldKey(key)) return aesEcbEncrypt(key, data);
  assertKeyOrHeld(key, 'aes', [16, 24, 32], 'AES key');
  assertBytes(data, undefined, 'AES-ECB data');
  return heldOutput(key.encrypt(data, { mode: 'ecb' }), data.length, 'AES-ECB');
}

/** AES-ECB decryption under key bytes or a held AES key. */
export function aesEcbDecryptWith(key: Uint8Array | HeldKey, data: Uint8Array): Uint8Array {
  if (!isHeldKey(key)) return aesEcbDecrypt(key, data);
  assertKeyOrHeld(key, 'aes', [16, 24, 32], 'AES key');
  assertBytes(data, undefined, 'AES-ECB data');
  return heldOutput(key.decrypt(data, { mode: 'ecb' }), data.length, 'AES-ECB decryption');
}

/** AES-CMAC (RFC 4493) under key bytes or a held AES key, truncated to `length` bytes. */
export function aesCmacWith(key: Uint8Array | HeldKey, data: Uint8Array, options: { length: number }): Uint8Array {
  if (!isHeldKey(key)) return aesCmac(key, data, options);
  assertKeyOrHeld(key, 'aes', [16, 24, 32], 'AES-CMAC key');
  assertBytes(data, undefined, 'CMAC data');
  assertInt(options.length, 1, 16, 'AES-CMAC length');
  return heldOutput(key.cmac(data), 16, 'AES-CMAC').slice(0, options.length);
}

/** TDES-CMAC (SP 800-38B) under key bytes or a held TDES key, truncated to `length` bytes. */
export function tdesCmacWith(key: Uint8Array | HeldKey, data: Uint8Array, options: { length: number }): Uint8Array {
  if (!isHeldKey(key)) return tdesCmac(key, data, options);
  assertKeyOrHeld(key, 'tdes', [16, 24], 'TDES-CMAC key');
  assertBytes(data, undefined, 'CMAC data');
  assertInt(options.length, 1, 8, 'TDES-CMAC length');
  return heldOutput(key.cmac(data), 8, 'TDES-CMAC').slice(0, options.length);
}
