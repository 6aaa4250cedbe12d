/**
 * The TR-31 / ANSI X9.143 key block header (X9.143:2021 §6): 16 fixed ASCII characters, then the
 * optional blocks.
 *
 * | bytes | field |
 * |---|---|
 * | 0 | version ID (A, B, C, D) |
 * | 1–4 | key block length, 4 decimal digits, the whole block in characters |
 * | 5–6 | key usage |
 * | 7 | algorithm |
 * | 8 | mode of use |
 * | 9–10 | key version number ("00" = unused, "c" + digit = component) |
 * | 11 | exportability |
 * | 12–13 | number of optional blocks, 2 decimal digits |
 * | 14 | key context (X9.143:2021; "0" in TR-31:2018, where 14–15 were reserved "00") |
 * | 15 | reserved, "0" |
 */
import {
  EXPORTABILITY,
  KEY_ALGORITHMS,
  KEY_CONTEXTS,
  KEY_USAGES,
  MODES_OF_USE,
  isCode,
  type Exportability,
  type KeyAlgorithm,
  type KeyContext,
  type KeyUsage,
  type ModeOfUse,
} from './codes.ts';
import { blockError } from './fail.ts';
import { checkOptionalBlock, encodeOptionalBlocks, readOptionalBlocks, type OptionalBlock } from './optional-blocks.ts';
import { versionParams, type KeyBlockVersion } from './versions.ts';

/** A parsed or constructed key block header: a frozen value; the padding block PB is not kept. */
export interface KeyBlockHeader {
  readonly kind: 'tr31-header';
  readonly version: KeyBlockVersion;
  readonly usage: KeyUsage;
  readonly algorithm: KeyAlgorithm;
  readonly modeOfUse: ModeOfUse;
  /** Two alphanumeric characters; "00" when key versioning is not used. */
  readonly keyVersion: string;
  readonly exportability: Exportability;
  readonly keyContext: KeyContext;
  readonly optionalBlocks: readonly OptionalBlock[];
}

/** What a caller gives to build a header; `keyVersion` defaults to "00", `keyContext` to "0". */
export interface KeyBlockHeaderInput {
  readonly version: KeyBlockVersion;
  readonly usage: KeyUsage;
  readonly algorithm: KeyAlgorithm;
  readonly modeOfUse: ModeOfUse;
  readonly keyVersion?: string;
  readonly exportability: Exportability;
  readonly keyContext?: KeyContext;
  readonly optionalBlocks?: readonly OptionalBlock[];
}

/** The longest key block the 4-digit length field can describe. */
export const MAX_KEY_BLOCK_LENGTH = 9999;

const KEY_VERSION = /^[0-9A-Za-z]{2}$/;
const PRINTABLE = /^[\x20-\x7E]*$/;

function code<T extends object>(table: T, value: unknown, what: string): keyof T & string {
  if (!isCode(table, value)) throw blockError(`unknown ${what} ${JSON.stringify(value)}`);
  return value;
}

/**
 * Builds a header from its fields, checking each against the X9.143 code tables.
 * @example keyBlockHeader({ version: 'D', usage: 'E0', algorithm: 'T', modeOfUse: 'X', exportability: 'N' })
 */
export function keyBlockHeader(input: KeyBlockHeaderInput): KeyBlockHeader {
  if (typeof input !== 'object' || input === null) throw blockError('the header must be an object');
  const keyVersion = input.keyVersion ?? '00';
  if (typeof keyVersion !== 'string' || !KEY_VERSION.test(keyVersion)) {
    throw blockError('the key version number must be 2 alphanumeric characters');
  }
  const blocks = input.optionalBlocks ?? [];
  if (!Array.isArray(blocks)) throw blockError('optionalBlocks must be an array');
  versionParams(String(input.version));
  return Object.freeze({
    kind: 'tr31-header',
    version: input.version,
    usage: code(KEY_USAGES, input.usage, 'key usage'),
    algorithm: code(KEY_ALGORITHMS, input.algorithm, 'algorithm'),
    modeOfUse: code(MODES_OF_USE, input.modeOfUse, 'mode of use'),
    keyVersion,
    exportability: code(EXPORTABILITY, input.exportability, 'exportability'),
    keyContext: code(KEY_CONTEXTS, input.keyContext ?? '0', 'key context'),
    optionalBlocks: Object.freeze((blocks as readonly unknown[]).map(checkOptionalBlock)),
  });
}

/** A header read from text, with where it ends and the block length its length field states. */
export interface HeaderRead {
  readonly header: KeyBlockHeader;
  readonly headerLength: number;
  readonly blockLength: number;
}

/** Reads the header at the start of `text` (a whole key block, or a header alone). Unauthenticated. */
export function readKeyBlockHeader(text: unknown): HeaderRead {
  if (typeof text !== 'string') throw blockError(`expected a string, got ${text === null ? 'null' : typeof text}`);
  if (text.length < 16) throw blockError(`at least 16 characters, got ${text.length}`);
  if (text.length > MAX_KEY_BLOCK_LENGTH) throw blockError(`at most ${MAX_KEY_BLOCK_LENGTH} characters, got ${text.length}`);
  if (!PRINTABLE.test(text)) throw blockError('only printable ASCII characters are allowed');
  const params = versionParams(text.charAt(0));
  const lengthField = text.slice(1, 5);
  if (!/^\d{4}$/.test(lengthField)) throw blockError('the key block length must be 4 decimal digits');
  const countField = text.slice(12, 14);
  if (!/^\d{2}$/.test(countField)) throw blockError('the number of optional blocks must be 2 decimal digits');
  if (text.charAt(15) !== '0') throw blockError('header byte 15 is reserved and must be "0"');
  const { blocks, end } = readOptionalBlocks(text, 16, Number(countField));
  // X9.143: the optional blocks fill a whole number of cipher blocks (PB pads them)
  if ((end - 16) % params.blockSize !== 0) {
    throw blockError(`the optional blocks must total a multiple of ${params.blockSize} characters`);
  }
  const header = keyBlockHeader({
    version: text.charAt(0) as KeyBlockVersion,
    usage: text.slice(5, 7) as KeyUsage,
    algorithm: text.charAt(7) as KeyAlgorithm,
    modeOfUse: text.charAt(8) as ModeOfUse,
    keyVersion: text.slice(9, 11),
    exportability: text.charAt(11) as Exportability,
    keyContext: text.charAt(14) as KeyContext,
    optionalBlocks: blocks,
  });
  return { header, headerLength: end, blockLength: Number(lengthField) };
}

/** The ASCII bytes of already-validated printable header text (the MAC input). */
export function asciiBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/**
 * Parses the header of a key block (or a header alone) WITHOUT authenticating it: use it only to
 * pick the KBPK; trust only the header `unwrapKeyBlock` returns.
 */
export function parseKeyBlockHeader(block: string): KeyBlockHeader {
  return readKeyBlockHeader(block).header;
}

/**
 * Formats `header` as key block header text stating `options.blockLength` as the total block
 * length; adds the padding block PB (filled with '0') when the optional blocks need it.
 */
export function encodeKeyBlockHeader(header: KeyBlockHeader, options: { blockLength: number }): string {
  const h = keyBlockHeader(header);
  const { blockLength } = options;
  if (!Number.isInteger(blockLength) || blockLength < 0 || blockLength > MAX_KEY_BLOCK_LENGTH) {
    throw blockError(`the key block would be ${blockLength} characters, at most ${MAX_KEY_BLOCK_LENGTH} are allowed`);
  }
  const { text, count } = encodeOptionalBlocks(h.optionalBlocks, versionParams(h.version).blockSize);
  return (
    h.version + String(blockLength).padStart(4, '0') + h.usage + h.algorithm + h.modeOfUse + h.keyVersion +
    h.exportability + String(count).padStart(2, '0') + h.keyContext + '0' + text
  );
}
