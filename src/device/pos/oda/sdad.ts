/**
 * Verification of the Signed Dynamic Application Data (9F4B) of fDDA (EMV Book 2 §6.5.2 Table 17, as
 * EMV Book C-3 uses it; docs/payment-application.md §3.1): recovered with the ICC public key,
 * X = 6A ‖ 05 ‖ 01 ‖ LDD ‖ ICC dynamic data ‖ BB… ‖ H ‖ BC, where
 * H = SHA-1(05 ‖ 01 ‖ LDD ‖ ICC dynamic data ‖ BB… ‖ terminal dynamic data) and the terminal dynamic
 * data is 9F37 ‖ 9F02 ‖ 5F2A ‖ 9F69 (fDDA version 01).
 */
import { hashMatches, recover, type RsaPublicKey } from './rsa-recover.ts';

/** Book 2 §6.5.2 steps 1–7: whether `sdad` is the card's signature over `terminalDynamicData`. */
export function verifySdad(icc: RsaPublicKey, sdad: Uint8Array, terminalDynamicData: Uint8Array): boolean {
  const n = icc.modulus.length;
  // steps 1–2: the SDAD has the ICC modulus length and recovers to 6A … BC
  const x = recover(icc, sdad);
  if (x === undefined) return false;
  // step 3: signed data format 05; step 4: hash algorithm 01
  if (x[1] !== 0x05 || x[2] !== 0x01) return false;
  // Table 17: LDD fits, and the ICC dynamic data starts with its dynamic number's length (2..8)
  const ldd = x[3]!;
  if (ldd < 1 || ldd > n - 25) return false;
  const numberLength = x[4]!;
  if (numberLength < 2 || numberLength > 8 || numberLength + 1 > ldd) return false;
  // padding BB between the ICC dynamic data and the hash
  if (x.subarray(4 + ldd, n - 21).some((b) => b !== 0xbb)) return false;
  // steps 5–7: the hash covers the recovered fields and the terminal dynamic data
  return hashMatches(x, terminalDynamicData);
}
