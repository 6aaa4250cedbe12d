/**
 * CMAC (NIST SP 800-38B) over AES (RFC 4493) and, LEGACY, over TDEA (the PRF and MAC of TR-31
 * version B key blocks), with truncation.
 */
import { assertInt, wipe } from '../bytes/index.ts';
import { assertKey, runCipher, type CipherName } from './cipher.ts';
import { tdesCbcEncrypt, tdesEcbEncrypt } from './des.ts';
import { CryptoError } from './errors.ts';

/** SP 800-38B §5.3: R_128 = 0^120 ‖ 10000111, R_64 = 0^59 ‖ 11011. */
const RB = { 16: 0x87, 8: 0x1b } as const;

/** SP 800-38B §6.1 steps 2–3 (RFC 4493 §2.3): shift left one bit, XOR Rb when the top bit fell off. */
function dbl(block: Uint8Array): Uint8Array {
  const n = block.length as 8 | 16;
  const out = new Uint8Array(n);
  for (let i = 0; i < n - 1; i++) out[i] = ((block[i]! << 1) | (block[i + 1]! >> 7)) & 0xff;
  const last = ((block[n - 1]! << 1) & 0xff) ^ (block[0]! & 0x80 ? RB[n] : 0);
  out[n - 1] = last;
  return out;
}

/**
 * SP 800-38B §6.2 steps 3–4: the message laid out for one CBC pass — the last block XORed with K1
 * when complete, else padded 10…0 and XORed with K2. Returns the input and where the last block starts.
 */
function cmacInput(parts: readonly Uint8Array[], block: number, k1: Uint8Array, k2: Uint8Array): { input: Uint8Array; last: number } {
  let total = 0;
  for (const p of parts) {
    if (!(p instanceof Uint8Array)) throw new CryptoError('ERR_CRYPTO_INPUT', 'CMAC data: expected Uint8Array');
    total += p.length;
  }
  const complete = total > 0 && total % block === 0;
  const n = complete ? total / block : Math.floor(total / block) + 1;
  const input = new Uint8Array(n * block);
  let offset = 0;
  for (const p of parts) {
    input.set(p, offset);
    offset += p.length;
  }
  const last = (n - 1) * block;
  if (!complete) input[total] = 0x80;
  const sub = complete ? k1 : k2;
  for (let i = 0; i < block; i++) input[last + i]! ^= sub[i]!;
  return { input, last };
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
    const { input, last } = cmacInput(parts, 16, this.#k1, this.#k2);
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

const ZERO8 = new Uint8Array(8);

/**
 * TDES-CMAC of `data` under a 2- or 3-key TDES key (an 8-byte key gives single-DES CMAC), truncated
 * to `options.length` bytes (SP 800-38B §6.2). LEGACY: TDEA is kept only for TR-31 version B.
 * @example tdesCmac(kbpk, derivationInput, { length: 8 })
 */
export function tdesCmac(key: Uint8Array, data: Uint8Array, options: { length: number }): Uint8Array {
  assertInt(options.length, 1, 8, 'TDES-CMAC length');
  const l = tdesEcbEncrypt(key, ZERO8); // checks the key length
  const k1 = dbl(l);
  const k2 = dbl(k1);
  const { input, last } = cmacInput([data], 8, k1, k2);
  const out = tdesCbcEncrypt(key, input, { iv: ZERO8 });
  wipe(l, k1, k2, input);
  return out.slice(last, last + options.length);
}
