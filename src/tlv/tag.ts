import { TlvError } from './errors.ts';

/** The longest BER tag we accept, in bytes (GP and EMV use 1–2; eUICC profiles use 3). */
export const MAX_TAG_BYTES = 3;

/**
 * Number of bytes the BER tag `tag` occupies (1, 2 or 3), from its numeric value: 0x6F → 1,
 * 0x9F70 → 2, 0xBF8101 → 3. Does not validate; see {@link assertTag}.
 */
export function tagByteLength(tag: number): number {
  if (tag <= 0xff) return 1;
  return tag <= 0xffff ? 2 : 3;
}

/** The first (class/constructed/number) byte of a BER tag. */
function firstTagByte(tag: number): number {
  return tag >>> (8 * (tagByteLength(tag) - 1));
}

/** True when the tag's constructed bit is set (ISO 8825-1 §8.1.2.5: first byte b6 = 1). */
export function isConstructedTag(tag: number): boolean {
  return (firstTagByte(tag) & 0x20) !== 0;
}

/**
 * Throws `ERR_TLV_TAG` unless `tag` is a valid BER tag of 1–3 bytes written as a number
 * (0x4F, 0x9F70, 0xBF8101), coded the way {@link readTag} would accept it.
 */
export function assertTag(tag: number, name = 'tag'): void {
  if (typeof tag !== 'number' || !Number.isInteger(tag) || tag < 0 || tag > 0xffffff) {
    throw new TlvError('ERR_TLV_TAG', `${name}: expected an integer tag of 1 to 3 bytes, got ${String(tag)}`);
  }
  const n = tagByteLength(tag);
  const bytes = [tag >>> 16, (tag >>> 8) & 0xff, tag & 0xff].slice(3 - n);
  const reason = tagBytesProblem(bytes);
  if (reason !== undefined) throw new TlvError('ERR_TLV_TAG', `${name} ${tagHex(tag)}: ${reason}`);
}

/** Why the complete tag `bytes` is invalid, or undefined when it is valid. */
function tagBytesProblem(bytes: readonly number[]): string | undefined {
  const first = bytes[0]!;
  // ISO 7816-4 §5.2.2.1 and EMV Book 3 Annex B1: 00 and FF are never the first byte of a tag.
  if (first === 0x00 || first === 0xff) return `first byte ${hex2(first)} is not a tag`;
  const multi = (first & 0x1f) === 0x1f; // ISO 8825-1 §8.1.2.4: low five bits 11111 → subsequent bytes
  if (!multi) return bytes.length === 1 ? undefined : 'first byte does not announce subsequent bytes';
  if (bytes.length === 1) return 'first byte announces subsequent bytes';
  // ISO 8825-1 §8.1.2.4.2 c: bits 7 to 1 of the first subsequent byte are not all zero.
  if ((bytes[1]! & 0x7f) === 0) return 'first subsequent byte has no tag-number bits (not minimal)';
  for (let i = 1; i < bytes.length; i++) {
    const last = i === bytes.length - 1;
    // ISO 8825-1 §8.1.2.4.2 a: b8 = 1 in every subsequent byte except the last.
    if (((bytes[i]! & 0x80) === 0) !== last) return last ? 'last byte has b8 set' : 'tag ends early';
  }
  return undefined;
}

/**
 * Reads the BER tag at `pos` without reading at or past `limit`. Returns the tag number and the
 * offset after it. ISO 8825-1 §8.1.2; tags longer than {@link MAX_TAG_BYTES} are refused.
 */
export function readTag(data: Uint8Array, pos: number, limit: number): { tag: number; next: number } {
  if (pos >= limit) throw truncated(pos, 'tag');
  const first = data[pos]!;
  const bytes = [first];
  if ((first & 0x1f) === 0x1f && first !== 0xff) {
    let i = pos + 1;
    for (;;) {
      if (i >= limit) throw truncated(pos, 'tag');
      const b = data[i]!;
      bytes.push(b);
      i++;
      if ((b & 0x80) === 0) break;
      if (bytes.length === MAX_TAG_BYTES) {
        throw new TlvError('ERR_TLV_TAG_TOO_LONG', `tag at offset ${pos}: longer than ${MAX_TAG_BYTES} bytes`);
      }
    }
  }
  const reason = tagBytesProblem(bytes);
  if (reason !== undefined) throw new TlvError('ERR_TLV_TAG', `tag at offset ${pos}: ${reason}`);
  let tag = 0;
  for (const b of bytes) tag = tag * 256 + b;
  return { tag, next: pos + bytes.length };
}

/** Writes the tag's bytes into `out` at `pos`; returns the offset after them. */
export function writeTag(tag: number, out: Uint8Array, pos: number): number {
  const n = tagByteLength(tag);
  for (let i = 0; i < n; i++) out[pos + i] = (tag >>> (8 * (n - 1 - i))) & 0xff;
  return pos + n;
}

/** Uppercase hex of a tag, one or more whole bytes: 0x4F → "4F", 0x9F70 → "9F70". */
export function tagHex(tag: number): string {
  return tag.toString(16).toUpperCase().padStart(2 * tagByteLength(tag), '0');
}

function hex2(b: number): string {
  return b.toString(16).toUpperCase().padStart(2, '0');
}

function truncated(pos: number, what: string): TlvError {
  return new TlvError('ERR_TLV_TRUNCATED', `${what} at offset ${pos}: input ends too early`);
}
