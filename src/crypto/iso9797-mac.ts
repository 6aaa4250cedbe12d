/**
 * ISO/IEC 9797-1:2011 MAC algorithms 1 (CBC-MAC) and 3 (the "retail MAC", ANSI X9.19), over DES
 * and 3DES. LEGACY: the retail MAC chains single DES (see des.ts); it remains the SCP02 C-MAC and
 * the EMV secure-messaging MAC.
 */
import { assertInt } from '../bytes/index.ts';
import { assertKey, runCipher } from './cipher.ts';
import { cbcMacBlocks, tdesSchedule, withTdesSchedule } from './des-block.ts';
import { tdesKey24, useDesBlock } from './des.ts';
import { CryptoError } from './errors.ts';
import { isHeldKey, tdesCbcEncryptWith, type HeldKey } from './held-key.ts';
import { pad, type PaddingMethod } from './padding.ts';

const ZERO8 = new Uint8Array(8);

export interface MacOptions {
  /** ISO 9797-1 padding method. */
  padding: PaddingMethod;
  /** MAC length in bytes (4..8). */
  length: number;
  /** Initial chaining value (8 bytes); ISO 9797-1 uses zeros, SCP02 chains the previous C-MAC. */
  iv?: Uint8Array;
}

/**
 * ISO 9797-1 MAC algorithm 1: CBC-MAC with the full block cipher (single DES for an 8-byte key,
 * 3DES for 16 or 24 bytes); the last ciphertext block, truncated to `length`. The key may be a
 * held 3DES key.
 */
export function cbcMacDes(key: Uint8Array | HeldKey, data: Uint8Array, options: MacOptions): Uint8Array {
  assertInt(options.length, 4, 8, 'MAC length');
  const iv = options.iv ?? ZERO8;
  assertKey(iv, [8], 'MAC IV');
  const padded = pad(data, 8, options.padding);
  // a held key (an HSM's 3DES key) runs the CBC pass where it is held
  if (isHeldKey(key)) return lastBlock(tdesCbcEncryptWith(key, padded, { iv }), options.length);
  assertKey(key, [8, 16, 24], 'CBC-MAC key');
  if (!useDesBlock(key, padded.length)) return lastBlock(runCipher('des-ede3-cbc', tdesKey24(key), iv, padded, false), options.length);
  const passes = key.length === 8 ? 1 : 3;
  return withTdesSchedule(key, false, (ks) => truncate(cbcMacBlocks(ks, passes, passes, iv, padded), options.length));
}

function lastBlock(out: Uint8Array, length: number): Uint8Array {
  return out.slice(out.length - 8, out.length - 8 + length);
}

function truncate(mac: Uint8Array, length: number): Uint8Array {
  return length === mac.length ? mac : mac.slice(0, length);
}

/**
 * A retail-MAC key (ISO 9797-1 MAC algorithm 3, 16-byte key K‖K') for repeated MACs under one key,
 * as an SCP02 session makes: single-DES CBC under K over all blocks, then the final block is
 * decrypted under K' and encrypted under K (§7.3, output transformation 3). Holds one 3DES
 * encryption schedule of K‖K'‖K (des-block.ts): its first pass is DES under K for the chain, all
 * three give E_K(D_K'(E_K(x))) for the last block. Call `destroy()` to wipe it.
 */
export class RetailMac {
  readonly #ks: Int32Array;
  #destroyed = false;

  constructor(key: Uint8Array) {
    assertKey(key, [16], 'retail MAC key');
    this.#ks = tdesSchedule(key, false);
  }

  /** The MAC of `data` with the given padding, length and initial chaining value. */
  mac(data: Uint8Array, options: MacOptions): Uint8Array {
    if (this.#destroyed) throw new CryptoError('ERR_CRYPTO_PARAM', 'retail MAC: used after destroy()');
    return retailMacWith(this.#ks, data, options);
  }

  /** Wipes the key schedule; the object cannot be used afterwards. */
  destroy(): void {
    this.#ks.fill(0);
    this.#destroyed = true;
  }
}

/** One-shot retail MAC (ISO 9797-1 MAC algorithm 3) of `data` under the 16-byte key K‖K'. */
export function retailMac(key: Uint8Array, data: Uint8Array, options: MacOptions): Uint8Array {
  assertKey(key, [16], 'retail MAC key');
  return withTdesSchedule(key, false, (ks) => retailMacWith(ks, data, options));
}

/** MAC algorithm 3 under the encryption schedule of K‖K'‖K. */
function retailMacWith(ks: Int32Array, data: Uint8Array, options: MacOptions): Uint8Array {
  assertInt(options.length, 4, 8, 'MAC length');
  const iv = options.iv ?? ZERO8;
  assertKey(iv, [8], 'MAC IV');
  const padded = pad(data, 8, options.padding);
  // §7.3: H_q = E_K(x_q ⊕ H_{q−1}) for every block, then output transformation 3 on H_q
  return truncate(cbcMacBlocks(ks, 1, 3, iv, padded), options.length);
}
