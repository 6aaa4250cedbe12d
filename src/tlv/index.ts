/**
 * tlv/: BER-TLV (ISO/IEC 8825-1 as profiled by ISO/IEC 7816-4 §5.2.2, EMV Book 3 Annex B and
 * GlobalPlatform), EMV CPS DGIs and ISO 7816-4 SIMPLE-TLV. Parsers are iterative and linear-time;
 * any input ends in a node list or a {@link TlvError}. LV fields live in bytes/ (ByteReader.lv).
 */
export { TlvError, TLV_ERROR_CODES, type TlvErrorCode } from './errors.ts';
export type { Tlv } from './node.ts';
export { parseTlv, parseTlvList, DEFAULT_MAX_DEPTH, DEFAULT_MAX_NODES, type TlvParseOptions } from './parse.ts';
export { encodeTlv, encodeTlvList } from './encode.ts';
export { tlv } from './builder.ts';
export { findTlv, findAllTlv } from './find.ts';
export { dumpTlv, type TlvDumpOptions } from './dump.ts';
export { tagHex, isConstructedTag, assertTag, MAX_TAG_BYTES } from './tag.ts';
export { encodeDgi, parseDgiList, type Dgi } from './dgi.ts';
export { encodeSimpleTlv, parseSimpleTlvList, type SimpleTlv } from './simple-tlv.ts';
