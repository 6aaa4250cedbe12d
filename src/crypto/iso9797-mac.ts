/**
 * ISO/IEC 9797-1:2011 MAC algorithms 1 (CBC-MAC) and 3 (the "retail MAC", ANSI X9.19), over DES
 * and 3DES. LEGACY: the retail MAC chains single DES (see des.ts); it remains the SCP02 C-MAC and
 * the EMV secure-messaging MAC.
 */
import { createCipheriv, type Cipher } from 'node:crypto';
import { assertInt, concat, wipe, xor } from '../bytes/index.ts';
import { assertKey, fromBuffer, runCipher } from './cipher.ts';
import { tdesKey24 } from './des.ts';
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
  const out = isHeldKey(key) ? tdesCbcEncryptWith(key, padded, { iv }) : runCipher('des-ede3-cbc', tdesKey24(key, 'CBC-MAC key'), iv, padded, false);
  return out.slice(out.length - 8, out.length - 8 + options.length);
}

/**
 * A retail-MAC key (ISO 9797-1 MAC algorithm 3, 16-byte key K‖K') for repeated MACs under one key,
 * as an SCP02 session makes: single-DES CBC under K over all blocks, then the final block is
 * decrypted under K' and encrypted under K (§7.3, output transformation 3). Computed as one DES-CBC
 * pass over the first n−1 blocks plus one 3DES-EDE(K,K',K) block on a cipher kept for the key.
 * Call `destroy()` to wipe the key.
 */
export class RetailMac {
  readonly #k1x3: Uint8Array;
  readonly #ede: Cipher;
  readonly #key: Uint8Array;

  constructor(key: Uint8Array) {
    assertKey(key, [16], 'retail MAC key');
    this.#key = key.slice();
    const k1 = this.#key.subarray(0, 8);
    this.#k1x3 = concat(k1, k1, k1);
    // ECB is stateless between blocks, so one cipher object serves every final block.
    this.#ede = createCipheriv('des-ede3-ecb', tdesKey24(this.#key), null);
    this.#ede.setAutoPadding(false);
  }

  /** The MAC of `data` with the given padding, length and initial chaining value. */
  mac(data: Uint8Array, options: MacOptions): Uint8Array {
    assertInt(options.length, 4, 8, 'MAC length');
    const iv = options.iv ?? ZERO8;
    assertKey(iv, [8], 'MAC IV');
    const padded = pad(data, 8, options.padding);
    let chain = iv;
    const head = padded.length - 8;
    if (head > 0) {
      const cbc = runCipher('des-ede3-cbc', this.#k1x3, iv, padded.subarray(0, head), false);
      chain = cbc.subarray(head - 8);
    }
    // E_K(D_K'(E_K(x))) is 3DES-EDE with K1=K, K2=K', K3=K.
    const mac = fromBuffer(this.#ede.update(xor(chain, padded.subarray(head))));
    return mac.slice(0, options.length);
  }

  /** Wipes the key copies held in JavaScript and drops the cipher context. */
  destroy(): void {
    wipe(this.#key, this.#k1x3);
    this.#ede.final();
  }
}

/** One-shot retail MAC (ISO 9797-1 MAC algorithm 3) of `data` under the 16-byte key K‖K'. */
export function retailMac(key: Uint8Array, data: Uint8Array, options: MacOptions): Uint8Array {
  const m = new RetailMac(key);
  try {
    return m.mac(data, options);
  } finally {
    m.destroy();
  }
}
