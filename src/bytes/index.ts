/**
 * bytes/: the byte helpers every layer uses (CONVENTIONS.md §1). Bytes are Uint8Array; hex only at
 * the edges; MACs and PINs compared only with `equalCt`.
 */
export { OpenTsmError, BytesError, BYTES_ERROR_CODES, type BytesErrorCode } from './errors.ts';
export { assertBytes, assertBlocks, assertInt } from './assert.ts';
export { toHex, fromHex, hex } from './hex.ts';
export { concat, xor, equalCt, wipe, uintBe, readUintBe, copy } from './ops.ts';
export { ByteReader } from './reader.ts';
export { ByteWriter } from './writer.ts';
