/**
 * A secured packet over several SMS (3GPP TS 31.115 §? [M]; concatenation per 3GPP TS 23.040
 * §9.2.3.24.1): the packet is secured whole first, then split; the first part carries the
 * concatenation element and the packet's identifier element — 70 Command Packet Identifier for a
 * command packet (SMS-DELIVER), 71 Response Packet Identifier for a PoR (SMS-SUBMIT) — later parts
 * the concatenation element only [M: ota.md §1.4, the identifier only in the first part]. The
 * receiver reassembles parts in order and refuses anything else. A PoR's CC covers `02 71 00`, the
 * header of a PoR in one SMS (response-packet.ts), also when the PoR is then split [M]: the host
 * verifies it on the reassembled packet behind `02 71 00` (`responsePacketUserData`).
 */
import { assertBytes, assertInt, concat, equalCt } from '../bytes/index.ts';
import { guard, OtaError } from './errors.ts';
import { MAX_USER_DATA } from './sms-deliver.ts';
import { concatInfo, encodeUserDataHeader, hasMarker, IEI, parseUserData, type ConcatInfo, type InformationElement } from './user-data-header.ts';

/** §9.2.3.24.1: the part count is one octet. */
export const MAX_CONCAT_PARTS = 255;

/** Which secured packet the SMS carry: a command packet (CPI, IEI 70) or a response packet, the PoR (RPI, IEI 71). */
export type PacketKind = 'command' | 'response';

/** Per kind: the identifier element, and names for messages. */
const KINDS = Object.freeze({
  command: { iei: IEI.COMMAND_PACKET, name: 'command packet', identifier: 'Command Packet Identifier (IEI 70)' },
  response: { iei: IEI.RESPONSE_PACKET, name: 'response packet', identifier: 'Response Packet Identifier (IEI 71)' },
} as const);

function identifierElement(kind: PacketKind): InformationElement {
  return { iei: KINDS[kind].iei, data: new Uint8Array(0) };
}

/** How to split: the concatenation reference (new for every packet, also for a resend) and its width. */
export interface SplitOptions {
  readonly reference: number;
  readonly referenceBits: 8 | 16;
}

function concatElement(o: SplitOptions, total: number, sequence: number): InformationElement {
  const data = o.referenceBits === 16 ? Uint8Array.of(o.reference >> 8, o.reference & 0xff, total, sequence) : Uint8Array.of(o.reference, total, sequence);
  return { iei: o.referenceBits === 16 ? IEI.CONCAT_16 : IEI.CONCAT_8, data };
}

/**
 * The TP-UD of each SMS carrying a command packet: one SMS `02 70 00 | packet` when it fits, else
 * parts of at most 140 octets each, the CPI element in the first only.
 * @example splitCommandPacket(packet, { reference: 0x42, referenceBits: 8 })
 */
export function splitCommandPacket(packet: Uint8Array, options: SplitOptions): Uint8Array[] {
  return guard(() => splitPacket('command', packet, options));
}

/**
 * The TP-UD of each SMS-SUBMIT carrying a PoR, from its user data as `buildResponsePacket` gives it
 * (`02 71 00 | RPL …`, the CC already computed over it): that one SMS when it fits, else the
 * response packet behind `02 71 00` split like a command packet, the RPI element in part 1 only.
 * @example splitResponsePacket(por, { reference: 0x07, referenceBits: 8 })
 */
export function splitResponsePacket(porUserData: Uint8Array, options: SplitOptions): Uint8Array[] {
  return guard(() => {
    assertBytes(porUserData, undefined, 'PoR user data');
    if (porUserData.length < 3 || porUserData[0] !== 0x02 || porUserData[1] !== IEI.RESPONSE_PACKET || porUserData[2] !== 0x00) {
      throw new OtaError('ERR_OTA_PARSE', 'PoR user data: header is not 02 71 00');
    }
    return splitPacket('response', porUserData.subarray(3), options);
  });
}

function splitPacket(kind: PacketKind, packet: Uint8Array, options: SplitOptions): Uint8Array[] {
  const { name } = KINDS[kind];
  const id = identifierElement(kind);
  assertBytes(packet, undefined, name);
  assertInt(options.reference, 0, options.referenceBits === 16 ? 0xffff : 0xff, 'concatenation reference');
  if (options.referenceBits !== 8 && options.referenceBits !== 16) throw new OtaError('ERR_OTA_PARAM', 'concatenation reference: 8 or 16 bits');
  const single = encodeUserDataHeader([id]);
  if (single.length + packet.length <= MAX_USER_DATA) return [concat(single, packet)];
  const firstRoom = MAX_USER_DATA - encodeUserDataHeader([concatElement(options, 1, 1), id]).length;
  const laterRoom = MAX_USER_DATA - encodeUserDataHeader([concatElement(options, 1, 1)]).length;
  const total = 1 + Math.ceil((packet.length - firstRoom) / laterRoom);
  if (total > MAX_CONCAT_PARTS) throw new OtaError('ERR_OTA_LENGTH', `${name}: ${packet.length} octets need ${total} SMS, over ${MAX_CONCAT_PARTS}`);
  const parts = [concat(encodeUserDataHeader([concatElement(options, total, 1), id]), packet.subarray(0, firstRoom))];
  for (let seq = 2, at = firstRoom; seq <= total; seq++, at += laterRoom) {
    parts.push(concat(encodeUserDataHeader([concatElement(options, total, seq)]), packet.subarray(at, at + laterRoom)));
  }
  return parts;
}

/** What adding a part gave: the whole packet, or how far the set is. */
export type ReassemblyResult =
  | { readonly kind: 'complete'; readonly packet: Uint8Array }
  | { readonly kind: 'pending'; readonly reference: number; readonly received: number; readonly total: number };

interface InProgress {
  readonly info: ConcatInfo;
  readonly parts: Uint8Array[];
  /** Each part's TP-UD as received, to tell an identical duplicate from a forged one. */
  readonly raw: Uint8Array[];
}

/**
 * Rebuilds a secured packet from the TP-UD of the SMS carrying it: a command packet on the card
 * (SMS-PP data download), a PoR on the host (MO SMS-SUBMITs). Parts must arrive in order, 1 to
 * total, under one reference. Refused (ERR_OTA_CONCAT, the set in progress discarded): a gap or
 * reordering, a different reference or total mid-set, more parts than `maxParts`, the identifier
 * element (CPI / RPI) missing from part 1 or present in a later part, a part with different bytes
 * under a sequence number already received. An identical repeat of the last part is refused too
 * (ERR_OTA_CONCAT) but keeps the set: networks duplicate SMS. A part 1 of a new reference starts
 * over (the sender sends a whole packet again under a new reference after a loss). An SMS without
 * a concatenation element is a whole packet and leaves the set in progress alone.
 * Mutable state: one object per card (or per SMS source).
 */
export class PacketReassembler {
  readonly #kind: PacketKind;
  readonly #maxParts: number;
  #current: InProgress | undefined;
  /** Set when a refusal keeps the set in progress (an identical repeat of the last part). */
  #keep = false;

  constructor(options: { maxParts: number; packet: PacketKind }) {
    assertInt(options.maxParts, 1, MAX_CONCAT_PARTS, 'maxParts');
    if (options.packet !== 'command' && options.packet !== 'response') throw new OtaError('ERR_OTA_PARAM', 'reassembler: packet must be command or response');
    this.#maxParts = options.maxParts;
    this.#kind = options.packet;
  }

  /** The set being assembled, if any. */
  get pending(): { readonly reference: number; readonly received: number; readonly total: number } | undefined {
    const c = this.#current;
    return c === undefined ? undefined : { reference: c.info.reference, received: c.parts.length, total: c.info.total };
  }

  /** Forgets the set in progress. */
  reset(): void {
    this.#current = undefined;
  }

  /** Adds one SMS's TP-UD (with its header; TP-UDHI set). Throws OtaError on refusal. */
  add(ud: Uint8Array): ReassemblyResult {
    return guard(() => {
      const { elements, body } = parseUserData(ud);
      const info = concatInfo(elements);
      const cpi = hasMarker(elements, KINDS[this.#kind].iei);
      if (info === undefined) {
        if (!cpi) throw new OtaError('ERR_OTA_PARSE', `user data: no ${KINDS[this.#kind].identifier}`);
        return { kind: 'complete', packet: body };
      }
      this.#keep = false;
      try {
        return this.#addPart(info, cpi, body, ud);
      } catch (e) {
        if (!this.#keep) this.#current = undefined;
        throw e;
      }
    });
  }

  #addPart(info: ConcatInfo, cpi: boolean, body: Uint8Array, ud: Uint8Array): ReassemblyResult {
    if (info.total > this.#maxParts) throw new OtaError('ERR_OTA_CONCAT', `concatenation: ${info.total} parts, this receiver takes at most ${this.#maxParts}`);
    const { identifier } = KINDS[this.#kind];
    if (info.sequence === 1 && !cpi) throw new OtaError('ERR_OTA_CONCAT', `concatenation: part 1 lacks the ${identifier}`);
    if (info.sequence > 1 && cpi) throw new OtaError('ERR_OTA_CONCAT', `concatenation: the ${identifier} is allowed in part 1 only`);
    const c = this.#current;
    if (info.sequence === 1 && (c === undefined || c.info.reference !== info.reference || c.info.referenceBits !== info.referenceBits)) {
      this.#current = { info, parts: [body], raw: [ud.slice()] };
      return this.#result();
    }
    if (c === undefined) throw new OtaError('ERR_OTA_CONCAT', `concatenation: part ${info.sequence} without part 1`);
    if (c.info.reference !== info.reference || c.info.referenceBits !== info.referenceBits) throw new OtaError('ERR_OTA_CONCAT', 'concatenation: part of another reference mid-set');
    if (c.info.total !== info.total) throw new OtaError('ERR_OTA_CONCAT', `concatenation: total ${info.total}, the set says ${c.info.total}`);
    const last = c.parts.length;
    if (info.sequence <= last) {
      const same = c.raw[info.sequence - 1]!;
      this.#keep = info.sequence === last && same.length === ud.length && equalCt(same, ud);
      if (this.#keep) throw new OtaError('ERR_OTA_CONCAT', 'concatenation: duplicate of the last part (ignored)');
      throw new OtaError('ERR_OTA_CONCAT', `concatenation: part ${info.sequence} again, after part ${last}`);
    }
    if (info.sequence !== last + 1) throw new OtaError('ERR_OTA_CONCAT', `concatenation: part ${info.sequence} after part ${last} (gap or reordering)`);
    c.parts.push(body);
    c.raw.push(ud.slice());
    return this.#result();
  }

  #result(): ReassemblyResult {
    const c = this.#current!;
    if (c.parts.length < c.info.total) return { kind: 'pending', reference: c.info.reference, received: c.parts.length, total: c.info.total };
    this.#current = undefined;
    return { kind: 'complete', packet: concat(...c.parts) };
  }
}

/** Card side: a {@link PacketReassembler} of command packets (CPI, IEI 70). */
export class CommandPacketReassembler extends PacketReassembler {
  constructor(options: { maxParts: number }) {
    super({ maxParts: options.maxParts, packet: 'command' });
  }
}

/** Host side: a {@link PacketReassembler} of PoRs (RPI, IEI 71); `responsePacketUserData` frames the result for `openResponsePacket`. */
export class ResponsePacketReassembler extends PacketReassembler {
  constructor(options: { maxParts: number }) {
    super({ maxParts: options.maxParts, packet: 'response' });
  }
}
