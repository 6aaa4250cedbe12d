/** Unwrapping (import) of TR-31 / ANSI X9.143 key blocks, versions A, B, C and D. */
import { fromHex, wipe } from '../../bytes/index.ts';
import { assertKeyOrHeld, type HeldKey } from '../held-key.ts';
import { deriveKeyBlockKeys, openDerivation, openVariant } from './binding.ts';
import { blockError } from './fail.ts';
import { asciiBytes, readKeyBlockHeader } from './header.ts';
import { UnwrappedKey } from './unwrapped-key.ts';
import { KEY_LENGTHS, versionParams, type KeyBlockVersionParams } from './versions.ts';

const UPPER_HEX = /^[0-9A-F]*$/;

/** Splits what follows the header into the encrypted payload and the MAC (both uppercase hex). */
function splitBody(body: string, params: KeyBlockVersionParams): { ciphertext: Uint8Array; mac: Uint8Array } {
  const macChars = 2 * params.macLength;
  const dataChars = body.length - macChars;
  if (dataChars <= 0 || dataChars % (2 * params.blockSize) !== 0) {
    throw blockError(`the encrypted key data must be a non-zero multiple of ${params.blockSize} bytes, followed by a ${params.macLength}-byte MAC`);
  }
  if (!UPPER_HEX.test(body)) throw blockError('the encrypted key data and MAC must be uppercase hex');
  return { ciphertext: fromHex(body.slice(0, dataChars)), mac: fromHex(body.slice(dataChars)) };
}

/** Reads the key from the authenticated clear payload: 2-byte length in bits ‖ key ‖ padding. */
function extractKey(payload: Uint8Array, algorithm: string): Uint8Array {
  const bits = (payload[0]! << 8) | payload[1]!;
  const length = bits / 8;
  if (bits === 0 || bits % 8 !== 0 || length > payload.length - 2) {
    throw blockError('the decrypted key length field is invalid');
  }
  const allowed: readonly number[] | undefined = Object.hasOwn(KEY_LENGTHS, algorithm)
    ? KEY_LENGTHS[algorithm as keyof typeof KEY_LENGTHS].unwrap
    : undefined;
  if (allowed !== undefined && !allowed.includes(length)) {
    throw blockError(`the decrypted key length is not valid for algorithm ${algorithm}`);
  }
  return payload.slice(2, 2 + length);
}

/**
 * Unwraps (imports) a TR-31 / ANSI X9.143 key block under `kbpk` and returns the authenticated
 * header and the clear key. The binding MAC is verified with a constant-time compare before anything
 * is returned or the key length is looked at; a failed check throws `ERR_CRYPTO_KEY_BLOCK_AUTH` with
 * one fixed message. Malformed blocks throw `ERR_CRYPTO_KEY_BLOCK`, a KBPK of the wrong length for
 * the version `ERR_CRYPTO_KEY`.
 *
 * `kbpk` is the KBPK's bytes or, for versions B and D, a held key (an HSM computes the derivation
 * CMACs; the KBEK, KBAK and the clear key are then in this process until they are wiped).
 *
 * Versions: B (TDES key derivation, 16- or 24-byte KBPK), D (AES key derivation, 16-, 24- or
 * 32-byte KBPK), and A and C (TDES key variant binding, 16- or 24-byte KBPK). A and C are LEGACY
 * (TR-31:2005/2010, deprecated): accepted for import only; `wrapKeyBlock` never produces them.
 *
 * @example const { header, key } = unwrapKeyBlock(kbpk, 'D0112P0AE00E0000B826…')
 */
export function unwrapKeyBlock(kbpk: Uint8Array | HeldKey, block: string): UnwrappedKey {
  const { header, headerLength, blockLength } = readKeyBlockHeader(block);
  if (blockLength !== block.length) {
    throw blockError(`the length field says ${blockLength} characters, the block has ${block.length}`);
  }
  const params = versionParams(header.version);
  assertKeyOrHeld(kbpk, params.cipher, params.kbpkLengths, `TR-31 version ${header.version} KBPK`);
  const { ciphertext, mac } = splitBody(block.slice(headerLength), params);
  const headerBytes = asciiBytes(block.slice(0, headerLength));
  const keys = deriveKeyBlockKeys(kbpk, { version: header.version });
  let payload: Uint8Array;
  try {
    payload = params.binding === 'variant'
      ? openVariant(keys, headerBytes, ciphertext, mac)
      : openDerivation(params, keys, headerBytes, ciphertext, mac);
  } finally {
    wipe(keys.kbek, keys.kbak);
  }
  try {
    return new UnwrappedKey(header, extractKey(payload, header.algorithm));
  } finally {
    wipe(payload);
  }
}
