import { ByteReader, ByteWriter, assertBytes, assertInt } from '../bytes/index.ts';
import { ApduError } from './errors.ts';

/**
 * A command APDU (ISO/IEC 7816-4:2020 §5.1), frozen. `ne` is the expected response length Ne:
 * undefined for no Le field; 1..256 in short form (256 is coded 00); 1..65536 in extended form
 * (65536 is coded 0000).
 */
export interface CommandApdu {
  readonly kind: 'command-apdu';
  readonly cla: number;
  readonly ins: number;
  readonly p1: number;
  readonly p2: number;
  /** Command data; empty means no Lc field. */
  readonly data: Uint8Array;
  readonly ne: number | undefined;
  /** Extended length encoding (ISO 7816-4 §5.1: Lc and Le both extended). */
  readonly extended: boolean;
}

/** The fields {@link commandApdu} validates; `data` defaults to empty, `ne` to no Le field. */
export interface CommandApduFields {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  data?: Uint8Array;
  ne?: number | undefined;
  /** Force extended length; chosen automatically when data exceeds 255 bytes or ne exceeds 256. */
  extended?: boolean;
}

/** The four ISO 7816-4 cases: 1 no data no Le, 2 Le only, 3 data only, 4 data and Le. */
export type ApduCase = 1 | 2 | 3 | 4;

/**
 * Builds and validates a command APDU.
 * @example commandApdu({ cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x00, data: aid, ne: 256 })
 */
export function commandApdu(fields: CommandApduFields): CommandApdu {
  assertInt(fields.cla, 0, 0xff, 'CLA');
  assertInt(fields.ins, 0, 0xff, 'INS');
  assertInt(fields.p1, 0, 0xff, 'P1');
  assertInt(fields.p2, 0, 0xff, 'P2');
  const data = fields.data ?? new Uint8Array(0);
  assertBytes(data, undefined, 'command data');
  if (fields.cla === 0xff) throw new ApduError('ERR_APDU_FIELD', 'CLA FF is reserved for PPS (ISO 7816-3)');
  if ((fields.ins & 0xf0) === 0x60 || (fields.ins & 0xf0) === 0x90) {
    throw new ApduError('ERR_APDU_FIELD', `INS ${hex2(fields.ins)} is invalid (6X and 9X are procedure bytes, ISO 7816-3 §10.3.3)`);
  }
  if (data.length > 65535) throw new ApduError('ERR_APDU_LENGTH', `command data: at most 65535 bytes, got ${data.length}`);
  if (fields.ne !== undefined) assertInt(fields.ne, 1, 65536, 'Ne');
  // Case 1 has no length fields, so it is never extended (keeps encode/parse round-trips exact).
  const hasLengths = data.length > 0 || fields.ne !== undefined;
  const extended = hasLengths && (fields.extended === true || data.length > 255 || (fields.ne ?? 0) > 256);
  return Object.freeze({
    kind: 'command-apdu',
    cla: fields.cla,
    ins: fields.ins,
    p1: fields.p1,
    p2: fields.p2,
    data,
    ne: fields.ne,
    extended,
  });
}

/** The ISO 7816-4 case of a command. */
export function apduCase(apdu: CommandApdu): ApduCase {
  if (apdu.data.length === 0) return apdu.ne === undefined ? 1 : 2;
  return apdu.ne === undefined ? 3 : 4;
}

/** Encodes a command APDU (ISO 7816-4 §5.1, Table 1 cases). */
export function encodeCommand(apdu: CommandApdu): Uint8Array {
  const w = new ByteWriter(apdu.data.length + 9);
  w.u8(apdu.cla).u8(apdu.ins).u8(apdu.p1).u8(apdu.p2);
  const n = apdu.data.length;
  if (!apdu.extended) {
    if (n > 255 || (apdu.ne ?? 0) > 256) throw new ApduError('ERR_APDU_LENGTH', 'short APDU: data over 255 bytes or Ne over 256');
    if (n > 0) w.u8(n).bytes(apdu.data);
    if (apdu.ne !== undefined) w.u8(apdu.ne === 256 ? 0 : apdu.ne);
    return w.toBytes();
  }
  if (n > 0) w.u8(0).u16(n).bytes(apdu.data);
  if (apdu.ne !== undefined) {
    if (n === 0) w.u8(0); // ISO 7816-4 §5.1: extended Le without Lc starts with 00
    w.u16(apdu.ne === 65536 ? 0 : apdu.ne);
  }
  return w.toBytes();
}

/**
 * Parses a command APDU strictly (ISO 7816-4 §5.1): the length must match one case exactly, an
 * extended Lc must come with an extended Le, and nothing may trail.
 */
export function parseCommand(bytes: Uint8Array): CommandApdu {
  assertBytes(bytes, undefined, 'command APDU');
  if (bytes.length < 4) throw malformed(`needs at least 4 bytes, got ${bytes.length}`);
  const r = new ByteReader(bytes, 'command APDU');
  const header = { cla: r.u8(), ins: r.u8(), p1: r.u8(), p2: r.u8() };
  const body = r.rest();
  const len = body.length;
  const build = (data: Uint8Array | undefined, ne: number | undefined, extended: boolean): CommandApdu => {
    try {
      return commandApdu({ ...header, data: data?.slice(), ne, extended });
    } catch (e) {
      throw malformed(e instanceof Error ? e.message : String(e), e);
    }
  };
  if (len === 0) return build(undefined, undefined, false); // case 1
  const b0 = body[0]!;
  if (len === 1) return build(undefined, b0 === 0 ? 256 : b0, false); // case 2S
  if (b0 !== 0) {
    // case 3S: Lc data; case 4S: Lc data Le
    if (len === 1 + b0) return build(body.subarray(1), undefined, false);
    if (len === 2 + b0) return build(body.subarray(1, 1 + b0), body[1 + b0] === 0 ? 256 : body[1 + b0], false);
    throw malformed(`short Lc ${b0} does not match the ${len - 1} bytes that follow`);
  }
  // b0 === 0 and len > 1: extended forms
  if (len === 3) {
    const le = (body[1]! << 8) | body[2]!;
    return build(undefined, le === 0 ? 65536 : le, true); // case 2E
  }
  if (len < 3) throw malformed(`extended length field is truncated (${len} bytes after the header)`);
  const lc = (body[1]! << 8) | body[2]!;
  if (lc === 0) throw malformed('extended Lc of 0000 is invalid');
  if (len === 3 + lc) return build(body.subarray(3), undefined, true); // case 3E
  if (len === 5 + lc) {
    const le = (body[3 + lc]! << 8) | body[4 + lc]!;
    return build(body.subarray(3, 3 + lc), le === 0 ? 65536 : le, true); // case 4E
  }
  throw malformed(`extended Lc ${lc} does not match the ${len - 3} bytes that follow`);
}

function malformed(detail: string, cause?: unknown): ApduError {
  return new ApduError('ERR_APDU_MALFORMED', `command APDU: ${detail}`, cause === undefined ? undefined : { cause });
}

function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}
