import { assertBytes } from '../../bytes/index.ts';
import { assertTag, MAX_TAG_BYTES, tagHex } from '../../tlv/index.ts';
import { badData } from './fail.ts';

/**
 * Tag lists (tag '5C'): tags concatenated without lengths (GPC 2.3.1 §11.4.2.3; ISO/IEC 7816-4
 * §5.4.3 tag list). A tag number like 0x9F70 is written as its 2 bytes.
 */
export function encodeTagList(tags: readonly number[]): Uint8Array {
  const out: number[] = [];
  for (const tag of tags) {
    assertTag(tag, 'tag list entry');
    const bytes = tag > 0xffff ? 3 : tag > 0xff ? 2 : 1;
    for (let i = bytes - 1; i >= 0; i--) out.push((tag >>> (8 * i)) & 0xff);
  }
  return Uint8Array.from(out);
}

/**
 * Splits a tag list back into tag numbers (BER tag rule, ISO 8825-1 §8.1.2: low five bits 11111
 * announce more bytes, b8 continues). A malformed list is refused with 6A80.
 */
export function decodeTagList(bytes: Uint8Array): readonly number[] {
  assertBytes(bytes, undefined, 'tag list');
  const tags: number[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    let tag = bytes[pos++]!;
    if ((tag & 0x1f) === 0x1f) {
      for (let n = 1; ; n++) {
        if (pos >= bytes.length || n >= MAX_TAG_BYTES + 1) throw badData('tag list: truncated or over-long tag');
        const b = bytes[pos++]!;
        tag = tag * 256 + b;
        if ((b & 0x80) === 0) break;
      }
    }
    try {
      assertTag(tag, 'tag list entry');
    } catch (e) {
      throw badData(`tag list: ${tagHex(tag)} is not a valid tag`, undefined, e);
    }
    tags.push(tag);
  }
  return Object.freeze(tags);
}
