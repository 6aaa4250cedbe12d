/**
 * The UICC file system of a virtual card, as data: the MF (3F00) and EF ICCID (2FE2), with the FCP
 * templates SELECT and STATUS return (ETSI TS 102 221 §11.1.1.3).
 * Minimal but well formed; pySim's `FcpTemplate` decodes every object below.
 *
 * ```
 * MF   62 { 82 78 21 | 83 3F00 | A5 { 80 71 } | 8A 05 | 8C 7F FF…FF | C6 { 90 00 | 83 01 } }
 * ICCID 62 { 82 41 21 | 83 2FE2 | 8A 05 | 8C 03 FF 00 | 80 000A | 88 10 }
 * ```
 *
 * - 82 file descriptor (§11.1.1.4.3): 78 = shareable DF; 41 = shareable working transparent EF; 21 is the data coding byte.
 * - 8A life cycle status integer (§11.1.1.4.9): 05 = operational, activated.
 * - 8C compact security attributes (§11.1.1.4.7.1, ISO 7816-4 §7.4.3): an access mode byte, then one
 *   security condition byte per mode bit set (b7→b1): FF never, 00 always. The MF allows no
 *   administrative operation; EF ICCID is read always, updated never (TS 102 221 §13.2: ICCID is
 *   "READ ALW, UPDATE NEV").
 * - C6 PIN status template (§9.5.2): PS_DO 90 = 00 (no PIN enabled) over key reference 01 (PIN1).
 *   The card has no PIN: VERIFY answers 6D00 (instruction not supported).
 */
import { encodeTlv, encodeTlvList, tlv } from '../../../tlv/index.ts';

/** File identifiers this file system has. */
export const FID = { MF: 0x3f00, EF_ICCID: 0x2fe2 } as const;

/** The short file identifier of EF ICCID (TS 102 221 §13.2). */
export const ICCID_SFI = 0x02;

/** One file the card can select. */
export interface UiccFile {
  readonly fid: number;
  readonly kind: 'df' | 'ef';
  /** Content of a transparent EF. */
  readonly content?: Uint8Array;
}

const fidBytes = (fid: number): Uint8Array => Uint8Array.of(fid >> 8, fid & 0xff);

/** The FCP template of the MF (TS 102 221 §11.1.1.3.1: DF/MF response parameters). */
export function mfFcp(): Uint8Array {
  return encodeTlv(
    tlv(0x62, [
      tlv(0x82, Uint8Array.of(0x78, 0x21)),
      tlv(0x83, fidBytes(FID.MF)),
      // §11.1.1.4.6.1 UICC characteristics: clock stop allowed, voltage classes A, B, C
      tlv(0xa5, [tlv(0x80, Uint8Array.of(0x71))]),
      tlv(0x8a, Uint8Array.of(0x05)),
      tlv(0x8c, Uint8Array.of(0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)),
      // C6 is a primitive tag whose value is a list of DOs (TS 102 221 §9.5.2)
      tlv(0xc6, encodeTlvList([tlv(0x90, Uint8Array.of(0x00)), tlv(0x83, Uint8Array.of(0x01))])),
    ]),
  );
}

/** The FCP template of a transparent EF of `size` bytes (TS 102 221 §11.1.1.3.2: EF response parameters). */
export function transparentEfFcp(fid: number, size: number, sfi: number): Uint8Array {
  return encodeTlv(
    tlv(0x62, [
      tlv(0x82, Uint8Array.of(0x41, 0x21)),
      tlv(0x83, fidBytes(fid)),
      tlv(0x8a, Uint8Array.of(0x05)),
      tlv(0x8c, Uint8Array.of(0x03, 0xff, 0x00)),
      tlv(0x80, Uint8Array.of(size >> 8, size & 0xff)),
      tlv(0x88, Uint8Array.of(sfi << 3)),
    ]),
  );
}
