/**
 * A BER-TLV data object (ISO/IEC 8825-1 §8.1 as profiled by ISO/IEC 7816-4 §5.2.2 and EMV Book 3
 * Annex B), as a frozen value.
 *
 * - `tag` is the tag's bytes read as a big-endian number: `0x4F`, `0x9F70`, `0xBF8101`.
 * - `constructed` mirrors bit b6 of the first tag byte.
 * - `value` is the value field. For a constructed object it is the encoded children (for an object
 *   parsed with padding or indefinite length: the bytes as received, without the end-of-contents).
 *   Parsed values are views into one private copy of the input: read them, do not write them.
 * - `children` is present when the value was read as nested objects: on every constructed object
 *   except those the caller declared opaque (`opaqueTags` when parsing, `{ opaque: true }` in
 *   `tlv()`), such as ETSI TS 102 226 C-APDU `22` / R-APDU `23`, whose constructed tags hold raw APDUs.
 */
export interface Tlv {
  readonly kind: 'tlv';
  readonly tag: number;
  readonly constructed: boolean;
  readonly value: Uint8Array;
  readonly children?: readonly Tlv[];
}

/** A node without children: primitive, or constructed but opaque (internal; callers use `tlv()` or the parsers). */
export function leafNode(tag: number, constructed: boolean, value: Uint8Array): Tlv {
  return Object.freeze({ kind: 'tlv', tag, constructed, value });
}

/** A constructed node; `children` is frozen in place (internal constructor). */
export function constructedNode(tag: number, value: Uint8Array, children: Tlv[]): Tlv {
  return Object.freeze({ kind: 'tlv', tag, constructed: true, value, children: Object.freeze(children) });
}
