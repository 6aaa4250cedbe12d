import { assertBytes } from '../bytes/index.ts';
import { encodeTlvList } from './encode.ts';
import { TlvError } from './errors.ts';
import { constructedNode, leafNode, type Tlv } from './node.ts';
import { parseTlvList } from './parse.ts';
import { assertTag, isConstructedTag, tagHex } from './tag.ts';

/**
 * Builds a frozen BER-TLV node (ISO/IEC 8825-1 §8.1). Give a primitive tag its value bytes, and a
 * constructed tag its children, or its encoded content: parsed strictly into children, unless
 * `opaque` keeps it as bytes (ETSI TS 102 226 C-APDU `22`). The value is copied; lengths are
 * computed when encoding.
 * @example tlv(0xE3, [tlv(0x4F, aid), tlv(0x9F70, hex`07`)])
 * @example tlv(0x22, encodeCommand(getData), { opaque: true })
 */
export function tlv(tag: number, content: Uint8Array | readonly Tlv[] = new Uint8Array(0), options: { opaque?: boolean } = {}): Tlv {
  assertTag(tag);
  const constructed = isConstructedTag(tag);
  if (Array.isArray(content)) {
    if (!constructed) throw new TlvError('ERR_TLV_ENCODE', `tag ${tagHex(tag)} is primitive: give it bytes, not children`);
    const children = [...(content as readonly Tlv[])];
    return constructedNode(tag, encodeTlvList(children), children);
  }
  assertBytes(content, undefined, `value of tag ${tagHex(tag)}`);
  const value = content.slice();
  if (!constructed || options.opaque === true) return leafNode(tag, constructed, value);
  // ISO 8825-1 §8.1.2.5: the content of a constructed object is itself a series of objects.
  return constructedNode(tag, value, [...parseTlvList(value)]);
}
