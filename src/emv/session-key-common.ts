/**
 * EMV common session key derivation (EMV 4.4 Book 2 Annex A1.3.1, the "common session key" of
 * EMV SU-46), for TDES and AES, and the diversification values R the schemes feed it.
 */
import { concat, wipe } from '../bytes/index.ts';
import { aesEcbEncrypt, tdesEcbEncrypt } from '../crypto/index.ts';
import { assertEmvBytes, assertEmvOneOf } from './assert.ts';
import { withOddParity } from './key-parity.ts';

/**
 * A1.3.1: F1 = R with byte 2 replaced by F0, F2 = R with byte 2 replaced by 0F (R0‖R1‖F0‖R3…).
 */
function f1f2(r: Uint8Array): Uint8Array {
  const f = concat(r, r);
  f[2] = 0xf0;
  f[r.length + 2] = 0x0f;
  return f;
}

/**
 * TDES common session key (EMV 4.4 Book 2 A1.3.1): SK = DES3(MK)[F1] ‖ DES3(MK)[F2] with odd
 * parity, from a 16-byte ICC master key and an 8-byte diversification value R.
 * R is {@link atcDiversifier} for AC keys, the ARQC for secure-messaging keys, or
 * {@link mastercardDiversifier} for the Mastercard proprietary SKD.
 */
export function deriveCommonSessionKey(iccMk: Uint8Array, r: Uint8Array): Uint8Array {
  assertEmvBytes(iccMk, [16], 'ICC master key', 'ERR_EMV_KEY');
  assertEmvBytes(r, [8], 'diversification value R');
  const sk = tdesEcbEncrypt(iccMk, f1f2(r));
  const out = withOddParity(sk);
  wipe(sk);
  return out;
}

/**
 * AES common session key (EMV 4.4 Book 2 A1.3.1 with n = 128): for a 16-byte master key
 * SK = AES(MK)[R]; for 24 or 32 bytes SK = the leftmost k bits of AES(MK)[F1] ‖ AES(MK)[F2].
 * R is 16 bytes. No published vector in test/vectors covers this function (research/hsm-emv.md
 * §3.2 [D]); it is the same construction as the vector-checked TDES case with a 16-byte block.
 */
export function deriveCommonSessionKeyAes(iccMk: Uint8Array, r: Uint8Array): Uint8Array {
  assertEmvBytes(iccMk, [16, 24, 32], 'ICC master key (AES)', 'ERR_EMV_KEY');
  assertEmvBytes(r, [16], 'diversification value R (AES)');
  if (iccMk.length === 16) return aesEcbEncrypt(iccMk, r);
  const both = aesEcbEncrypt(iccMk, f1f2(r));
  const out = both.slice(0, iccMk.length);
  wipe(both);
  return out;
}

/**
 * R = ATC ‖ 00… for the AC session key (EMV 4.4 Book 2 A1.3.1), 8 bytes for TDES or 16 for AES.
 * @example atcDiversifier(hex`001C`, 8) // 001C000000000000
 */
export function atcDiversifier(atc: Uint8Array, blockLength: 8 | 16): Uint8Array {
  assertEmvBytes(atc, [2], 'ATC (9F36)');
  assertEmvOneOf(blockLength, [8, 16], 'diversifier block length');
  const r = new Uint8Array(blockLength);
  r.set(atc);
  return r;
}

/**
 * R = ARQC (TDES) or ARQC ‖ 00×8 (AES) for the secure-messaging session keys (EMV 4.4 Book 2
 * A1.3.1: "R := AC"). The AES form is from research/hsm-emv.md §3.2 [D], not vector-checked.
 */
export function arqcDiversifier(arqc: Uint8Array, blockLength: 8 | 16): Uint8Array {
  assertEmvBytes(arqc, [8], 'ARQC (9F26)');
  assertEmvOneOf(blockLength, [8, 16], 'diversifier block length');
  const r = new Uint8Array(blockLength);
  r.set(arqc);
  return r;
}

/**
 * R = ATC ‖ 00 00 ‖ UN, the Mastercard proprietary session key derivation (M/Chip "SKD") fed to
 * the common function, as pyemv 1.5.0's Mastercard CVN 16/17 and Interac CVN 133 use it
 * (research/hsm-emv.md §3.2; vectors sk/*cvn133*, arqc/*cvn16*).
 */
export function mastercardDiversifier(atc: Uint8Array, unpredictableNumber: Uint8Array): Uint8Array {
  assertEmvBytes(atc, [2], 'ATC (9F36)');
  assertEmvBytes(unpredictableNumber, [4], 'unpredictable number (9F37)');
  const r = new Uint8Array(8);
  r.set(atc, 0);
  r.set(unpredictableNumber, 4);
  return r;
}
