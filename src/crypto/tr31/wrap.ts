/** Wrapping (export) of TR-31 / ANSI X9.143 key blocks, versions B and D. */
import { concat, toHex, uintBe, wipe } from '../../bytes/index.ts';
import { assertKey } from '../cipher.ts';
import { assertKeyOrHeld, type HeldKey } from '../held-key.ts';
import { CryptoError } from '../errors.ts';
import { randomBytes } from '../random.ts';
import { deriveKeyBlockKeys, sealDerivation } from './binding.ts';
import { blockError } from './fail.ts';
import { asciiBytes, encodeKeyBlockHeader, keyBlockHeader, type KeyBlockHeader, type KeyBlockHeaderInput } from './header.ts';
import { KEY_LENGTHS, cipherOf, strengthBits, versionParams, type KeyBlockVersionParams } from './versions.ts';

/** Options of `wrapKeyBlock`. */
export interface WrapKeyBlockOptions {
  /** The header to bind to the key; its version must be B or D. */
  readonly header: KeyBlockHeaderInput | KeyBlockHeader;
  /**
   * The source of the random padding, FOR TESTS ONLY (deterministic blocks). Defaults to the
   * operating system's CSPRNG; production code never passes it.
   */
  readonly random?: (n: number) => Uint8Array;
}

/** Checks the key against the header algorithm and the KBPK: length, and never under a weaker KBPK. */
function checkKey(key: unknown, algorithm: string, kbpk: Uint8Array | HeldKey, params: KeyBlockVersionParams): asserts key is Uint8Array {
  const rule = Object.hasOwn(KEY_LENGTHS, algorithm) ? KEY_LENGTHS[algorithm as keyof typeof KEY_LENGTHS] : undefined;
  if (rule !== undefined && rule.wrap.length === 0) throw blockError(`algorithm ${algorithm} keys are legacy: import only`);
  if (!(key instanceof Uint8Array)) throw new CryptoError('ERR_CRYPTO_KEY', 'key to wrap: expected Uint8Array');
  if (rule !== undefined) assertKey(key, rule.wrap, `key to wrap (algorithm ${algorithm})`);
  if (key.length === 0) throw blockError('the key to wrap is empty');
  const cipher = cipherOf(algorithm);
  // X9.24-1: a key is never protected by a key of lesser strength
  if (cipher !== undefined && strengthBits(cipher, key.length) > strengthBits(params.cipher, kbpk.length)) {
    throw blockError(`a ${key.length}-byte ${algorithm} key may not be wrapped under a weaker ${kbpk.length}-byte KBPK`);
  }
}

/**
 * The clear payload: key length in bits (2 bytes) ‖ key ‖ random padding. The padding hides the key
 * length behind the longest key of its algorithm (X9.143:2021 §5, §6.1) and fills the last cipher block.
 */
function buildPayload(key: Uint8Array, algorithm: string, blockSize: number, random: (n: number) => Uint8Array): Uint8Array {
  const masked = Object.hasOwn(KEY_LENGTHS, algorithm) ? KEY_LENGTHS[algorithm as keyof typeof KEY_LENGTHS].masked : 0;
  const total = Math.ceil((2 + Math.max(key.length, masked)) / blockSize) * blockSize;
  const padLength = total - 2 - key.length;
  const pad: unknown = random(padLength);
  if (!(pad instanceof Uint8Array) || pad.length !== padLength) {
    throw new CryptoError('ERR_CRYPTO_PARAM', `the random source must return ${padLength} bytes`);
  }
  return concat(uintBe(key.length * 8, 2, 'key length in bits'), key, pad);
}

/**
 * Wraps (exports) `key` in a TR-31 / ANSI X9.143 key block under `kbpk`, binding the header.
 * Version B: TDES key derivation binding (16- or 24-byte KBPK); version D: AES key derivation
 * binding (16-, 24- or 32-byte KBPK). Versions A and C are legacy and refused. The key length must
 * fit the header algorithm (T: 16/24, A: 16/24/32; other algorithms any length) and the key may not
 * be stronger than the KBPK. The KBPK may be held by an HSM (it computes the derivation CMACs; the
 * KBEK and KBAK are then in this process until wiped, like the clear key the caller passes).
 *
 * @example wrapKeyBlock(lmk, imk, { header: { version: 'D', usage: 'E0', algorithm: 'T', modeOfUse: 'X', exportability: 'N' } })
 */
export function wrapKeyBlock(kbpk: Uint8Array | HeldKey, key: Uint8Array, options: WrapKeyBlockOptions): string {
  if (typeof options !== 'object' || options === null) throw blockError('options with a header are required');
  const header = keyBlockHeader(options.header);
  const params = versionParams(header.version);
  if (!params.wrap) throw blockError(`version ${header.version} is legacy and accepted for import only; wrap with B or D`);
  assertKeyOrHeld(kbpk, params.cipher, params.kbpkLengths, `TR-31 version ${header.version} KBPK`);
  checkKey(key, header.algorithm, kbpk, params);
  const random = options.random ?? randomBytes;
  if (typeof random !== 'function') throw new CryptoError('ERR_CRYPTO_PARAM', 'random must be a function');
  const payload = buildPayload(key, header.algorithm, params.blockSize, random);
  const headerLength = encodeKeyBlockHeader(header, { blockLength: 0 }).length;
  const text = encodeKeyBlockHeader(header, { blockLength: headerLength + 2 * (payload.length + params.macLength) });
  const keys = deriveKeyBlockKeys(kbpk, { version: header.version });
  try {
    const { ciphertext, mac } = sealDerivation(params, keys, asciiBytes(text), payload);
    return text + toHex(ciphertext) + toHex(mac);
  } finally {
    wipe(keys.kbek, keys.kbak, payload);
  }
}
