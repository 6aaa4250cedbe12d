import { assertBytes, assertInt } from '../bytes/index.ts';
import { TlvError } from './errors.ts';
import { ffLengthSize, readFfLength, writeFfLength } from './ff-length.ts';

/**
 * A Data Grouping Identifier block (EMV Card Personalization Specification v1.1, DGI format; GPC
 * 2.3.1 §11.11 STORE DATA with P1 b5b4 = 01): a 2-byte DGI, a length, the data. Frozen.
 */
export interface Dgi {
  readonly kind: 'dgi';
  /** The two DGI bytes as a number, e.g. 0x0101 (a record), 0x8000 (ICC keys), 0x9102 (PPSE FCI). */
  readonly tag: number;
  readonly value: Uint8Array;
}

/**
 * Encodes one DGI: tag (2 bytes), length (1 byte if below 255, else `FF` and 2 bytes), value.
 * @example encodeDgi(0x9102, fci) // 91 02 <len> <fci>
 */
export function encodeDgi(tag: number, value: Uint8Array): Uint8Array {
  assertInt(tag, 0, 0xffff, 'DGI');
  assertBytes(value, undefined, 'DGI value');
  const size = ffLengthSize(value.length, `DGI ${hex4(tag)}`);
  const out = new Uint8Array(2 + size + value.length);
  out[0] = tag >> 8;
  out[1] = tag & 0xff;
  // EMV CPS v1.1: length on 1 byte for 0–254; 255 and above as FF followed by 2 bytes
  const pos = writeFfLength(value.length, out, 2);
  out.set(value, pos);
  return out;
}

/**
 * Parses a concatenation of DGIs (the content of STORE DATA blocks once reassembled). Refuses
 * truncation and non-minimal lengths; an empty input gives an empty list. Values are copies.
 */
export function parseDgiList(bytes: Uint8Array): readonly Dgi[] {
  assertBytes(bytes, undefined, 'DGI input');
  const out: Dgi[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    if (pos + 2 > bytes.length) throw new TlvError('ERR_TLV_TRUNCATED', `DGI at offset ${pos}: input ends inside the tag`);
    const tag = (bytes[pos]! << 8) | bytes[pos + 1]!;
    const { length, next } = readFfLength(bytes, pos + 2, `DGI ${hex4(tag)}`);
    out.push(Object.freeze({ kind: 'dgi', tag, value: bytes.slice(next, next + length) }));
    pos = next + length;
  }
  return Object.freeze(out);
}

function hex4(n: number): string {
  return n.toString(16).toUpperCase().padStart(4, '0');
}
