/**
 * A secured command packet over several SMS (3GPP TS 31.115 §? [M]; concatenation per 3GPP TS
 * 23.040 §9.2.3.24.1): the packet is secured whole first, then split; the first part carries the
 * concatenation element and the Command Packet Identifier (IEI 70), later parts the concatenation
 * element only [M: ota.md §1.4, the CPI only in the first part]. The receiver reassembles parts in
 * order and refuses anything else.
 */
import { assertBytes, assertInt, concat, equalCt } from '../bytes/index.ts';
import { guard, OtaError } from './errors.ts';
import { MAX_USER_DATA } from './sms-deliver.ts';
import { concatInfo, encodeUserDataHeader, hasMarker, IEI, parseUserData, type ConcatInfo, type InformationElement } from './user-data-header.ts';

/** §9.2.3.24.1: the part count is one octet. */
export const MAX_CONCAT_PARTS = 255;

const CPI: InformationElement = { iei: IEI.COMMAND_PACKET, data: new Uint8Array(0) };

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
 * The TP-UD of each SMS carrying `packet`: one SMS `02 70 00 | packet` when it fits, else parts
 * of at most 140 octets each, the CPI element in the first only.
 * @example splitCommandPacket(packet, { reference: 0x42, referenceBits: 8 })
 */
export function splitCommandPacket(packet: Uint8Array, options: SplitOptions): Uint8Array[] {
  return guard(() => {
    assertBytes(packet, undefined, 'command packet');
    assertInt(options.reference, 0, options.referenceBits === 16 ? 0xffff : 0xff, 'concatenation reference');
    if (options.referenceBits !== 8 && options.referenceBits !== 16) throw new OtaError('ERR_OTA_PARAM', 'concatenation reference: 8 or 16 bits');
    const single = encodeUserDataHeader([CPI]);
    if (single.length + packet.length <= MAX_USER_DATA) return [concat(single, packet)];
    const firstRoom = MAX_USER_DATA - encodeUserDataHeader([concatElement(options, 1, 1), CPI]).length;
    const laterRoom = MAX_USER_DATA - encodeUserDataHeader([concatElement(options, 1, 1)]).length;
    const total = 1 + Math.ceil((packet.length - firstRoom) / laterRoom);
    if (total > MAX_CONCAT_PARTS) throw new OtaError('ERR_OTA_LENGTH', `command packet: ${packet.length} octets need ${total} SMS, over ${MAX_CONCAT_PARTS}`);
    const parts = [concat(encodeUserDataHeader([concatElement(options, total, 1), CPI]), packet.subarray(0, firstRoom))];
    for (let seq = 2, at = firstRoom; seq <= total; seq++, at += laterRoom) {
      parts.push(concat(encodeUserDataHeader([concatElement(options, total, seq)]), packet.subarray(at, at + laterRoom)));
    }
    return parts;
  });
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
 * Card side: rebuilds a command packet from the TP-UD of SMS-PP data download messages. Parts must
 * arrive in order, 1 to total, under one reference. Refused (ERR_OTA_CONCAT, the set in progress
 * discarded): a gap or reordering, a different reference or total mid-set, more parts than
 * `maxParts`, the CPI missing from part 1 or present in a later part, a part with different bytes
 * under a sequence number already received. An identical repeat of the last part is refused too
 * (ERR_OTA_CONCAT) but keeps the set: networks duplicate SMS. A part 1 of a new reference starts
 * over (the host resends a whole packet under a new reference after a loss).
 * Mutable state: one object per card (or per SMS source).
 */
export class CommandPacketReassembler {
  readonly #maxParts: number;
  #current: InProgress | undefined;
  /** Set when a refusal keeps the set in progress (an identical repeat of the last part). */
  #keep = false;

  constructor(options: { maxParts: number }) {
    assertInt(options.maxParts, 1, MAX_CONCAT_PARTS, 'maxParts');
    this.#maxParts = options.maxParts;
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
      const cpi = hasMarker(elements, IEI.COMMAND_PACKET);
      if (info === undefined) {
        if (!cpi) throw new OtaError('ERR_OTA_PARSE', 'user data: no Command Packet Identifier (IEI 70)');
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
    if (info.sequence === 1 && !cpi) throw new OtaError('ERR_OTA_CONCAT', 'concatenation: part 1 lacks the Command Packet Identifier');
    if (info.sequence > 1 && cpi) throw new OtaError('ERR_OTA_CONCAT', 'concatenation: the Command Packet Identifier is allowed in part 1 only');
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
