/**
 * The SCP80 response packet, the PoR (ETSI TS 102 225 §5.2), in its SMS form: UDH `02 71 00` (the
 * RPI element) then RPL(2) RHL TAR(3) | CNTR(5) PCNTR Status RC/CC/DS additional-data padding.
 * Card side builds it, host side parses and verifies it. The PoR takes its security from SPI byte 2
 * and the KIc/KID of the command it answers.
 */
import { assertBytes, assertInt, ByteWriter, concat } from '../bytes/index.ts';
import { guard, OtaError } from './errors.ts';
import { otaEncrypt, type OtaKeys } from './keys.ts';
import { porStatusName } from './por-status.ts';
import type { OtaHostKeys } from './host-keys.ts';
import { redundancyCheck } from './redundancy-check.ts';
import { assertCipherLength, checkCc, checkLength, computeCheck, decryptPart, packetSecurity, padCount, verifyCheck, type PacketSecurity } from './secured.ts';
import type { Spi } from './spi.ts';

/** UDH of an SMS PoR: length 02, IE 71 (response packet identifier) of length 00. */
const RPI_UDH = Uint8Array.of(0x02, 0x71, 0x00);
/** §5.2: RHL counts TAR..RC/CC/DS, 10 bytes plus the checksum. */
const RHL_BASE = 10;

/** What the card puts into a PoR: the SPI, KIc and KID of the command, its TAR and CNTR echoed. */
export interface ResponsePacketFields {
  readonly spi: Spi;
  readonly kic: number;
  readonly kid: number;
  readonly tar: Uint8Array;
  readonly counter: Uint8Array;
  readonly status: number;
  readonly data: Uint8Array;
}

/** A PoR the host has verified. `secured` is false for an unsecured error PoR (no CC, not ciphered). */
export interface ResponsePacket {
  readonly kind: 'ota-por';
  readonly tar: Uint8Array;
  readonly counter: Uint8Array;
  readonly pcntr: number;
  readonly status: number;
  readonly statusName: string | undefined;
  readonly data: Uint8Array;
  readonly secured: boolean;
}

const NONE: PacketSecurity = { cc: undefined, cipher: undefined };

function security(spi: Spi, kic: number, kid: number, unsecured: boolean): PacketSecurity {
  return unsecured ? NONE : packetSecurity(spi.porRcCcDs, spi.porCiphered, kic, kid);
}

/**
 * Builds the PoR user data (§5.2). In SMS the CC covers the UDH too (3GPP TS 31.115; the pySim
 * vectors confirm it), then RPL..Status, additional data and padding
 * (the CC field left out); CNTR..padding is then ciphered. `unsecured` gives an error PoR with
 * neither, as cards send when the command's own security failed.
 */
export function buildResponsePacket(keys: OtaKeys, fields: ResponsePacketFields, options: { unsecured: boolean }): Uint8Array {
  return guard(() => {
    assertBytes(fields.tar, [3], 'TAR');
    assertBytes(fields.counter, [5], 'CNTR');
    assertBytes(fields.data, undefined, 'additional data');
    assertInt(fields.status, 0, 0xff, 'PoR status');
    const sec = security(fields.spi, fields.kic, fields.kid, options.unsecured);
    const ccLength = checkLength(sec);
    const pcntr = padCount(7 + ccLength + fields.data.length, sec.cipher);
    const rhl = RHL_BASE + ccLength;
    const rpl = 1 + rhl + fields.data.length + pcntr;
    if (rpl > 0xffff) throw new OtaError('ERR_OTA_LENGTH', `PoR: RPL ${rpl} over 65535`);
    const head = concat(RPI_UDH, new ByteWriter().u16(rpl).u8(rhl).bytes(fields.tar).toBytes());
    const counter = concat(fields.counter, Uint8Array.of(pcntr, fields.status));
    const body = concat(fields.data, new Uint8Array(pcntr));
    const cc = computeCheck(keys.kid, concat(head, counter, body), sec);
    const secured = concat(counter, cc, body);
    return concat(head, sec.cipher === undefined ? secured : otaEncrypt(keys.kic, secured, { algorithm: sec.cipher }));
  });
}

/**
 * A PoR's SMS user data from the response packet behind its header (RPL … end, as a
 * `ResponsePacketReassembler` gives it): `02 71 00 | packet`, what `openResponsePacket` verifies.
 */
export function responsePacketUserData(packet: Uint8Array): Uint8Array {
  return guard(() => {
    assertBytes(packet, undefined, 'response packet');
    return concat(RPI_UDH, packet);
  });
}

/**
 * Card side: whether a PoR goes back for a command with this SPI and outcome (§5.1.1, SPI byte 2
 * b2b1): always when required, only for a non-zero status when "on error", never otherwise.
 */
export function porWanted(spi: Spi, status: number): boolean {
  return spi.por === 'required' || (spi.por === 'on-error' && status !== 0);
}

/** What the host expects of a PoR: the command's SPI, KIc, KID, and optionally its TAR and CNTR to match. */
export interface ExpectedResponse {
  readonly spi: Spi;
  readonly kic: number;
  readonly kid: number;
  readonly tar?: Uint8Array;
  readonly counter?: Uint8Array;
}

/** A PoR's framing, checked before any key is used. */
interface PorFrame {
  readonly sec: PacketSecurity;
  readonly unsecured: boolean;
  readonly ccLength: number;
  /** UDH RPL RHL TAR: clear, covered by the CC. */
  readonly head: Uint8Array;
  /** CNTR..end, ciphered or not. */
  readonly rest: Uint8Array;
}

function porFrame(ud: Uint8Array, expected: ExpectedResponse): PorFrame {
  assertBytes(ud, undefined, 'PoR user data');
  if (ud.length < 3 + 2 + 1 + RHL_BASE) throw new OtaError('ERR_OTA_LENGTH', `PoR: ${ud.length} bytes, under the 16-byte minimum`);
  if (ud[0] !== 0x02 || ud[1] !== 0x71 || ud[2] !== 0x00) throw new OtaError('ERR_OTA_PARSE', 'PoR: user data header is not 02 71 00');
  const rpl = (ud[3]! << 8) | ud[4]!;
  if (rpl !== ud.length - 5) throw new OtaError('ERR_OTA_LENGTH', `PoR: RPL ${rpl} but ${ud.length - 5} bytes follow it`);
  const rhl = ud[5]!;
  const requested = security(expected.spi, expected.kic, expected.kid, false);
  const unsecured = checkLength(requested) > 0 && rhl === RHL_BASE;
  const sec = unsecured ? NONE : requested;
  const ccLength = checkLength(sec);
  if (rhl !== RHL_BASE + ccLength || ud.length < 6 + rhl) throw new OtaError('ERR_OTA_LENGTH', `PoR: RHL ${rhl}, the SPI needs ${RHL_BASE + ccLength}`);
  const rest = ud.subarray(9);
  if (sec.cipher !== undefined) assertCipherLength(rest, sec.cipher);
  return { sec, unsecured, ccLength, head: ud.subarray(0, 9), rest };
}

/** The bytes the PoR CC covers: UDH..TAR, CNTR PCNTR Status, additional data and padding. */
function porCovered(f: PorFrame, plain: Uint8Array): Uint8Array {
  return concat(f.head, plain.subarray(0, 7), plain.subarray(7 + f.ccLength));
}

/** After the CC check: status, PCNTR, and the TAR/CNTR match. */
function porResult(f: PorFrame, plain: Uint8Array, expected: ExpectedResponse): ResponsePacket {
  const pcntr = plain[5]!;
  const status = plain[6]!;
  const body = plain.subarray(7 + f.ccLength);
  if (f.unsecured && status === 0) throw new OtaError('ERR_OTA_CC', 'secured packet: cryptographic checksum does not verify');
  if (pcntr > body.length) throw new OtaError('ERR_OTA_CIPHER', 'PoR: PCNTR exceeds the additional data');
  const tar = f.head.slice(6, 9);
  const counter = plain.slice(0, 5);
  if (expected.tar !== undefined && !sameBytes(expected.tar, tar)) throw new OtaError('ERR_OTA_MISMATCH', 'PoR: TAR does not match the command');
  if (expected.counter !== undefined && !sameBytes(expected.counter, counter)) throw new OtaError('ERR_OTA_MISMATCH', 'PoR: CNTR does not match the command');
  return Object.freeze({
    kind: 'ota-por',
    tar,
    counter,
    pcntr,
    status,
    statusName: porStatusName(status),
    data: body.slice(0, body.length - pcntr),
    secured: !f.unsecured,
  });
}

/**
 * Parses and verifies a PoR's user data (§5.2) with clear keys. An RHL of 10 where the SPI asks for
 * a CC is an unsecured error PoR: accepted only with a non-zero status, and marked `secured: false`.
 */
export function unwrapResponsePacket(keys: OtaKeys, ud: Uint8Array, expected: ExpectedResponse): ResponsePacket {
  return guard(() => {
    const f = porFrame(ud, expected);
    const plain = f.sec.cipher === undefined ? f.rest : decryptPart(keys.kic, f.rest, f.sec.cipher);
    verifyCheck(keys.kid, porCovered(f, plain), plain.subarray(7, 7 + f.ccLength), f.sec);
    return porResult(f, plain, expected);
  });
}

/** Host side: `unwrapResponsePacket` with the keys behind `OtaHostKeys` (an HSM). */
export async function openResponsePacket(keys: OtaHostKeys, ud: Uint8Array, expected: ExpectedResponse): Promise<ResponsePacket> {
  const f = guard(() => porFrame(ud, expected));
  const plain = f.sec.cipher === undefined ? f.rest : await keys.decrypt(f.rest, { algorithm: f.sec.cipher });
  if (f.sec.cc !== undefined) {
    const computed = await keys.cc(porCovered(f, plain), { algorithm: f.sec.cc });
    guard(() => checkCc(computed, plain.subarray(7, 7 + f.ccLength)));
  } else if (f.sec.rc !== undefined) {
    const rc = f.sec.rc;
    guard(() => checkCc(redundancyCheck(porCovered(f, plain), rc), plain.subarray(7, 7 + f.ccLength)));
  }
  return guard(() => porResult(f, plain, expected));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
