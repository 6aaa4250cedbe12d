import { TlvError } from './errors.ts';

/**
 * The one-or-three-byte length shared by SIMPLE-TLV (ISO/IEC 7816-4 §5.2.1) and DGI coding (EMV CPS
 * v1.1): `00`–`FE` on one byte, otherwise `FF` then two big-endian bytes (0–65535).
 */
export const MAX_FF_LENGTH = 0xffff;

/** Size of the length field for `length`: 1 below 255, else 3. */
export function ffLengthSize(length: number, what: string): number {
  if (!Number.isInteger(length) || length < 0 || length > MAX_FF_LENGTH) {
    throw new TlvError('ERR_TLV_LENGTH', `${what}: value of ${length} bytes does not fit (at most ${MAX_FF_LENGTH})`);
  }
  return length < 0xff ? 1 : 3;
}

/** Writes the length field at `pos`; returns the offset after it. */
export function writeFfLength(length: number, out: Uint8Array, pos: number): number {
  if (length < 0xff) {
    out[pos] = length;
    return pos + 1;
  }
  out[pos] = 0xff;
  out[pos + 1] = length >> 8;
  out[pos + 2] = length & 0xff;
  return pos + 3;
}

/**
 * Reads the length field at `pos` and checks that the value fits in `data`. A three-byte form for a
 * length below 255 is refused (`ERR_TLV_NON_MINIMAL`).
 */
export function readFfLength(data: Uint8Array, pos: number, what: string): { length: number; next: number } {
  if (pos >= data.length) throw new TlvError('ERR_TLV_TRUNCATED', `${what} at offset ${pos}: input ends before the length`);
  let length = data[pos]!;
  let next = pos + 1;
  if (length === 0xff) {
    if (pos + 3 > data.length) throw new TlvError('ERR_TLV_TRUNCATED', `${what} at offset ${pos}: input ends inside the length`);
    length = (data[pos + 1]! << 8) | data[pos + 2]!;
    next = pos + 3;
    if (length < 0xff) {
      throw new TlvError('ERR_TLV_NON_MINIMAL', `${what} at offset ${pos}: length ${length} coded on 3 bytes is not minimal`);
    }
  }
  if (length > data.length - next) {
    throw new TlvError('ERR_TLV_TRUNCATED', `${what} at offset ${pos}: value of ${length} bytes, ${data.length - next} left`);
  }
  return { length, next };
}
