/**
 * The User Data Header of SMS user data (3GPP TS 23.040 §9.2.3.24): UDHL then information elements
 * IEI, IEIDL, data. The OTA elements: 70 Command Packet Identifier and 71 Response Packet Identifier
 * (3GPP TS 31.115 §4 / §6, both with empty data), 00 / 08 concatenated short message with an 8- or
 * 16-bit reference (§9.2.3.24.1 / §9.2.3.24.8).
 */
import { assertBytes, concat } from '../bytes/index.ts';
import { OtaError } from './errors.ts';

/** The information element identifiers used here. */
export const IEI = Object.freeze({ CONCAT_8: 0x00, CONCAT_16: 0x08, COMMAND_PACKET: 0x70, RESPONSE_PACKET: 0x71 } as const);

/** One information element. */
export interface InformationElement {
  readonly iei: number;
  readonly data: Uint8Array;
}

/** The concatenation element: reference, total parts, this part's sequence number (1-based). */
export interface ConcatInfo {
  readonly reference: number;
  readonly referenceBits: 8 | 16;
  readonly total: number;
  readonly sequence: number;
}

/** User data split into its header elements and the rest. */
export interface UserData {
  readonly kind: 'sms-user-data';
  readonly elements: readonly InformationElement[];
  readonly body: Uint8Array;
}

/** Encodes UDHL and the elements (an empty list gives no header at all). */
export function encodeUserDataHeader(elements: readonly InformationElement[]): Uint8Array {
  if (elements.length === 0) return new Uint8Array(0);
  const ies = concat(...elements.map((e) => concat(Uint8Array.of(e.iei, e.data.length), e.data)));
  if (ies.length > 139) throw new OtaError('ERR_OTA_LENGTH', `user data header: ${ies.length} octets`);
  return concat(Uint8Array.of(ies.length), ies);
}

/** Splits user data with TP-UDHI set into its elements and body; a header running past the data is refused. */
export function parseUserData(ud: Uint8Array): UserData {
  assertBytes(ud, undefined, 'TP-UD');
  if (ud.length === 0) throw new OtaError('ERR_OTA_PARSE', 'user data header: empty user data');
  const udhl = ud[0]!;
  if (1 + udhl > ud.length) throw new OtaError('ERR_OTA_PARSE', `user data header: UDHL ${udhl} runs past the ${ud.length}-octet user data`);
  const elements: InformationElement[] = [];
  let i = 1;
  while (i < 1 + udhl) {
    if (i + 2 > 1 + udhl) throw new OtaError('ERR_OTA_PARSE', 'user data header: truncated information element');
    const iei = ud[i]!;
    const len = ud[i + 1]!;
    if (i + 2 + len > 1 + udhl) throw new OtaError('ERR_OTA_PARSE', `user data header: element ${iei.toString(16)} runs past UDHL`);
    elements.push(Object.freeze({ iei, data: ud.slice(i + 2, i + 2 + len) }));
    i += 2 + len;
  }
  return Object.freeze({ kind: 'sms-user-data', elements, body: ud.slice(1 + udhl) });
}

/** The concatenation element of a header, if any (§9.2.3.24.1: total and sequence 1..255, sequence ≤ total). */
export function concatInfo(elements: readonly InformationElement[]): ConcatInfo | undefined {
  const found = elements.filter((e) => e.iei === IEI.CONCAT_8 || e.iei === IEI.CONCAT_16);
  if (found.length === 0) return undefined;
  if (found.length > 1) throw new OtaError('ERR_OTA_CONCAT', 'user data header: more than one concatenation element');
  const e = found[0]!;
  const wide = e.iei === IEI.CONCAT_16;
  if (e.data.length !== (wide ? 4 : 3)) throw new OtaError('ERR_OTA_CONCAT', `concatenation element: ${e.data.length} octets of data`);
  const d = e.data;
  const reference = wide ? (d[0]! << 8) | d[1]! : d[0]!;
  const total = d[wide ? 2 : 1]!;
  const sequence = d[wide ? 3 : 2]!;
  if (total === 0 || sequence === 0 || sequence > total) throw new OtaError('ERR_OTA_CONCAT', `concatenation element: part ${sequence} of ${total}`);
  return Object.freeze({ reference, referenceBits: wide ? 16 : 8, total, sequence });
}

/** Whether the header holds an element with an empty value (70 or 71); a non-empty one is refused. */
export function hasMarker(elements: readonly InformationElement[], iei: number): boolean {
  const found = elements.filter((e) => e.iei === iei);
  if (found.length > 1 || found.some((e) => e.data.length !== 0)) throw new OtaError('ERR_OTA_PARSE', `user data header: element ${iei.toString(16)} malformed or repeated`);
  return found.length === 1;
}
