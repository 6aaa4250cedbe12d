import { BytesError } from './errors.ts';
import { assertBytes } from './assert.ts';

const HEX_DIGITS = '0123456789ABCDEF';
const BYTE_TO_HEX: readonly string[] = Array.from({ length: 256 }, (_, b) => HEX_DIGITS[b >> 4]! + HEX_DIGITS[b & 15]!);

/** Uppercase hex of `bytes` (the house style for logs, JSON and CLI output). */
export function toHex(bytes: Uint8Array): string {
  assertBytes(bytes, undefined, 'toHex input');
  let out = '';
  for (const b of bytes) out += BYTE_TO_HEX[b];
  return out;
}

function nibble(code: number): number {
  if (code >= 48 && code <= 57) return code - 48; // 0-9
  if (code >= 65 && code <= 70) return code - 55; // A-F
  if (code >= 97 && code <= 102) return code - 87; // a-f
  return -1;
}

/**
 * Strict hex decode: even length, digits only, no whitespace or `0x`. Case-insensitive.
 * @example fromHex('9000') // Uint8Array [0x90, 0x00]
 */
export function fromHex(text: string, name = 'hex'): Uint8Array {
  if (typeof text !== 'string') throw new BytesError('ERR_BYTES_TYPE', `${name}: expected a hex string, got ${typeof text}`);
  if (text.length % 2 !== 0) throw new BytesError('ERR_BYTES_HEX', `${name}: odd number of hex digits (${text.length})`);
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = nibble(text.charCodeAt(2 * i));
    const lo = nibble(text.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) throw new BytesError('ERR_BYTES_HEX', `${name}: invalid hex digit at offset ${hi < 0 ? 2 * i : 2 * i + 1}`);
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/**
 * Hex literal for code and tests, whitespace ignored: hex`80 50 00 00 08`.
 * Interpolated values may be hex strings or byte arrays.
 */
export function hex(strings: TemplateStringsArray, ...values: (string | Uint8Array)[]): Uint8Array {
  let text = strings[0] ?? '';
  values.forEach((v, i) => {
    text += (typeof v === 'string' ? v : toHex(v)) + (strings[i + 1] ?? '');
  });
  return fromHex(text.replace(/\s+/g, ''));
}
