/**
 * The Redundancy Check (RC) of a secured packet (ETSI TS 102 225 §5.1.3.2): a CRC instead of a
 * cryptographic checksum, selected by SPI b2b1 = 01, its width by the KID low nibble. It detects
 * transmission errors only — it authenticates nothing (anyone can recompute it).
 *
 * - KID b2b1 = 01 (CRC), b4b3 = 00: CRC-16 of ISO/IEC 13239 — polynomial x^16+x^12+x^5+1 (0x1021),
 *   reflected in and out, initial value FFFF, final XOR FFFF (the "X.25" CRC) [M: ETSI TS 102 225
 *   §5.1.3.2 names ISO/IEC 13239; parameters from ISO/IEC 13239, not checked against the ETSI text].
 * - KID b4b3 = 01: CRC-32 of ISO/IEC 13239 — polynomial 0x04C11DB7 reflected, initial FFFFFFFF,
 *   final XOR FFFFFFFF (zlib's `crc32`), as pySim's ota.py computes it [S].
 * Both are sent most significant byte first [S: pySim `crc32.to_bytes(4, 'big')`].
 */
import { OtaError } from './errors.ts';
import { POR } from './por-status.ts';

/** The two RC widths. */
export const RC_KINDS = ['crc16', 'crc32'] as const;
export type RcKind = (typeof RC_KINDS)[number];

/** Bytes of each RC. */
export const RC_LENGTH: Readonly<Record<RcKind, number>> = Object.freeze({ crc16: 2, crc32: 4 });

function table(poly: number, width: 16 | 32): Uint32Array {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t[n] = width === 16 ? c & 0xffff : c >>> 0;
  }
  return t;
}

/** Reflected polynomials: 0x1021 → 0x8408, 0x04C11DB7 → 0xEDB88320. */
const CRC16_TABLE = table(0x8408, 16);
const CRC32_TABLE = table(0xedb88320, 32);

/** ISO/IEC 13239 CRC-16 (X.25): check value of "123456789" is 906E. */
export function crc16Iso13239(data: Uint8Array): number {
  let c = 0xffff;
  for (const b of data) c = (c >>> 8) ^ CRC16_TABLE[(c ^ b) & 0xff]!;
  return (c ^ 0xffff) & 0xffff;
}

/** ISO/IEC 13239 CRC-32 (zlib): check value of "123456789" is CBF43926. */
export function crc32Iso13239(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) c = (c >>> 8) ^ CRC32_TABLE[(c ^ b) & 0xff]!;
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * Decodes a KID byte used for an RC (§5.1.3.2): low nibble 1 = CRC-16, 5 = CRC-32; anything else
 * (implicit, proprietary, reserved) is refused with PoR 06.
 */
export function parseRcKid(kid: number): RcKind {
  const low = kid & 0x0f;
  if (low === 0x1) return 'crc16';
  if (low === 0x5) return 'crc32';
  throw new OtaError('ERR_OTA_UNSUPPORTED', `KID ${(kid & 0xff).toString(16).padStart(2, '0')}: not a CRC-16 (x1) or CRC-32 (x5) redundancy check`, {
    porStatus: POR.UNIDENTIFIED_SECURITY_ERROR,
  });
}

/** The RC bytes over `data` (the same bytes the CC would cover), most significant byte first. */
export function redundancyCheck(data: Uint8Array, kind: RcKind): Uint8Array {
  if (kind === 'crc16') {
    const c = crc16Iso13239(data);
    return Uint8Array.of(c >>> 8, c & 0xff);
  }
  const c = crc32Iso13239(data);
  return Uint8Array.of(c >>> 24, (c >>> 16) & 0xff, (c >>> 8) & 0xff, c & 0xff);
}
