/**
 * The address fields of SMS TPDUs (3GPP TS 23.040 §9.1.2.5): digit count, type of address, then
 * the digits as swapped semi-octets, F-filled. Decimal digits only (no alphanumeric addresses).
 */
import { concat, type ByteReader } from '../bytes/index.ts';
import { OtaError } from './errors.ts';

/** An address: its digits (0–9) and type-of-address octet (e.g. 0x81 unknown/ISDN, 0x91 international). */
export interface SmsAddress {
  readonly digits: string;
  readonly typeOfAddress: number;
}

/** Encodes an address field (§9.1.2.5). `role` names it in errors (TP-OA, TP-DA). */
export function encodeSmsAddress(address: SmsAddress, role: string): Uint8Array {
  const { digits, typeOfAddress } = address;
  if (!/^[0-9]{1,20}$/.test(digits)) throw new OtaError('ERR_OTA_PARAM', `${role}: expected 1 to 20 decimal digits, got ${digits.length} characters`);
  if (!Number.isInteger(typeOfAddress) || typeOfAddress < 0x80 || typeOfAddress > 0xff) {
    throw new OtaError('ERR_OTA_PARAM', `${role}: type of address must be 0x80..0xFF`);
  }
  const padded = digits.length % 2 === 0 ? digits : `${digits}F`;
  const semi = Uint8Array.from({ length: padded.length / 2 }, (_, i) => parseInt(padded[2 * i + 1]! + padded[2 * i]!, 16));
  return concat(Uint8Array.of(digits.length, typeOfAddress), semi);
}

/** Reads an address field; refuses non-decimal digits and a wrong filler. */
export function readSmsAddress(r: ByteReader, role: string): SmsAddress {
  const count = r.u8(`${role} length`);
  if (count > 20) throw new OtaError('ERR_OTA_PARSE', `${role}: ${count} digits, at most 20`);
  const typeOfAddress = r.u8(`${role} type of address`);
  if (typeOfAddress < 0x80) throw new OtaError('ERR_OTA_PARSE', `${role}: type of address ${typeOfAddress.toString(16)} lacks bit 8`);
  const semi = r.bytes(Math.ceil(count / 2), `${role} digits`);
  let digits = '';
  for (const b of semi) digits += (b & 0x0f).toString(16) + (b >> 4).toString(16);
  if (count % 2 === 1 && digits[count] !== 'f') throw new OtaError('ERR_OTA_PARSE', `${role}: odd digit count without the F filler`);
  digits = digits.slice(0, count);
  if (!/^[0-9]*$/.test(digits)) throw new OtaError('ERR_OTA_PARSE', `${role}: non-decimal digits (alphanumeric addresses are not supported)`);
  return Object.freeze({ digits, typeOfAddress });
}
