import { commandApdu, type CommandApdu } from '../../apdu/index.ts';
import { assertBytes, assertInt } from '../../bytes/index.ts';
import { encodeDgi, encodeTlv, parseDgiList, parseTlvList } from '../../tlv/index.ts';
import { MAX_BLOCKS } from './blocks.ts';
import { badArgument, badHeader, guard } from './fail.ts';
import { expectCommand, gpCla, hex2, INS, MAX_SHORT_DATA } from './header.ts';

/** STORE DATA P1 b8: last block (GPC 2.3.1 Table 11-89). */
export const STORE_DATA_LAST = 0x80;
/** P1 b7–b6: encryption information (Table 11-89); '10' is RFU. */
export const STORE_DATA_ENCRYPTION = { none: 0x00, application: 0x20, all: 0x60 } as const;
/** P1 b5–b4: data structure (Table 11-89); '11' is RFU. */
export const STORE_DATA_FORMAT = { none: 0x00, dgi: 0x08, ber: 0x10 } as const;
/** P1 b1: ISO case 4, response data may be returned (Table 11-89). */
export const STORE_DATA_CASE4 = 0x01;

/** STORE DATA encryption information (Table 11-89 b7–b6). */
export type StoreDataEncryption = keyof typeof STORE_DATA_ENCRYPTION;
/** STORE DATA data structure (Table 11-89 b5–b4). */
export type StoreDataFormat = keyof typeof STORE_DATA_FORMAT;

/** How a STORE DATA sequence is flagged. */
export interface StoreDataOptions {
  readonly format: StoreDataFormat;
  readonly encryption?: StoreDataEncryption;
  /** Ask for response data (P1 b1, case 4). Default false (case 3, no Le). */
  readonly case4?: boolean;
  readonly cla?: number;
}

/** A parsed STORE DATA command (card side). */
export interface StoreDataCommand {
  readonly kind: 'store-data';
  readonly last: boolean;
  readonly encryption: StoreDataEncryption;
  readonly format: StoreDataFormat;
  readonly case4: boolean;
  readonly blockNumber: number;
  readonly data: Uint8Array;
}

/** Each whole structure (DGI or BER-TLV) of a stream, encoded; `none` keeps the stream as one piece. */
function structures(stream: Uint8Array, format: StoreDataFormat): Uint8Array[] {
  if (format === 'none') return [stream];
  return guard('STORE DATA stream', () =>
    format === 'dgi' ? parseDgiList(stream).map((d) => encodeDgi(d.tag, d.value)) : parseTlvList(stream).map((t) => encodeTlv(t)),
  (message, cause) => badArgument(message, cause));
}

/**
 * Packs a DGI or BER-TLV stream into block payloads of at most `blockSize` bytes: whole structures
 * share a block while they fit; a structure larger than a block is cut, its length field stating
 * the full length (GPC 2.3.1 §11.11.2.3). `format: 'none'` cuts the bytes as they come.
 */
export function splitStoreData(stream: Uint8Array, format: StoreDataFormat, blockSize: number): readonly Uint8Array[] {
  assertBytes(stream, undefined, 'STORE DATA stream');
  assertInt(blockSize, 1, MAX_SHORT_DATA, 'blockSize');
  const blocks: Uint8Array[] = [];
  let current: number[] = [];
  const flush = (): void => {
    if (current.length > 0) blocks.push(Uint8Array.from(current));
    current = [];
  };
  for (const s of structures(stream, format)) {
    if (current.length + s.length > blockSize) flush();
    for (let i = 0; i < s.length; i += blockSize) {
      const piece = s.subarray(i, i + blockSize);
      if (current.length + piece.length > blockSize) flush();
      current.push(...piece);
    }
  }
  flush();
  if (blocks.length === 0) blocks.push(new Uint8Array(0));
  if (blocks.length > MAX_BLOCKS) throw badArgument(`STORE DATA: ${blocks.length} blocks, more than ${MAX_BLOCKS} (P2 is one byte)`);
  return Object.freeze(blocks);
}

/**
 * Builds the STORE DATA commands for `stream` (GPC 2.3.1 §11.11, Tables 11-88, 11-89): `80 E2 P1
 * P2 Lc data [00]`, P2 the block number from '00', P1 b8 on the last, the format and encryption
 * flags on every block. Values must already be encrypted when `encryption` says so (SCP03: static
 * DEK; SCP02: session DEK; gp.md §4.10).
 * @example buildStoreData(encodeDgi(0x0101, record), { format: 'dgi' }, 239) // [80 E2 88 00 …]
 */
export function buildStoreData(stream: Uint8Array, options: StoreDataOptions, blockSize: number): readonly CommandApdu[] {
  const cla = gpCla(options.cla);
  const format = STORE_DATA_FORMAT[options.format] as number | undefined;
  const encryption = STORE_DATA_ENCRYPTION[options.encryption ?? 'none'] as number | undefined;
  if (format === undefined || encryption === undefined) throw badArgument('STORE DATA: unknown format or encryption');
  const blocks = splitStoreData(stream, options.format, blockSize);
  const case4 = options.case4 === true;
  return Object.freeze(blocks.map((data, i) => {
    const last = i === blocks.length - 1 ? STORE_DATA_LAST : 0;
    const p1 = last | encryption | format | (case4 ? STORE_DATA_CASE4 : 0);
    return commandApdu({ cla, ins: INS.STORE_DATA, p1, p2: i, data, ne: case4 ? 256 : undefined });
  }));
}

function keyOf<T extends Record<string, number>>(table: T, value: number): keyof T | undefined {
  return (Object.keys(table) as (keyof T)[]).find((k) => table[k] === value);
}

/**
 * Card side: parses one STORE DATA (Tables 11-88, 11-89). The RFU codings of b7–b6 ('10') and b5–b4
 * ('11') answer 6A86; b3–b2 are ignored. Feed the block number to a `BlockAssembler`.
 */
export function parseStoreDataCommand(command: CommandApdu): StoreDataCommand {
  expectCommand(command, INS.STORE_DATA, 'STORE DATA');
  const encryption = keyOf(STORE_DATA_ENCRYPTION, command.p1 & 0x60);
  const format = keyOf(STORE_DATA_FORMAT, command.p1 & 0x18);
  if (encryption === undefined || format === undefined) throw badHeader(`STORE DATA: P1 ${hex2(command.p1)} uses an RFU coding`);
  return Object.freeze({
    kind: 'store-data',
    last: (command.p1 & STORE_DATA_LAST) !== 0,
    encryption,
    format,
    case4: (command.p1 & STORE_DATA_CASE4) !== 0,
    blockNumber: command.p2,
    data: command.data.slice(),
  });
}
