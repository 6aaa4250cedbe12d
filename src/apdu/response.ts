import { assertBytes, assertInt, concat } from '../bytes/index.ts';
import { ApduError } from './errors.ts';

/** A response APDU (ISO 7816-4 §5.1): data then SW1 SW2. `sw` is the 16-bit status word. */
export interface ResponseApdu {
  readonly kind: 'response-apdu';
  readonly data: Uint8Array;
  readonly sw: number;
}

/** Builds a frozen response APDU. */
export function responseApdu(data: Uint8Array, sw: number): ResponseApdu {
  assertBytes(data, undefined, 'response data');
  assertInt(sw, 0, 0xffff, 'status word');
  if (data.length > 65536) throw new ApduError('ERR_APDU_LENGTH', `response data: at most 65536 bytes, got ${data.length}`);
  return Object.freeze({ kind: 'response-apdu', data, sw });
}

/** Parses `data || SW1 SW2`. */
export function parseResponse(bytes: Uint8Array): ResponseApdu {
  assertBytes(bytes, undefined, 'response APDU');
  if (bytes.length < 2) throw new ApduError('ERR_APDU_MALFORMED', `response APDU: needs SW1 SW2, got ${bytes.length} bytes`);
  const n = bytes.length - 2;
  return responseApdu(bytes.slice(0, n), (bytes[n]! << 8) | bytes[n + 1]!);
}

/** Encodes `data || SW1 SW2`. */
export function encodeResponse(response: ResponseApdu): Uint8Array {
  return concat(response.data, Uint8Array.of(response.sw >> 8, response.sw & 0xff));
}

/**
 * True for normal processing: 9000 and 61xx (ISO 7816-4 §5.6). Warnings (62xx, 63xx, e.g. GP's 6310)
 * are not success; test for them explicitly.
 */
export function isSuccess(sw: number): boolean {
  return sw === 0x9000 || (sw >> 8) === 0x61;
}
