/**
 * The Security Parameter Indicator of an SCP80 command packet (ETSI TS 102 225 §5.1.1): two bytes,
 * decoded to a frozen value and encoded back. Reserved bits and the reserved PoR mode are refused,
 * so `encodeSpi(parseSpi(b))` is `b` for every accepted input.
 */
import { assertBytes } from '../bytes/index.ts';
import { OtaError } from './errors.ts';

/** First byte b2b1 and second byte b4b3: no check, Redundancy Check, Cryptographic Checksum, Digital Signature. */
export const RC_CC_DS = ['none', 'rc', 'cc', 'ds'] as const;
export type RcCcDs = (typeof RC_CC_DS)[number];

/**
 * First byte b5b4 (§5.1.1): no counter; counter present, not checked; process only if higher than
 * the card's; process only if exactly one higher.
 */
export const COUNTER_MODES = ['none', 'no-check', 'higher', 'one-higher'] as const;
export type CounterMode = (typeof COUNTER_MODES)[number];

/** Second byte b2b1: no PoR, PoR required, PoR only on error (11 is reserved). */
export const POR_MODES = ['none', 'required', 'on-error'] as const;
export type PorMode = (typeof POR_MODES)[number];

/** Second byte b6: PoR returned in the SMS-DELIVER-REPORT (0) or in an SMS-SUBMIT (1). */
export const POR_VIA = ['deliver-report', 'submit'] as const;
export type PorVia = (typeof POR_VIA)[number];

/** A decoded SPI. */
export interface Spi {
  readonly kind: 'spi';
  readonly rcCcDs: RcCcDs;
  readonly ciphered: boolean;
  readonly counter: CounterMode;
  readonly por: PorMode;
  readonly porRcCcDs: RcCcDs;
  readonly porCiphered: boolean;
  readonly porVia: PorVia;
}

/** Builds a frozen SPI value from its fields. */
export function spi(fields: Omit<Spi, 'kind'>): Spi {
  return Object.freeze({ kind: 'spi', ...fields });
}

/**
 * Decodes the two SPI bytes (§5.1.1).
 * @example parseSpi(fromHex('1639')) // CC, ciphered, counter higher; PoR required with CC, ciphered, via SMS-SUBMIT
 */
export function parseSpi(bytes: Uint8Array): Spi {
  assertBytes(bytes, [2], 'SPI');
  const b1 = bytes[0]!;
  const b2 = bytes[1]!;
  if ((b1 & 0xe0) !== 0) throw new OtaError('ERR_OTA_PARSE', `SPI byte 1: reserved bits b8-b6 set (${hex2(b1)})`);
  if ((b2 & 0xc0) !== 0) throw new OtaError('ERR_OTA_PARSE', `SPI byte 2: reserved bits b8-b7 set (${hex2(b2)})`);
  const por = POR_MODES[b2 & 0x03];
  if (por === undefined) throw new OtaError('ERR_OTA_PARSE', `SPI byte 2: PoR mode 11 is reserved (${hex2(b2)})`);
  return spi({
    rcCcDs: RC_CC_DS[b1 & 0x03]!,
    ciphered: (b1 & 0x04) !== 0,
    counter: COUNTER_MODES[(b1 >> 3) & 0x03]!,
    por,
    porRcCcDs: RC_CC_DS[(b2 >> 2) & 0x03]!,
    porCiphered: (b2 & 0x10) !== 0,
    porVia: (b2 & 0x20) !== 0 ? 'submit' : 'deliver-report',
  });
}

/** Encodes an SPI to its two bytes (§5.1.1). */
export function encodeSpi(value: Spi): Uint8Array {
  const b1 = index(RC_CC_DS, value.rcCcDs, 'SPI RC/CC/DS') | (value.ciphered ? 0x04 : 0) | (index(COUNTER_MODES, value.counter, 'SPI counter mode') << 3);
  const b2 =
    index(POR_MODES, value.por, 'SPI PoR mode') |
    (index(RC_CC_DS, value.porRcCcDs, 'SPI PoR RC/CC/DS') << 2) |
    (value.porCiphered ? 0x10 : 0) |
    (index(POR_VIA, value.porVia, 'SPI PoR transport') << 5);
  return Uint8Array.of(b1, b2);
}

function index<T extends string>(table: readonly T[], v: T, name: string): number {
  const i = table.indexOf(v);
  if (i < 0) throw new OtaError('ERR_OTA_PARAM', `${name}: expected one of ${table.join(', ')}, got ${String(v)}`);
  return i;
}

function hex2(b: number): string {
  return b.toString(16).padStart(2, '0');
}
