/** AES-CMAC (NIST SP 800-38B, RFC 4493), with truncation. */
import { assertInt, wipe } from '../bytes/index.ts';
import { assertKey, runCipher, type CipherName } from './cipher.ts';

const RB = 0x87; // RFC 4493 §2.3: R_128 = 0^120 || 10000111

/** RFC 4493 §2.3: left shift by one bit, XOR Rb when the top bit fell off. */
function dbl(block: Uint8Array): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < 15; i++) out[i] = ((block[i]! << 1) | (block[i + 1]! >> 7)) & 0xff;
  out[15] = (block[15]! << 1) & 0xff;
  if (block[0]! & 0x80) out[15] ^= RB;
  return out;
}

const ZERO16 = new Uint8Array(16);

/**
 * A CMAC key with its subkeys K1/K2 precomputed (RFC 4493 §2.3), for repeated MACs under one key
 * (secure-channel sessions). Each MAC is then a single AES-CBC pass: CMAC equals the last block of
 * CBC(K, 0, M1‖…‖M(n−1)‖(Mn ⊕ Ki)). Call `destroy()` to wipe the key material.
 */
export class AesCmac {
  readonly #key: Uint8Array;
  readonly #k1: Uint8Array;
  readonly #k2: Uint8Array;
  readonly #cbc: CipherName;

  constructor(key: Uint8Array) {
    assertKey(key, [16, 24, 32], 'AES-CMAC key');
    this.#key = key.slice();
    this.#cbc = `aes-${key.length * 8}-cbc` as CipherName;
    const l = runCipher(`aes-${key.length * 8}-ecb` as CipherName, this.#key, null, ZERO16, false);
    this.#k1 = dbl(l);
    this.#k2 = dbl(this.#k1);
    wipe(l);
  }

  /** The MAC of `data`, truncated to `length` bytes (RFC 4493 §2.4; SP 800-38B §5.5 allows truncation). */
  mac(data: Uint8Array, length = 16): Uint8Array {
    return this.macOf([data], length);
  }

  /** The MAC of the concatenation of `parts`, without concatenating them first. */
  macOf(parts: readonly Uint8Array[], length = 16): Uint8Array {
    assertInt(length, 1, 16, 'CMAC length');
    let total = 0;
    for (const p of parts) {
      if (!(p instanceof Uint8Array)) assertKey(p, [], 'CMAC data');
      total += p.length;
    }
    const complete = total > 0 && total % 16 === 0;
    const n = complete ? total / 16 : Math.floor(total / 16) + 1;
    const input = new Uint8Array(n * 16);
    let offset = 0;
    for (const p of parts) {
      input.set(p, offset);
      offset += p.length;
    }
    const last = (n - 1) * 16;
    if (!complete) input[total] = 0x80; // RFC 4493 §2.4 step 4: padding 10^i
    const sub = complete ? this.#k1 : this.#k2;
    for (let i = 0; i < 16; i++) input[last + i]! ^= sub[i]!;
    const out = runCipher(this.#cbc, this.#key, ZERO16, input, false);
    return out.slice(last, last + length);
  }

  /** Wipes the key and subkeys; the object is unusable afterwards. */
  destroy(): void {
    wipe(this.#key, this.#k1, this.#k2);
  }
}

/**
 * One-shot AES-CMAC of `data`, truncated to `options.length` bytes.
 * @example aesCmac(key, msg, { length: 16 })
 */
export function aesCmac(key: Uint8Array, data: Uint8Array, options: { length: number }): Uint8Array {
  const cmac = new AesCmac(key);
  try {
    return cmac.mac(data, options.length);
  } finally {
    cmac.destroy();
  }
}
