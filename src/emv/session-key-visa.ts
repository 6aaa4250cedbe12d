/**
 * Visa secure-messaging session key (Visa Integrated Circuit Card Specification, as implemented by
 * pyemv 1.5.0 kd.derive_visa_sm_sk and used by its Visa CVN 10/18 profiles; research/hsm-emv.md
 * §3.2): the ICC master key XORed with the ATC, no encryption.
 */
import { concat, wipe, xor } from '../bytes/index.ts';
import { assertEmvBytes } from './assert.ts';
import { withOddParity } from './key-parity.ts';

/**
 * SK_L = MK_L ⊕ (00×6 ‖ ATC), SK_R = MK_R ⊕ (00×6 ‖ (ATC ⊕ FFFF)), then odd parity.
 * @example deriveVisaSmSessionKey(hex`0123456789ABCDEFFEDCBA9876543210`, hex`001C`) // 0123456789ABCDF2FEDCBA987654CDF2
 */
export function deriveVisaSmSessionKey(iccMk: Uint8Array, atc: Uint8Array): Uint8Array {
  assertEmvBytes(iccMk, [16], 'ICC master key', 'ERR_EMV_KEY');
  assertEmvBytes(atc, [2], 'ATC (9F36)');
  const left = new Uint8Array(8);
  left.set(atc, 6);
  const right = new Uint8Array(8);
  right[6] = atc[0]! ^ 0xff;
  right[7] = atc[1]! ^ 0xff;
  const raw = concat(xor(iccMk.subarray(0, 8), left), xor(iccMk.subarray(8), right));
  const sk = withOddParity(raw);
  wipe(raw);
  return sk;
}
