/**
 * Card identifiers the factory hands out: ICCIDs (ITU-T E.118), GP IIN / CIN, CPLC (GPC 2.3.1
 * GET DATA '9F7F', layout as in gp/cm/cplc.ts) and the key diversification data derived from it.
 * Decimal ranges are strings of digits so that 19- and 20-digit numbers stay exact.
 */
import { concat, fromHex, uintBe } from '../../bytes/index.ts';
import { CPLC_FIELDS, encodeCplcDate } from '../../gp/index.ts';
import { SeError } from '../errors.ts';

const DIGITS = /^[0-9]+$/;

function bad(message: string): never {
  throw new SeError('ERR_SE_CONFIG', message);
}

/** Checks a decimal string of `min`–`max` digits. */
export function assertDigits(value: string, min: number, max: number, what: string): void {
  if (typeof value !== 'string' || !DIGITS.test(value) || value.length < min || value.length > max) {
    bad(`${what} must be ${min === max ? min : `${min} to ${max}`} decimal digits, got ${JSON.stringify(value)}`);
  }
}

/** `value + n` for a decimal string, keeping its width; refuses an overflow of the range. */
export function addDecimal(value: string, n: number, what: string): string {
  const sum = (BigInt(value) + BigInt(n)).toString().padStart(value.length, '0');
  if (sum.length > value.length) bad(`${what} range ${value} + ${n} overflows ${value.length} digits`);
  return sum;
}

/** The Luhn check digit of `digits` (ISO/IEC 7812-1 Annex B; ITU-T E.118 §4.2 uses it for the ICCID). */
export function luhnDigit(digits: string): string {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

/**
 * EF ICCID content (ETSI TS 102 221 §13.2): 10 bytes of BCD, each byte's nibbles swapped, the
 * unused trailing nibble of a 19-digit ICCID set to F.
 * @example encodeIccid('8988211000000000017') // 98 88 12 01 00 00 00 00 10 F7
 */
export function encodeIccid(iccid: string): Uint8Array {
  assertDigits(iccid, 19, 20, 'ICCID');
  const padded = iccid.padEnd(20, 'F');
  const out = new Uint8Array(10);
  for (let i = 0; i < 10; i++) out[i] = parseInt(padded[2 * i + 1]! + padded[2 * i]!, 16);
  return out;
}

/** Packed BCD, left-padded with 0 to `bytes` bytes (GP IIN '42' / CIN '45' as OpenTSM codes them). */
export function bcd(digits: string, bytes: number, what: string): Uint8Array {
  assertDigits(digits, 1, 2 * bytes, what);
  return fromHex(digits.padStart(2 * bytes, '0'));
}

/** BCD of an IIN (ISO/IEC 7812: 6–8 digits, up to 12 accepted), F-padded to whole bytes. */
export function encodeIin(iin: string): Uint8Array {
  assertDigits(iin, 1, 12, 'IIN');
  return fromHex(iin.length % 2 === 0 ? iin : `${iin}F`);
}

/** What varies per card in its CPLC; the rest is the factory's constant data. */
export interface CplcInput {
  readonly icSerial: number;
  /** IC batch identifier, the same for every card of a batch (2 bytes). */
  readonly batchId: number;
  readonly date: Date;
}

/** OpenTSM's fabricator / type / OS codes in the CPLC ("OT", a made-up code: this is a virtual card). */
const FACTORY_CODE = 0x4f54;

/** The 42-byte CPLC of one card (field order of gp/cm CPLC_FIELDS). */
export function buildCplc(input: CplcInput): Uint8Array {
  const start = Date.UTC(input.date.getUTCFullYear(), 0, 1);
  const day = Math.floor((input.date.getTime() - start) / 86_400_000) + 1;
  const date = encodeCplcDate(input.date.getUTCFullYear(), day);
  const values: Record<string, Uint8Array> = {
    icFabricator: uintBe(FACTORY_CODE, 2),
    icType: uintBe(0x0001, 2),
    osId: uintBe(FACTORY_CODE, 2),
    osReleaseDate: date,
    osReleaseLevel: uintBe(0x0100, 2),
    icFabricationDate: date,
    icSerialNumber: uintBe(input.icSerial, 4, 'IC serial number'),
    icBatchIdentifier: uintBe(input.batchId, 2, 'IC batch identifier'),
    icModuleFabricator: uintBe(FACTORY_CODE, 2),
    icModulePackagingDate: date,
    iccManufacturer: uintBe(FACTORY_CODE, 2),
    icEmbeddingDate: date,
    icPrePersonalizer: uintBe(FACTORY_CODE, 2),
    icPrePersonalizationEquipmentDate: date,
    icPersonalizer: uintBe(FACTORY_CODE, 2),
    icPersonalizationDate: date,
  };
  return concat(...CPLC_FIELDS.map(([name, length]) => values[name] ?? new Uint8Array(length)));
}

/**
 * Key diversification data (10 bytes, returned in INITIALIZE UPDATE): IC fabricator ‖ IC type ‖ IC
 * serial ‖ IC batch, from the CPLC. Every GPPro template reads a unique part: EMV bytes 4–9
 * (serial ‖ batch), VISA2 bytes 0–1 and 4–7 (fabricator ‖ serial), KDF3 all ten.
 */
export function kddFromCplc(cplc: Uint8Array): Uint8Array {
  return concat(cplc.subarray(0, 4), cplc.subarray(12, 18));
}
