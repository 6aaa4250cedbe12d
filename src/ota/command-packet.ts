/**
 * The SCP80 command packet (ETSI TS 102 225 §5.1), SMS-PP form without its CPI (the UDH `70 00`
 * element): CPL(2) CHL SPI(2) KIc KID TAR(3) | CNTR(5) PCNTR RC/CC/DS secured-data padding.
 * Host side builds it, card side parses and verifies it.
 */
import { assertBytes, ByteWriter, concat } from '../bytes/index.ts';
import { checkCounter } from './counter.ts';
import { guard, OtaError } from './errors.ts';
import type { OtaHostKeys } from './host-keys.ts';
import { otaEncrypt, type OtaAlgorithm, type OtaKeys } from './keys.ts';
import { POR } from './por-status.ts';
import { parseRcKid, RC_LENGTH, redundancyCheck, type RcKind } from './redundancy-check.ts';
import { CC_LENGTH, checkLength, computeCheck, decryptPart, packetSecurity, padCount, verifyCheck } from './secured.ts';
import { encodeSpi, parseSpi, type Spi } from './spi.ts';

/** What the host puts into a command packet. `kic`/`kid` are the raw KIc/KID bytes. */
export interface CommandPacketFields {
  readonly spi: Spi;
  readonly kic: number;
  readonly kid: number;
  readonly tar: Uint8Array;
  readonly counter: Uint8Array;
  readonly data: Uint8Array;
}

/** A command packet the card has verified. */
export interface CommandPacket extends CommandPacketFields {
  readonly kind: 'ota-command';
  readonly pcntr: number;
}

/** The clear header of a command packet, readable before any key is chosen (the card picks keys by TAR, KIc, KID). */
export interface CommandHeader {
  readonly kind: 'ota-command-header';
  readonly spi: Spi;
  readonly kic: number;
  readonly kid: number;
  readonly tar: Uint8Array;
}

/** §5.1: CHL counts SPI..RC/CC/DS, 13 bytes plus the checksum. */
const CHL_BASE = 13;
/** Bytes before the ciphered part: CPL(2) CHL SPI(2) KIc KID TAR(3). */
const CLEAR_HEADER = 10;
const MAX_CPL = 0xffff;

/** The clear parts of a command packet before the CC and ciphering are applied. */
interface CommandLayout {
  readonly cc: OtaAlgorithm | undefined;
  readonly rc?: RcKind | undefined;
  readonly cipher: OtaAlgorithm | undefined;
  /** CPL CHL SPI KIc KID TAR. */
  readonly header: Uint8Array;
  /** CNTR PCNTR. */
  readonly counter: Uint8Array;
  /** Secured data and padding. */
  readonly body: Uint8Array;
}

function commandLayout(fields: CommandPacketFields): CommandLayout {
  assertBytes(fields.tar, [3], 'TAR');
  assertBytes(fields.counter, [5], 'CNTR');
  assertBytes(fields.data, undefined, 'secured data');
  const sec = packetSecurity(fields.spi.rcCcDs, fields.spi.ciphered, fields.kic, fields.kid);
  const ccLength = checkLength(sec);
  // §5.1: PCNTR zero octets so that CNTR..end fills whole blocks of the KIc algorithm
  const pcntr = padCount(6 + ccLength + fields.data.length, sec.cipher);
  const chl = CHL_BASE + ccLength;
  const cpl = 1 + chl + fields.data.length + pcntr;
  if (cpl > MAX_CPL) throw new OtaError('ERR_OTA_LENGTH', `command packet: CPL ${cpl} over ${MAX_CPL}`);
  return {
    ...sec,
    header: new ByteWriter().u16(cpl).u8(chl).bytes(encodeSpi(fields.spi)).u8(fields.kic).u8(fields.kid).bytes(fields.tar).toBytes(),
    counter: concat(fields.counter, Uint8Array.of(pcntr)),
    body: concat(fields.data, new Uint8Array(pcntr)),
  };
}

/**
 * Builds a command packet (§5.1) with clear keys: the CC is computed over CPL..PCNTR, secured data
 * and padding (the CC field left out), then CNTR..padding is ciphered under KIc.
 * @example buildCommandPacket({ kic, kid }, { spi, kic: 0x35, kid: 0x35, tar, counter, data })
 */
export function buildCommandPacket(keys: OtaKeys, fields: CommandPacketFields): Uint8Array {
  return guard(() => {
    const l = commandLayout(fields);
    const cc = computeCheck(keys.kid, concat(l.header, l.counter, l.body), l);
    const secured = concat(l.counter, cc, l.body);
    return concat(l.header, l.cipher === undefined ? secured : otaEncrypt(keys.kic, secured, { algorithm: l.cipher }));
  });
}

/** Host side: `buildCommandPacket` with the keys behind `OtaHostKeys` (an HSM), byte for byte the same packet. */
export async function sealCommandPacket(keys: OtaHostKeys, fields: CommandPacketFields): Promise<Uint8Array> {
  const l = guard(() => commandLayout(fields));
  const covered = concat(l.header, l.counter, l.body);
  // an RC needs no key (§5.1.3.2); a CC is computed behind the host keys
  const cc = l.cc === undefined ? (l.rc === undefined ? new Uint8Array(0) : redundancyCheck(covered, l.rc)) : await keys.cc(covered, { algorithm: l.cc });
  const secured = concat(l.counter, cc, l.body);
  return concat(l.header, l.cipher === undefined ? secured : await keys.encrypt(secured, { algorithm: l.cipher }));
}

/** The SMS user data of a command packet: UDH `02 70 00` (the CPI element, TS 31.115 framing) then the packet. */
export function commandPacketUserData(packet: Uint8Array): Uint8Array {
  assertBytes(packet, undefined, 'command packet');
  return concat(Uint8Array.of(0x02, 0x70, 0x00), packet);
}

/** Reads and checks the clear header: CPL equals the packet length, CHL fits the SPI. */
export function parseCommandHeader(packet: Uint8Array): CommandHeader {
  return guard(() => {
    const { kind, spi, kic, kid, tar } = header(packet);
    return Object.freeze({ kind, spi, kic, kid, tar });
  });
}

function header(packet: Uint8Array): CommandHeader & { chl: number } {
  assertBytes(packet, undefined, 'command packet');
  if (packet.length < 2 + 1 + CHL_BASE) throw new OtaError('ERR_OTA_LENGTH', `command packet: ${packet.length} bytes, under the 16-byte minimum`);
  const cpl = (packet[0]! << 8) | packet[1]!;
  if (cpl !== packet.length - 2) throw new OtaError('ERR_OTA_LENGTH', `command packet: CPL ${cpl} but ${packet.length - 2} bytes follow it`);
  const chl = packet[2]!;
  const spi = parseSpi(packet.subarray(3, 5));
  const expected = CHL_BASE + (spi.rcCcDs === 'none' ? 0 : spi.rcCcDs === 'rc' ? RC_LENGTH[parseRcKid(packet[6]!)] : CC_LENGTH);
  if (spi.rcCcDs !== 'ds' && chl !== expected) {
    throw new OtaError('ERR_OTA_LENGTH', `command packet: CHL ${chl}, the SPI needs ${expected}`, { porStatus: POR.UNIDENTIFIED_SECURITY_ERROR });
  }
  if (packet.length < 3 + chl) throw new OtaError('ERR_OTA_LENGTH', `command packet: CHL ${chl} runs past the packet end`);
  return { kind: 'ota-command-header', spi, kic: packet[5]!, kid: packet[6]!, tar: packet.slice(7, 10), chl };
}

/**
 * Card side: parses and verifies a command packet (§5.1): lengths, deciphering, CC (constant-time),
 * PCNTR, then the counter against `storedCounter` per the SPI counter mode. Every refusal is an
 * OtaError whose `porStatus` says what the PoR must report (undefined: no PoR possible).
 */
export function unwrapCommandPacket(keys: OtaKeys, packet: Uint8Array, options: { storedCounter?: Uint8Array }): CommandPacket {
  return guard(() => {
    const h = header(packet);
    const sec = packetSecurity(h.spi.rcCcDs, h.spi.ciphered, h.kic, h.kid);
    const clear = packet.subarray(0, CLEAR_HEADER);
    const rest = packet.subarray(CLEAR_HEADER);
    const plain = sec.cipher === undefined ? rest : decryptPart(keys.kic, rest, sec.cipher);
    const ccLength = checkLength(sec);
    const counter = plain.slice(0, 5);
    const pcntr = plain[5]!;
    const body = plain.subarray(6 + ccLength);
    verifyCheck(keys.kid, concat(clear, plain.subarray(0, 6), body), plain.subarray(6, 6 + ccLength), sec);
    if (pcntr > body.length) throw new OtaError('ERR_OTA_CIPHER', 'command packet: PCNTR exceeds the secured data', { porStatus: POR.CIPHERING_ERROR });
    checkCounter(h.spi.counter, options.storedCounter, counter);
    return Object.freeze({
      kind: 'ota-command',
      spi: h.spi,
      kic: h.kic,
      kid: h.kid,
      tar: h.tar,
      counter,
      pcntr,
      data: body.slice(0, body.length - pcntr),
    });
  });
}
