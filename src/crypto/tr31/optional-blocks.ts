/**
 * Optional blocks of a key block header (X9.143:2021 §6.3.6): ID (2 alphanumeric characters),
 * length (2 hex digits, counting the ID and length fields) and printable ASCII data. A length of
 * "00" introduces the extended form: 2 hex digits giving the length of the length in bytes, then the
 * length itself. The padding block "PB" brings the optional blocks to a multiple of the cipher block.
 */
import { blockError } from './fail.ts';

/** One optional block: its 2-character ID and its data, both printable ASCII. */
export interface OptionalBlock {
  readonly id: string;
  readonly data: string;
}

/** The padding block ID; produced by the encoder, dropped by the parser. */
export const PADDING_BLOCK_ID = 'PB';

const ID = /^[0-9A-Za-z]{2}$/;
const UPPER_HEX = /^[0-9A-F]+$/;
const PRINTABLE = /^[\x20-\x7E]*$/;

function hexField(text: string, at: number, width: number, what: string): number {
  const field = text.slice(at, at + width);
  if (field.length !== width || !UPPER_HEX.test(field)) {
    throw blockError(`${what} must be ${width} uppercase hex digits`);
  }
  return parseInt(field, 16);
}

/** Reads one block at `offset`; returns it and the offset after it. */
function readOne(text: string, offset: number, index: number): { block: OptionalBlock; end: number } {
  const what = `optional block ${index + 1}`;
  const id = text.slice(offset, offset + 2);
  if (!ID.test(id)) throw blockError(`${what}: the ID must be 2 alphanumeric characters`);
  let total = hexField(text, offset + 2, 2, `${what} length`);
  let overhead = 4;
  if (total === 0) {
    // X9.143:2021 §6.3.6: "00" announces the extended length: length of the length, then the length
    const lengthOfLength = hexField(text, offset + 4, 2, `${what} length of length`);
    if (lengthOfLength < 1 || lengthOfLength > 4) throw blockError(`${what}: the length of length must be 1 to 4 bytes`);
    total = hexField(text, offset + 6, 2 * lengthOfLength, `${what} extended length`);
    overhead = 6 + 2 * lengthOfLength;
  }
  if (total < overhead) throw blockError(`${what}: its length does not cover its own ID and length fields`);
  const end = offset + total;
  if (end > text.length) throw blockError(`${what} runs past the end of the key block`);
  return { block: { id, data: text.slice(offset + overhead, end) }, end };
}

/**
 * Reads `count` optional blocks from `text` at `offset`. Returns them without the padding block,
 * frozen, and the offset where the header ends.
 */
export function readOptionalBlocks(text: string, offset: number, count: number): { blocks: readonly OptionalBlock[]; end: number } {
  const blocks: OptionalBlock[] = [];
  let at = offset;
  for (let i = 0; i < count; i++) {
    const { block, end } = readOne(text, at, i);
    if (block.id !== PADDING_BLOCK_ID) blocks.push(Object.freeze(block));
    at = end;
  }
  return { blocks: Object.freeze(blocks), end: at };
}

/** Checks an optional block given to the encoder: a valid ID (not PB) and printable data. */
export function checkOptionalBlock(block: unknown, index: number): OptionalBlock {
  const what = `optional block ${index + 1}`;
  if (typeof block !== 'object' || block === null) throw blockError(`${what} must be an { id, data } object`);
  const { id, data } = block as { id?: unknown; data?: unknown };
  if (typeof id !== 'string' || !ID.test(id)) throw blockError(`${what}: the ID must be 2 alphanumeric characters`);
  if (id === PADDING_BLOCK_ID) throw blockError(`${what}: the padding block PB is added by the encoder`);
  if (typeof data !== 'string' || !PRINTABLE.test(data)) throw blockError(`${what} (${id}): data must be printable ASCII`);
  return Object.freeze({ id, data });
}

function hex(value: number, width: number): string {
  return value.toString(16).toUpperCase().padStart(width, '0');
}

function encodeOne(block: OptionalBlock): string {
  const short = block.data.length + 4;
  if (short <= 0xff) return block.id + hex(short, 2) + block.data;
  const extended = block.data.length + 10; // ID, "00", "02", 4 hex digits of length
  if (extended > 0xffff) throw blockError(`optional block ${block.id} is too long`);
  return `${block.id}0002${hex(extended, 4)}${block.data}`;
}

/**
 * Encodes optional blocks and appends a padding block PB, filled with '0', when needed to reach a
 * multiple of `blockSize` characters. Returns the text and the number of blocks (PB included).
 */
export function encodeOptionalBlocks(blocks: readonly OptionalBlock[], blockSize: number): { text: string; count: number } {
  let text = blocks.map(encodeOne).join('');
  let count = blocks.length;
  if (text.length % blockSize !== 0) {
    const pad = (blockSize - ((text.length + 4) % blockSize)) % blockSize;
    text += PADDING_BLOCK_ID + hex(4 + pad, 2) + '0'.repeat(pad);
    count++;
  }
  if (count > 99) throw blockError(`at most 99 optional blocks, got ${count}`);
  return { text, count };
}
