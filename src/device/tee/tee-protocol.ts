/**
 * The wire between a TEE Client API library (client-api.ts) and the TEE process (tee-server.ts):
 * frames of a 4-byte big-endian length and that many bytes of UTF-8 JSON, at most
 * {@link MAX_FRAME} bytes. Every message is checked field by field when it arrives; whatever a
 * hostile peer sends ends in ERR_DEVICE_TEE (teecResult BAD_FORMAT or EXCESS_DATA), never a
 * TypeError or an unbounded buffer. Memory references travel as hex.
 */
import { fromHex, toHex } from '../../bytes/index.ts';
import { DeviceError } from '../errors.ts';
import { TEEC_LOGIN, TEEC_MAX_MEMREF, TEEC_MAX_PARAMS, TEEC_PARAM, TEEC_RESULT, isInput, isMemrefType, isOutput, isValueType, type TeecLogin } from './teec.ts';

/** The largest frame either side accepts (bytes of JSON). */
export const MAX_FRAME = 64 * 1024;

/** One parameter on the wire: type, value a/b, memref data (hex) and size (an output buffer's capacity, or the size needed). */
export interface WireParam {
  readonly t: number;
  readonly a?: number;
  readonly b?: number;
  readonly d?: string;
  readonly s?: number;
}

export type TeeRequest =
  | { readonly op: 'open'; readonly id: number; readonly uuid: string; readonly login: TeecLogin }
  | { readonly op: 'invoke'; readonly id: number; readonly session: number; readonly cmd: number; readonly params: readonly WireParam[] }
  | { readonly op: 'cancel'; readonly id: number; readonly target: number }
  | { readonly op: 'close'; readonly id: number; readonly session: number };

export interface TeeResponse {
  readonly id: number;
  readonly result: number;
  readonly origin: number;
  readonly session?: number;
  readonly params?: readonly WireParam[];
}

/** A UUID as GP TAs are named (RFC 4122 text form). */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const LOGINS: ReadonlySet<number> = new Set(Object.values(TEEC_LOGIN));
const HEX = /^(?:[0-9a-f]{2})*$/;

function bad(message: string, result: number = TEEC_RESULT.ERROR_BAD_FORMAT): DeviceError {
  return new DeviceError('ERR_DEVICE_TEE', `TEE frame: ${message}`, { teecResult: result });
}

/** One frame: length (4 bytes, big-endian) ‖ the message as UTF-8 JSON. */
export function encodeFrame(message: TeeRequest | TeeResponse): Uint8Array {
  const body = new TextEncoder().encode(JSON.stringify(message));
  if (body.length > MAX_FRAME) throw bad(`${body.length} bytes, more than ${MAX_FRAME}`, TEEC_RESULT.ERROR_EXCESS_DATA);
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, body.length);
  out.set(body, 4);
  return out;
}

/**
 * Cuts a byte stream into frames and parses each as JSON. Bounded: a length above MAX_FRAME is
 * refused before anything is buffered for it; after an error the decoder refuses everything.
 */
export class FrameDecoder {
  #buffer = new Uint8Array(0);
  #failed = false;

  /** Adds bytes; returns the JSON values of the frames now complete. */
  push(chunk: Uint8Array): unknown[] {
    if (this.#failed) throw bad('the stream already failed');
    const joined = new Uint8Array(this.#buffer.length + chunk.length);
    joined.set(this.#buffer);
    joined.set(chunk, this.#buffer.length);
    const out: unknown[] = [];
    let at = 0;
    try {
      while (joined.length - at >= 4) {
        const length = new DataView(joined.buffer, joined.byteOffset + at, 4).getUint32(0);
        if (length === 0 || length > MAX_FRAME) throw bad(`length ${length}: 1 to ${MAX_FRAME}`, TEEC_RESULT.ERROR_EXCESS_DATA);
        if (joined.length - at - 4 < length) break;
        out.push(parseJson(joined.subarray(at + 4, at + 4 + length)));
        at += 4 + length;
      }
    } catch (e) {
      this.#failed = true;
      this.#buffer = new Uint8Array(0);
      throw e;
    }
    this.#buffer = joined.slice(at);
    return out;
  }
}

function parseJson(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new DeviceError('ERR_DEVICE_TEE', 'TEE frame: not UTF-8 JSON', { cause, teecResult: TEEC_RESULT.ERROR_BAD_FORMAT });
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function uint(v: unknown, max: number, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) throw bad(`${what}: an integer 0..${max}`);
  return v;
}

const U32 = 0xffffffff;

function wireParams(v: unknown, direction: 'request' | 'response'): WireParam[] {
  if (!Array.isArray(v) || v.length > TEEC_MAX_PARAMS) throw bad(`params: at most ${TEEC_MAX_PARAMS}`, TEEC_RESULT.ERROR_BAD_PARAMETERS);
  return v.map((p: unknown, i) => {
    if (!isRecord(p)) throw bad(`param ${i}: an object`);
    const t = uint(p.t, 0xf, `param ${i} type`);
    const out: { t: number; a?: number; b?: number; d?: string; s?: number } = { t };
    if (t !== TEEC_PARAM.NONE && !isValueType(t) && !isMemrefType(t)) throw bad(`param ${i}: type ${t} is not supported`, TEEC_RESULT.ERROR_BAD_PARAMETERS);
    const carriesData = direction === 'request' ? isInput(t) : isOutput(t);
    if (isValueType(t) && carriesData) {
      out.a = uint(p.a, U32, `param ${i} a`);
      out.b = uint(p.b, U32, `param ${i} b`);
    }
    if (isMemrefType(t)) {
      if (p.d !== undefined) {
        if (!carriesData || typeof p.d !== 'string' || p.d.length > 2 * TEEC_MAX_MEMREF || !HEX.test(p.d)) throw bad(`param ${i} data: lowercase hex, at most ${TEEC_MAX_MEMREF} bytes`);
        out.d = p.d;
      }
      if (p.s !== undefined) out.s = uint(p.s, direction === 'request' ? TEEC_MAX_MEMREF : U32, `param ${i} size`);
      if (direction === 'request' && isOutput(t) && out.s === undefined) throw bad(`param ${i}: an output memref needs its size`);
    }
    return out;
  });
}

/** Checks a request a client sent (TEE side). */
export function parseRequest(v: unknown): TeeRequest {
  if (!isRecord(v)) throw bad('a request is an object');
  const id = uint(v.id, 0x7fffffff, 'id');
  switch (v.op) {
    case 'open':
      if (typeof v.uuid !== 'string' || !UUID_PATTERN.test(v.uuid)) throw bad('uuid: a lowercase RFC 4122 UUID', TEEC_RESULT.ERROR_BAD_PARAMETERS);
      if (typeof v.login !== 'number' || !LOGINS.has(v.login)) throw bad('login: a TEEC_LOGIN_* value', TEEC_RESULT.ERROR_BAD_PARAMETERS);
      return { op: 'open', id, uuid: v.uuid, login: v.login as TeecLogin };
    case 'invoke':
      return { op: 'invoke', id, session: uint(v.session, 0x7fffffff, 'session'), cmd: uint(v.cmd, U32, 'command'), params: wireParams(v.params, 'request') };
    case 'cancel':
      return { op: 'cancel', id, target: uint(v.target, 0x7fffffff, 'target') };
    case 'close':
      return { op: 'close', id, session: uint(v.session, 0x7fffffff, 'session') };
    default:
      throw bad('op: open, invoke, cancel or close');
  }
}

/** Checks a response the TEE sent (client side). */
export function parseResponse(v: unknown): TeeResponse {
  if (!isRecord(v)) throw bad('a response is an object');
  const out: { id: number; result: number; origin: number; session?: number; params?: WireParam[] } = {
    id: uint(v.id, 0x7fffffff, 'id'), result: uint(v.result, U32, 'result'), origin: uint(v.origin, 4, 'origin'),
  };
  if (v.session !== undefined) out.session = uint(v.session, 0x7fffffff, 'session');
  if (v.params !== undefined) out.params = wireParams(v.params, 'response');
  return out;
}

/** Memref bytes from the wire. */
export function wireBytes(hex: string | undefined): Uint8Array {
  return hex === undefined ? new Uint8Array(0) : fromHex(hex);
}

/** Memref bytes for the wire. */
export function bytesWire(bytes: Uint8Array): string {
  return toHex(bytes).toLowerCase();
}
