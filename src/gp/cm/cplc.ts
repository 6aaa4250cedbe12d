import { assertBytes, assertInt } from '../../bytes/index.ts';
import { badResponse } from './fail.ts';

/**
 * Card Production Life Cycle data, GET DATA '9F7F' (GP Card Specification 2.1.1 / Visa GP; layout
 * as in GlobalPlatformPro CPLC.java): 42 bytes of fixed fields, in this order.
 */
export const CPLC_FIELDS = [
  ['icFabricator', 2],
  ['icType', 2],
  ['osId', 2],
  ['osReleaseDate', 2],
  ['osReleaseLevel', 2],
  ['icFabricationDate', 2],
  ['icSerialNumber', 4],
  ['icBatchIdentifier', 2],
  ['icModuleFabricator', 2],
  ['icModulePackagingDate', 2],
  ['iccManufacturer', 2],
  ['icEmbeddingDate', 2],
  ['icPrePersonalizer', 2],
  ['icPrePersonalizationEquipmentDate', 2],
  ['icPrePersonalizationEquipmentId', 4],
  ['icPersonalizer', 2],
  ['icPersonalizationDate', 2],
  ['icPersonalizationEquipmentId', 4],
] as const;

/** A CPLC field name. */
export type CplcFieldName = (typeof CPLC_FIELDS)[number][0];
/** The length of CPLC data without its tag. */
export const CPLC_LENGTH = 42;

/** Parsed CPLC: each field's raw bytes (dates stay `YDDD` BCD; see {@link decodeCplcDate}). */
export type Cplc = { readonly kind: 'cplc' } & { readonly [K in CplcFieldName]: Uint8Array };

/**
 * Parses CPLC: exactly 42 bytes, or `9F7F 2A` followed by them (the GP-class GET DATA answer).
 * @example parseCplc(response.data).icSerialNumber
 */
export function parseCplc(data: Uint8Array): Cplc {
  assertBytes(data, undefined, 'CPLC');
  let body = data;
  if (data.length === CPLC_LENGTH + 3 && data[0] === 0x9f && data[1] === 0x7f && data[2] === CPLC_LENGTH) body = data.subarray(3);
  if (body.length !== CPLC_LENGTH) throw badResponse(`CPLC: ${data.length} bytes (42, or 45 with the 9F7F header)`);
  const out: Record<string, unknown> = { kind: 'cplc' };
  let offset = 0;
  for (const [name, length] of CPLC_FIELDS) {
    out[name] = body.slice(offset, offset + length);
    offset += length;
  }
  return Object.freeze(out) as Cplc;
}

/** A CPLC date resolved to a calendar day. */
export interface CplcDate {
  readonly year: number;
  readonly dayOfYear: number;
  /** ISO 8601 date, e.g. "2019-02-01". */
  readonly iso: string;
}

/**
 * Resolves a CPLC `YDDD` date (BCD: last digit of the year, day of year 001–366) to the most recent
 * matching day not after `reference` (as GPPro does relative to today). `0000`, `FFFF`, non-BCD
 * digits and impossible days give undefined. The reference is explicit so results are reproducible.
 * @example decodeCplcDate(hex`9032`, new Date('2020-01-01')) // 2019-02-01
 */
export function decodeCplcDate(raw: Uint8Array, reference: Date): CplcDate | undefined {
  assertBytes(raw, [2], 'CPLC date');
  if (!(reference instanceof Date) || Number.isNaN(reference.getTime())) throw badResponse('CPLC date: invalid reference date');
  const digits = [raw[0]! >> 4, raw[0]! & 15, raw[1]! >> 4, raw[1]! & 15];
  if (digits.some((d) => d > 9)) return undefined;
  const [y, d1, d2, d3] = digits as [number, number, number, number];
  const day = d1 * 100 + d2 * 10 + d3;
  const refYear = reference.getUTCFullYear();
  const refDay = dayOfYear(reference);
  let year = refYear - ((((refYear % 10) - y) % 10) + 10) % 10;
  if (year === refYear && day > refDay) year -= 10;
  if (day < 1 || day > (isLeap(year) ? 366 : 365)) return undefined;
  const date = new Date(Date.UTC(year, 0, day));
  return Object.freeze({ year, dayOfYear: day, iso: date.toISOString().slice(0, 10) });
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function dayOfYear(date: Date): number {
  const start = Date.UTC(date.getUTCFullYear(), 0, 1);
  const today = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  return (today - start) / 86_400_000 + 1;
}

/** Encodes a day as CPLC `YDDD` BCD (card side, e.g. personalization date). */
export function encodeCplcDate(year: number, day: number): Uint8Array {
  assertInt(year, 0, 9999, 'year');
  assertInt(day, 1, isLeap(year) ? 366 : 365, 'day of year');
  return Uint8Array.of(((year % 10) << 4) | Math.floor(day / 100), (Math.floor(day / 10) % 10 << 4) | (day % 10));
}
