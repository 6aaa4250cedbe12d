/**
 * TDES-CMAC: CMAC (NIST SP 800-38B) over the 64-bit block cipher TDEA, the PRF and MAC of TR-31
 * version B. LEGACY: TDEA is kept only for TR-31 B key blocks.
 */
import { assertInt, wipe } from '../../bytes/index.ts';
import { tdesCbcEncrypt, tdesEcbEncrypt } from '../des.ts';
import { CryptoError } from '../errors.ts';

const RB_64 = 0x1b; // SP 800-38B §5.3: R_64 = 0^59 ‖ 11011
const ZERO8 = new Uint8Array(8);

/** SP 800-38B §6.1 step 2/3: shift left one bit, XOR R_64 when the top bit fell off. */
function dbl(block: Uint8Array): Uint8Array {
  const out = new Uint8Array(8);
  for (let i = 0; i < 7; i++) out[i] = ((block[i]! << 1) | (block[i + 1]! >> 7)) & 0xff;
  out[7] = (block[7]! << 1) & 0xff;
  if (block[0]! & 0x80) out[7] ^= RB_64;
  return out;
}

/**
 * TDES-CMAC of `data` under a 2- or 3-key TDES key (an 8-byte key gives single-DES CMAC), truncated
 * to `options.length` bytes (SP 800-38B §6.2).
 * @example tdesCmac(kbpk, derivationInput, { length: 8 })
 */
export function tdesCmac(key: Uint8Array, data: Uint8Array, options: { length: number }): Uint8Array {
  assertInt(options.length, 1, 8, 'TDES-CMAC length');
  if (!(data instanceof Uint8Array)) throw new CryptoError('ERR_CRYPTO_INPUT', 'TDES-CMAC data: expected Uint8Array');
  const l = tdesEcbEncrypt(key, ZERO8); // checks the key length
  const k1 = dbl(l);
  const k2 = dbl(k1);
  const complete = data.length > 0 && data.length % 8 === 0;
  const n = complete ? data.length / 8 : Math.floor(data.length / 8) + 1;
  const input = new Uint8Array(n * 8);
  input.set(data);
  if (!complete) input[data.length] = 0x80; // SP 800-38B §6.2 step 3: M_n* ‖ 10^j
  const sub = complete ? k1 : k2;
  const last = (n - 1) * 8;
  for (let i = 0; i < 8; i++) input[last + i]! ^= sub[i]!;
  const out = tdesCbcEncrypt(key, input, { iv: ZERO8 });
  wipe(l, k1, k2, input);
  return out.slice(last, last + options.length);
}
