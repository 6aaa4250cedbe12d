import { assertInt, type ByteReader } from '../../bytes/index.ts';
import { badData } from './fail.ts';

/**
 * The length fields GP puts in front of parameter, token and key-component fields (GPC 2.3.1
 * Tables 11-42..11-46, 11-68..11-70): BER length on 1 to 3 bytes ('00'–'7F', '81 80'–'81 FF',
 * '82 01 00'–'82 FF FF'), "except that the length 128 may also be coded on one byte as '80'".
 * We always write the BER form and read both.
 */
export const GP_LENGTH_MAX = 0xffff;

/** Encodes `length` as the minimal BER length field (GPC 2.3.1 §11.1.5: 1, 2 or 3 bytes). */
export function encodeGpLength(length: number): Uint8Array {
  assertInt(length, 0, GP_LENGTH_MAX, 'GP length');
  if (length < 0x80) return Uint8Array.of(length);
  if (length <= 0xff) return Uint8Array.of(0x81, length);
  return Uint8Array.of(0x82, length >> 8, length & 0xff);
}

/**
 * Reads a GP length field strictly: minimal BER, or the one-byte '80' meaning 128 (GPC 2.3.1
 * §11.5.2.3.1). Anything else (`83`..., `81 05`, `82 00 10`) is refused with 6A80.
 */
export function readGpLength(reader: ByteReader, what: string): number {
  const first = reader.u8(`${what} length`);
  if (first <= 0x80) return first; // GPC 2.3.1 §11.5.2.3.1: '80' on one byte is 128
  if (first === 0x81) {
    const n = reader.u8(`${what} length`);
    if (n < 0x80) throw badData(`${what}: length ${n} coded as 81 xx is not minimal`);
    return n;
  }
  if (first === 0x82) {
    const n = reader.u16(`${what} length`);
    if (n < 0x100) throw badData(`${what}: length ${n} coded as 82 xx xx is not minimal`);
    return n;
  }
  throw badData(`${what}: length field starting ${first.toString(16).toUpperCase()} is not allowed (1 to 3 bytes)`);
}

/** Reads a GP length field then that many bytes (a copy). */
export function readGpLv(reader: ByteReader, what: string): Uint8Array {
  const n = readGpLength(reader, what);
  return reader.bytes(n, what).slice();
}
