import { TlvError } from './errors.ts';

/** Largest definite length we read or write: 4 length bytes after `84` (ISO 8825-1 §8.1.3.5). */
export const MAX_BER_LENGTH = 0xffffffff;

/** A decoded BER length field: `length` is undefined for the indefinite form (`80`). */
export interface BerLength {
  readonly length: number | undefined;
  readonly next: number;
  /** False when the length was coded on more bytes than needed (only returned when allowed). */
  readonly minimal: boolean;
}

/**
 * Reads the BER length field at `pos` (ISO 8825-1 §8.1.3), never at or past `limit`. Short form
 * `00`–`7F`; long form `81`–`84` with 1–4 big-endian bytes; `80` indefinite. A long form that a
 * shorter form could express is refused unless `allowNonMinimal`.
 */
export function readLength(data: Uint8Array, pos: number, limit: number, allowNonMinimal: boolean): BerLength {
  if (pos >= limit) throw new TlvError('ERR_TLV_TRUNCATED', `length at offset ${pos}: input ends too early`);
  const first = data[pos]!;
  // ISO 8825-1 §8.1.3.4: short form, one byte 0xxxxxxx.
  if (first < 0x80) return { length: first, next: pos + 1, minimal: true };
  // ISO 8825-1 §8.1.3.6: indefinite form, single byte 80; the caller decides whether it is allowed.
  if (first === 0x80) return { length: undefined, next: pos + 1, minimal: true };
  // ISO 8825-1 §8.1.3.5: long form, first byte 80|n, then n bytes; we accept n = 1..4.
  const n = first & 0x7f;
  if (n > 4) throw new TlvError('ERR_TLV_LENGTH', `length at offset ${pos}: ${n} length bytes (at most 4)`);
  if (pos + 1 + n > limit) throw new TlvError('ERR_TLV_TRUNCATED', `length at offset ${pos}: input ends inside the length`);
  let length = 0;
  for (let i = 1; i <= n; i++) length = length * 256 + data[pos + i]!;
  const minimal = n === 1 ? length >= 0x80 : length >= 2 ** (8 * (n - 1));
  if (!minimal && !allowNonMinimal) {
    throw new TlvError('ERR_TLV_NON_MINIMAL', `length at offset ${pos}: ${length} coded on ${n + 1} bytes is not minimal`);
  }
  return { length, next: pos + 1 + n, minimal };
}

/** Bytes needed for the minimal BER length field of `length` (1 to 5). */
export function lengthFieldSize(length: number): number {
  if (length < 0x80) return 1;
  if (length <= 0xff) return 2;
  if (length <= 0xffff) return 3;
  if (length <= 0xffffff) return 4;
  if (length <= MAX_BER_LENGTH) return 5;
  throw new TlvError('ERR_TLV_LENGTH', `value of ${length} bytes is too long for a BER length field`);
}

/** Writes the minimal BER length field of `length` into `out` at `pos`; returns the offset after it. */
export function writeLength(length: number, out: Uint8Array, pos: number): number {
  const size = lengthFieldSize(length);
  if (size === 1) {
    out[pos] = length;
    return pos + 1;
  }
  const n = size - 1;
  out[pos] = 0x80 | n; // ISO 8825-1 §8.1.3.5: long form, first byte 80|n
  for (let i = 0; i < n; i++) out[pos + 1 + i] = Math.floor(length / 2 ** (8 * (n - 1 - i))) & 0xff;
  return pos + size;
}
