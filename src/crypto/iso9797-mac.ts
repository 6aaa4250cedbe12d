/**
 * ISO/IEC 9797-1:2011 MAC algorithms 1 (CBC-MAC) and 3 (the "retail MAC", ANSI X9.19), over DES
 * and 3DES. LEGACY: the retail MAC chains single DES (see des.ts); it remains the SCP02 C-MAC and
 * the EMV secure-messaging MAC.
 */
import { assertInt, concat, xor } from '../bytes/index.ts';
import { assertKey, runCipher } from './cipher.ts';
import { tdesKey24 } from './des.ts';
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
 * 3DES for 16 or 24 bytes); the last ciphertext block, truncated to `length`.
 */
export function cbcMacDes(key: Uint8Array, data: Uint8Array, options: MacOptions): Uint8Array {
  assertInt(options.length, 4, 8, 'MAC length');
  const iv = options.iv ?? ZERO8;
  assertKey(iv, [8], 'MAC IV');
  const padded = pad(data, 8, options.padding);
  const out = runCipher('des-ede3-cbc', tdesKey24(key, 'CBC-MAC key'), iv, padded, false);
  return out.slice(out.length - 8, out.length - 8 + options.length);
}

/**
 * ISO 9797-1 MAC algorithm 3 (retail MAC) with a 16-byte key K‖K': single-DES CBC under K over all
 * blocks, then the final block is decrypted under K' and encrypted under K (§7.3, output
 * transformation 3). Computed as DES-CBC over the first n−1 blocks plus one 3DES-EDE(K,K',K) block.
 */
export function retailMac(key: Uint8Array, data: Uint8Array, options: MacOptions): Uint8Array {
  assertKey(key, [16], 'retail MAC key');
  assertInt(options.length, 4, 8, 'MAC length');
  const iv = options.iv ?? ZERO8;
  assertKey(iv, [8], 'MAC IV');
  const padded = pad(data, 8, options.padding);
  const k1 = key.subarray(0, 8);
  let chain = iv;
  const head = padded.length - 8;
  if (head > 0) {
    const cbc = runCipher('des-ede3-cbc', concat(k1, k1, k1), iv, padded.subarray(0, head), false);
    chain = cbc.subarray(head - 8);
  }
  const last = xor(chain, padded.subarray(head));
  // E_K(D_K'(E_K(x))) is 3DES-EDE with K1=K, K2=K', K3=K.
  const mac = runCipher('des-ede3-ecb', tdesKey24(key), null, last, false);
  return mac.slice(0, options.length);
}
