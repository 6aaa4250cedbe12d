import { assertBytes, assertInt } from '../bytes/index.ts';
import { TlvError } from './errors.ts';
import { ffLengthSize, readFfLength, writeFfLength } from './ff-length.ts';

/**
 * A SIMPLE-TLV data object (ISO/IEC 7816-4 §5.2.1): a one-byte tag `01`–`FE`, a length of one byte
 * (`00`–`FE`) or `FF` and two bytes, the value. Frozen.
 */
export interface SimpleTlv {
  readonly kind: 'simple-tlv';
  readonly tag: number;
  readonly value: Uint8Array;
}

/**
 * Encodes one SIMPLE-TLV object.
 * @example encodeSimpleTlv(0x01, hex`3B`) // 01 01 3B
 */
export function encodeSimpleTlv(tag: number, value: Uint8Array): Uint8Array {
  assertSimpleTag(tag);
  assertBytes(value, undefined, 'SIMPLE-TLV value');
  const size = ffLengthSize(value.length, `SIMPLE-TLV ${hex2(tag)}`);
  const out = new Uint8Array(1 + size + value.length);
  out[0] = tag;
  const pos = writeFfLength(value.length, out, 1);
  out.set(value, pos);
  return out;
}

/**
 * Parses a concatenation of SIMPLE-TLV objects. Refuses tags `00`/`FF`, truncation and non-minimal
 * lengths; an empty input gives an empty list. Values are copies.
 */
export function parseSimpleTlvList(bytes: Uint8Array): readonly SimpleTlv[] {
  assertBytes(bytes, undefined, 'SIMPLE-TLV input');
  const out: SimpleTlv[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const tag = bytes[pos]!;
    // ISO 7816-4 §5.2.1: tag values 00 and FF are invalid
    if (tag === 0x00 || tag === 0xff) throw new TlvError('ERR_TLV_TAG', `SIMPLE-TLV at offset ${pos}: tag ${hex2(tag)} is invalid`);
    const { length, next } = readFfLength(bytes, pos + 1, `SIMPLE-TLV ${hex2(tag)}`);
    out.push(Object.freeze({ kind: 'simple-tlv', tag, value: bytes.slice(next, next + length) }));
    pos = next + length;
  }
  return Object.freeze(out);
}

function assertSimpleTag(tag: number): void {
  try {
    assertInt(tag, 0x01, 0xfe, 'SIMPLE-TLV tag');
  } catch (e) {
    throw new TlvError('ERR_TLV_TAG', e instanceof Error ? e.message : String(e), { cause: e });
  }
}

function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}
