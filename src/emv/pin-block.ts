/**
 * ISO 9564-1:2017 PIN block formats 0, 1, 2 and 3 (8 bytes, TDES-era; §9.1–9.3 and 9.5). The
 * formats differ only in their control nibble, fill and whether a PAN field is XORed in, so they
 * are one data table and one encoder/decoder.
 */
import { wipe, xor } from '../bytes/index.ts';
import { assertDigits, assertEmvBytes, assertEmvOneOf } from './assert.ts';
import { digitNibbles, nibblesToDigits, packDigits, packNibbles, unpackNibbles } from './digits.ts';
import { EmvError } from './errors.ts';
import { PIN_DIGITS, assertPin } from './pin.ts';
import { anyFillNibbles, csprng, letterFillNibbles, type RandomSource } from './random.ts';

/** The 8-byte formats as data (CONVENTIONS.md §10). */
export const PIN_BLOCK_FORMATS = {
  /** Format 0 (ANSI X9.8): fill F, XOR the PAN field. */
  0: { control: 0x0, fill: 'F', panField: true },
  /** Format 1: random fill 0–F (transaction-unique), no PAN. */
  1: { control: 0x1, fill: 'random', panField: false },
  /** Format 2: fill F, no PAN; for ICC offline PIN (VERIFY, PIN CHANGE) only. */
  2: { control: 0x2, fill: 'F', panField: false },
  /** Format 3: random fill A–F, XOR the PAN field. */
  3: { control: 0x3, fill: 'random-letters', panField: true },
} as const;

/** A format of {@link PIN_BLOCK_FORMATS}. */
export type PinBlockFormat = keyof typeof PIN_BLOCK_FORMATS;

/** PAN lengths accepted for formats 0 and 3 (ISO/IEC 7812-1: 8 to 19 digits). */
export const PIN_BLOCK_PAN_DIGITS = { min: 8, max: 19 } as const;

/** Encoding options: the PAN for formats 0 and 3, the random source for 1 and 3 (default CSPRNG). */
export type PinBlockOptions =
  | { format: 0; pan: string }
  | { format: 1; random?: RandomSource }
  | { format: 2 }
  | { format: 3; pan: string; random?: RandomSource };

/** Decoding options: the PAN for formats 0 and 3. */
export type PinBlockDecodeOptions = { format: 0 | 3; pan: string } | { format: 1 | 2 };

const FORMATS = [0, 1, 2, 3] as const;

/**
 * The PAN field of formats 0 and 3 (ISO 9564-1 §9.1.2): 0000 then the 12 rightmost PAN digits
 * excluding the check digit, left-padded with zeros if there are fewer.
 */
export function panField(pan: string): Uint8Array {
  assertDigits(pan, PIN_BLOCK_PAN_DIGITS.min, PIN_BLOCK_PAN_DIGITS.max, 'PAN', 'ERR_EMV_PAN');
  return packDigits(`0000${pan.slice(0, -1).slice(-12).padStart(12, '0')}`);
}

/**
 * Encodes an 8-byte ISO 9564-1 PIN block (clear: the caller enciphers it).
 * @example encodePinBlock('1234', { format: 0, pan: '5544332211009966' }) // 041277CDDEEFF669 (psec)
 */
export function encodePinBlock(pin: string, options: PinBlockOptions): Uint8Array {
  assertEmvOneOf(options?.format, FORMATS, 'PIN block format');
  assertPin(pin);
  const spec = PIN_BLOCK_FORMATS[options.format];
  const fillCount = 14 - pin.length;
  const random = ('random' in options ? options.random : undefined) ?? csprng;
  const fill =
    spec.fill === 'F'
      ? new Array<number>(fillCount).fill(0xf)
      : spec.fill === 'random'
        ? anyFillNibbles(random, fillCount)
        : letterFillNibbles(random, fillCount);
  // §9.x: C ‖ N ‖ P…P ‖ fill, 16 nibbles.
  const pinPart = packNibbles([spec.control, pin.length, ...digitNibbles(pin), ...fill]);
  if (!spec.panField) return pinPart;
  const out = xor(pinPart, panField((options as { pan: string }).pan));
  wipe(pinPart);
  return out;
}

/**
 * Decodes an 8-byte ISO 9564-1 PIN block and returns the PIN. Any malformation (control nibble,
 * length, non-digit, fill) is one fixed ERR_EMV_PIN_BLOCK message per format: no detail that would
 * make the decoder an oracle, and never a digit of the block.
 */
export function decodePinBlock(block: Uint8Array, options: PinBlockDecodeOptions): string {
  assertEmvOneOf(options?.format, FORMATS, 'PIN block format');
  assertEmvBytes(block, [8], 'PIN block');
  const spec = PIN_BLOCK_FORMATS[options.format];
  const field = spec.panField ? panField((options as { pan: string }).pan) : undefined;
  const clear = field === undefined ? block.slice() : xor(block, field);
  const n = unpackNibbles(clear);
  wipe(clear);
  const length = n[1]!;
  let ok = n[0] === spec.control && length >= PIN_DIGITS.min && length <= PIN_DIGITS.max;
  for (let i = 2; i < 16; i++) {
    const v = n[i]!;
    const inPin = i < 2 + length;
    if (inPin) ok &&= v <= 9;
    else if (spec.fill === 'F') ok &&= v === 0xf;
    else if (spec.fill === 'random-letters') ok &&= v >= 0xa;
  }
  if (!ok) {
    n.fill(0);
    throw new EmvError('ERR_EMV_PIN_BLOCK', `PIN block: not a valid ISO 9564-1 format ${options.format} block`);
  }
  const pin = nibblesToDigits(n.slice(2, 2 + length));
  n.fill(0);
  return pin;
}
