/**
 * fDDA: the card's dynamic signature in the GET PROCESSING OPTIONS response (EMV Book 2 §6.5.2
 * Table 17 for the signed data format; EMV Book C-3 [M] for the fDDA version 01 terminal data;
 * docs/payment-application.md §3.1).
 */
import { createHash } from 'node:crypto';
import { concat } from '../../../bytes/index.ts';
import { randomBytes } from '../../../crypto/index.ts';
import { rsaPrivate, type RsaCrtKey } from './rsa-crt.ts';

/** The fDDA outputs: Signed Dynamic Application Data (9F4B) and Card Authentication Related Data (9F69). */
export interface FddaSignature {
  readonly sdad: Uint8Array;
  readonly cardAuthData: Uint8Array;
}

/**
 * Signs for fDDA version 01. `terminal` is the terminal dynamic data 9F37 ‖ 9F02 ‖ 5F2A (from the
 * PDOL); 9F69 = 01 ‖ card UN (4 random bytes) ‖ 0000 is appended to it.
 * - ICC dynamic data = 08 ‖ ICC dynamic number (8 random bytes), LDD = 9.
 * - Table 17: X = 6A ‖ 05 ‖ 01 ‖ LDD ‖ ICC dynamic data ‖ BB × (N − LDD − 25) ‖ H ‖ BC, with
 *   H = SHA-1(05 ‖ 01 ‖ LDD ‖ ICC dynamic data ‖ BB… ‖ terminal dynamic data).
 */
export function signFdda(key: RsaCrtKey, terminal: Uint8Array, random: (n: number) => Uint8Array = randomBytes): FddaSignature {
  const cardAuthData = concat(Uint8Array.of(0x01), random(4), Uint8Array.of(0x00, 0x00));
  const iccDynamic = concat(Uint8Array.of(0x08), random(8));
  const pad = new Uint8Array(key.modulusLength - iccDynamic.length - 25).fill(0xbb);
  const header = concat(Uint8Array.of(0x05, 0x01, iccDynamic.length), iccDynamic, pad);
  const h = new Uint8Array(createHash('sha1').update(header).update(terminal).update(cardAuthData).digest());
  const x = concat(Uint8Array.of(0x6a), header, h, Uint8Array.of(0xbc));
  return { sdad: rsaPrivate(key, x), cardAuthData };
}
