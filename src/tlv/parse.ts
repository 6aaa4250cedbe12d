import { assertBytes, assertInt } from '../bytes/index.ts';
import { TlvError } from './errors.ts';
import { readLength } from './length.ts';
import { constructedNode, leafNode, type Tlv } from './node.ts';
import { readTag, tagHex } from './tag.ts';

/** Options for {@link parseTlv} and {@link parseTlvList}. Every relaxation is off by default. */
export interface TlvParseOptions {
  /**
   * Accept indefinite length (`80`) on constructed objects, ended by `00 00` (ISO 8825-1 §8.1.3.6).
   * ETSI TS 102 226 uses it for the expanded remote format over HTTP (`AE 80 … 00 00`).
   */
  allowIndefinite?: boolean;
  /** Accept over-long length fields such as `81 05` (refused by default). */
  allowNonMinimal?: boolean;
  /** Skip `00`/`FF` padding before, between and after objects (EMV Book 3 Annex B1). */
  skipPadding?: boolean;
  /**
   * Constructed tags whose value is kept as bytes, without children: ETSI TS 102 226 C-APDU `22`
   * and R-APDU `23` have the constructed bit set but carry raw APDUs.
   */
  opaqueTags?: Iterable<number>;
  /** Deepest nesting accepted; top-level objects are at depth 1. Default 8 (gp.md §6). */
  maxDepth?: number;
  /** Most objects accepted in one input, nested ones included. Default 4096. */
  maxNodes?: number;
}

/** Default nesting limit: GP and EMV structures stay well under it (gp.md §2, §6). */
export const DEFAULT_MAX_DEPTH = 8;
/** Default object-count limit: bounds the memory a hostile input can make us allocate. */
export const DEFAULT_MAX_NODES = 4096;

/**
 * Parses exactly one BER-TLV object (ISO/IEC 8825-1 §8.1; ISO/IEC 7816-4 §5.2.2): anything after it
 * other than allowed padding is `ERR_TLV_TRAILING`.
 * @example parseTlv(hex`E3 07 4F 05 A000000151`).children?.[0]?.tag // 0x4F
 */
export function parseTlv(bytes: Uint8Array, options: TlvParseOptions = {}): Tlv {
  const nodes = parseNodes(bytes, options, true);
  const node = nodes[0];
  if (node === undefined) throw new TlvError('ERR_TLV_TRUNCATED', 'BER-TLV: no object in the input');
  return node;
}

/**
 * Parses a concatenation of BER-TLV objects (e.g. a GET STATUS response, a record template's
 * content). An empty input gives an empty list. Linear time, no recursion: hostile input ends in a
 * {@link TlvError}.
 */
export function parseTlvList(bytes: Uint8Array, options: TlvParseOptions = {}): readonly Tlv[] {
  return parseNodes(bytes, options, false);
}

/** A constructed object whose children are being read. `end` is -1 for indefinite length. */
interface Frame {
  readonly tag: number;
  readonly start: number;
  readonly end: number;
  readonly limit: number;
  readonly depth: number;
  readonly children: Tlv[];
}

function parseNodes(bytes: Uint8Array, options: TlvParseOptions, single: boolean): readonly Tlv[] {
  assertBytes(bytes, undefined, 'BER-TLV input');
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  const maxNodes = options.maxNodes ?? DEFAULT_MAX_NODES;
  assertInt(maxDepth, 1, Number.MAX_SAFE_INTEGER, 'maxDepth');
  assertInt(maxNodes, 1, Number.MAX_SAFE_INTEGER, 'maxNodes');
  const opaque = new Set(options.opaqueTags ?? []);
  const data = bytes.slice(); // one private copy; node values are views into it
  const root: Frame = { tag: -1, start: 0, end: data.length, limit: data.length, depth: 0, children: [] };
  const stack: Frame[] = [root];
  let pos = 0;
  let count = 0;
  for (;;) {
    const frame = stack[stack.length - 1]!;
    const closing = endOfValue(frame, data, pos);
    if (closing !== undefined) {
      if (frame === root) return Object.freeze(root.children);
      stack.pop();
      stack[stack.length - 1]!.children.push(constructedNode(frame.tag, data.subarray(frame.start, pos), frame.children));
      pos += closing;
      continue;
    }
    const b = data[pos]!;
    if (options.skipPadding === true && (b === 0x00 || b === 0xff)) {
      pos++; // EMV Book 3 Annex B1: 00 / FF padding may precede, separate or follow objects
      continue;
    }
    if (single && frame === root && root.children.length > 0) {
      throw new TlvError('ERR_TLV_TRAILING', `BER-TLV: ${data.length - pos} unexpected bytes after the object at offset ${pos}`);
    }
    const depth = frame.depth + 1;
    if (depth > maxDepth) throw new TlvError('ERR_TLV_DEPTH', `object at offset ${pos}: nesting deeper than ${maxDepth}`);
    if (++count > maxNodes) throw new TlvError('ERR_TLV_COUNT', `object at offset ${pos}: more than ${maxNodes} objects`);
    const { tag, next } = readTag(data, pos, frame.limit);
    const { length, next: start } = readLength(data, next, frame.limit, options.allowNonMinimal === true);
    const constructed = (b & 0x20) !== 0; // ISO 8825-1 §8.1.2.5: b6 of the first tag byte
    const nested = constructed && !opaque.has(tag);
    if (length === undefined) {
      // ISO 8825-1 §8.1.3.2 a: a primitive object always has a definite length.
      if (!nested || options.allowIndefinite !== true) {
        const why = nested ? 'not allowed (see allowIndefinite)' : 'on a primitive or opaque object';
        throw new TlvError('ERR_TLV_INDEFINITE', `${tagHex(tag)} at offset ${pos}: indefinite length ${why}`);
      }
      stack.push({ tag, start, end: -1, limit: frame.limit, depth, children: [] });
      pos = start;
    } else if (length > frame.limit - start) {
      throw new TlvError('ERR_TLV_TRUNCATED', `${tagHex(tag)} at offset ${pos}: value of ${length} bytes, ${frame.limit - start} left`);
    } else if (nested) {
      stack.push({ tag, start, end: start + length, limit: start + length, depth, children: [] });
      pos = start;
    } else {
      frame.children.push(leafNode(tag, constructed, data.subarray(start, start + length)));
      pos = start + length;
    }
  }
}

/**
 * Whether `frame`'s value ends at `pos`: 0 (bytes to skip) at the end of a definite length, 2 at an
 * end-of-contents, undefined when another object follows. Throws when an indefinite value runs out.
 */
function endOfValue(frame: Frame, data: Uint8Array, pos: number): number | undefined {
  if (frame.end >= 0) return frame.end === pos ? 0 : undefined;
  // ISO 8825-1 §8.1.5: end-of-contents, two zero bytes, closes an indefinite-length value.
  if (pos + 1 < frame.limit && data[pos] === 0 && data[pos + 1] === 0) return 2;
  if (pos >= frame.limit) {
    throw new TlvError('ERR_TLV_TRUNCATED', `indefinite-length ${tagHex(frame.tag)} at offset ${frame.start}: no end-of-contents`);
  }
  return undefined;
}
