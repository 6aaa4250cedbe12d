import { fromHex, toHex } from '../../bytes/index.ts';
import { badArgument, badData } from './fail.ts';

/** Shortest AID: the 5-byte RID alone (ISO/IEC 7816-5 §5.2; GPC 2.3.1 Table 11-42 length '05'–'10'). */
export const AID_MIN_LENGTH = 5;
/** Longest AID: RID (5) and PIX (up to 11) (ISO/IEC 7816-5 §5.2). */
export const AID_MAX_LENGTH = 16;
/** GlobalPlatform's RID (GPC 2.3.1 §H.1.2). */
export const GP_RID = Uint8Array.of(0xa0, 0x00, 0x00, 0x01, 0x51);
/** Default Issuer Security Domain AID `A000000151000000` (GPC 2.3.1 §H.1.3). */
export const GP_ISD_AID = Uint8Array.of(0xa0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00);

/** True when `length` is a valid AID length, 5 to 16. */
export function validAidLength(length: number): boolean {
  return length >= AID_MIN_LENGTH && length <= AID_MAX_LENGTH;
}

/** True when `value` is a byte array of 5 to 16 bytes. */
export function isAid(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.length >= AID_MIN_LENGTH && value.length <= AID_MAX_LENGTH;
}

/**
 * Asserts that `value` is an AID of 5 to 16 bytes (host side: `ERR_GP_PARAM`).
 * @example assertAid(loadFileAid, 'load file AID')
 */
export function assertAid(value: unknown, name = 'AID'): asserts value is Uint8Array {
  if (!isAid(value)) {
    const got = value instanceof Uint8Array ? `${value.length} bytes` : typeof value;
    throw badArgument(`${name}: expected an AID of ${AID_MIN_LENGTH} to ${AID_MAX_LENGTH} bytes, got ${got}`);
  }
}

/**
 * A validated AID from hex (for configuration and tests).
 * @example aidFromHex('A000000151000000')
 */
export function aidFromHex(text: string, name = 'AID'): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = fromHex(text, name);
  } catch (e) {
    throw badArgument(`${name}: not hex`, e);
  }
  assertAid(bytes, name);
  return bytes;
}

/** Uppercase hex of an AID for logs and display. */
export function aidToHex(aid: Uint8Array): string {
  return toHex(aid);
}

/** The Registered Application Provider Identifier: the first 5 bytes (ISO/IEC 7816-5 §5.2). */
export function aidRid(aid: Uint8Array): Uint8Array {
  assertAid(aid);
  return aid.slice(0, AID_MIN_LENGTH);
}

/**
 * Card side: checks an AID field read from command data; `optional` allows the empty field that
 * several INSTALL layouts permit (GPC 2.3.1 Tables 11-42, 11-43, 11-46). Refusal: 6A80.
 */
export function checkAidField(field: Uint8Array, what: string, optional = false): Uint8Array | undefined {
  if (optional && field.length === 0) return undefined;
  if (!validAidLength(field.length)) {
    const allowed = optional ? `0 or ${AID_MIN_LENGTH}-${AID_MAX_LENGTH}` : `${AID_MIN_LENGTH}-${AID_MAX_LENGTH}`;
    throw badData(`${what}: length ${field.length}, expected ${allowed}`);
  }
  return field.slice();
}
