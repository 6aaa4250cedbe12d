/**
 * NIST SP 800-108 Rev. 1 §4.1 KDF in counter mode with AES-CMAC as the PRF and an 8-bit counter, in
 * the two layouts GlobalPlatform uses: counter in the middle (GPC Amd D v1.1.1 §4.1.5, SCP03) and
 * counter first (GlobalPlatformPro's "KDF3" diversification).
 */
import { assertBytes, assertInt, concat, wipe } from '../bytes/index.ts';
import { AesCmac } from './cmac.ts';
import { CryptoError } from './errors.ts';
import { aesCmacWith, assertKeyOrHeld, isHeldKey, type HeldKey } from './held-key.ts';

export interface CounterKdfInput {
  /** Fixed input before the counter byte (empty for the counter-first layout). */
  fixedBefore: Uint8Array;
  /** Fixed input after the counter byte. */
  fixedAfter: Uint8Array;
  /** Output length in bytes (1..4080: 255 blocks of an 8-bit counter). */
  length: number;
}

/**
 * SP 800-108 counter-mode KDF: K(i) = CMAC(KI, before ‖ [i]₈ ‖ after), i = 1…n, output truncated.
 * `key` is AES key bytes or a held AES key (an HSM computes each CMAC; the output is returned).
 */
export function kdfCounterCmac(key: Uint8Array | HeldKey, input: CounterKdfInput): Uint8Array {
  assertBytes(input.fixedBefore, undefined, 'KDF fixed input before the counter');
  assertBytes(input.fixedAfter, undefined, 'KDF fixed input after the counter');
  assertInt(input.length, 1, 255 * 16, 'KDF output length');
  assertKeyOrHeld(key, 'aes', [16, 24, 32], 'KDF key');
  const cmac = isHeldKey(key) ? undefined : new AesCmac(key);
  const prf = (msg: Uint8Array): Uint8Array => (cmac === undefined ? aesCmacWith(key, msg, { length: 16 }) : cmac.mac(msg, 16));
  try {
    const blocks = Math.ceil(input.length / 16);
    const msg = concat(input.fixedBefore, new Uint8Array(1), input.fixedAfter);
    const out = new Uint8Array(blocks * 16);
    for (let i = 1; i <= blocks; i++) {
      msg[input.fixedBefore.length] = i;
      out.set(prf(msg), (i - 1) * 16);
    }
    const result = out.slice(0, input.length);
    wipe(out);
    return result;
  } finally {
    cmac?.destroy();
  }
}

/**
 * The SCP03 data derivation function (GPC Amd D v1.1.1 §4.1.5): label = 11 zero bytes ‖ constant,
 * separator 00, L as 2 bytes in bits, counter, then the context.
 */
export function scp03Kdf(key: Uint8Array | HeldKey, derivationConstant: number, context: Uint8Array, lengthBits: number): Uint8Array {
  assertInt(derivationConstant, 0, 0xff, 'SCP03 derivation constant');
  assertInt(lengthBits, 8, 0xffff, 'SCP03 KDF length in bits');
  if (lengthBits % 8 !== 0) throw new CryptoError('ERR_CRYPTO_PARAM', `SCP03 KDF length must be whole bytes, got ${lengthBits} bits`);
  const before = new Uint8Array(16);
  before[11] = derivationConstant; // Amd D Table 4-1: label is 11 bytes of 00 then the constant
  before[12] = 0x00; // separation indicator
  before[13] = lengthBits >> 8; // L, 2 bytes, big endian, in bits
  before[14] = lengthBits & 0xff;
  return kdfCounterCmac(key, { fixedBefore: before.subarray(0, 15), fixedAfter: context, length: lengthBits / 8 });
}
