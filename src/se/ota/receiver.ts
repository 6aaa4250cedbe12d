/**
 * The virtual SE's OTA receiver (ETSI TS 102 225 / TS 102 226 over SMS-PP, 3GPP TS 31.115): takes the
 * TP-UD of SMS-PP data download messages (or a whole command packet), and for each complete secured
 * packet
 *   1. reads the clear header (CPL, CHL, SPI, KIc, KID, TAR) — unreadable: discarded, no PoR;
 *   2. finds the TAR's Security Domain — none: PoR 09;
 *   3. checks the TAR's Minimum Security Level against the SPI — below: PoR 0A;
 *   4. finds the SD's key set named by KIc/KID — none: PoR 06;
 *   5. deciphers, verifies RC/CC, PCNTR and the counter against the key set's (05 / 01 / 02 03 04);
 *   6. stores the accepted CNTR durably (its own card transaction, committed before anything runs:
 *      a counter is never reused, even if the script then fails or the power is cut);
 *   7. runs the remote APDUs (compact or expanded, TS 102 226) on the SD (`execute.ts`);
 *   8. answers a PoR when the SPI asks for one (always / on error), secured as SPI byte 2 says;
 *      an error found before the packet's RC/CC verified is answered unsecured (RHL 0A).
 * Nothing executes and no counter moves for a refused packet.
 */
import { concat, OpenTsmError, toHex } from '../../bytes/index.ts';
import type { ResponseApdu } from '../../apdu/index.ts';
import {
  buildResponsePacket,
  CommandPacketReassembler,
  encodeCompactResponse,
  encodeResponseScript,
  isExpandedFormat,
  OtaError,
  otaDecrypt,
  parseCommandHeader,
  parseKeyId,
  parseCommandScript,
  parseSpi,
  POR,
  porWanted,
  splitCompactCommands,
  unwrapCommandPacket,
  type CommandHeader,
  type OtaKeys,
  type PorVia,
  type Spi,
} from '../../ota/index.ts';
import { SeError } from '../errors.ts';
import type { CardManager } from '../gp/card-manager.ts';
import { securityDomainRunner, type OtaScriptRunner } from './execute.ts';
import { counterBytes, counterValue, findKeySet, withCounter } from './key-sets.ts';
import { meetsMsl, resolveTar } from './tar.ts';

/** What one SMS (or one packet) did to the card. */
export type OtaReceipt =
  /** A concatenated part was stored; more are awaited. */
  | { readonly kind: 'pending'; readonly received: number; readonly total: number }
  /** Nothing can be answered (unparseable packet, refused SMS part): no PoR, nothing executed. */
  | { readonly kind: 'discarded'; readonly error: OtaError }
  /** A packet was processed: `status` the PoR status; `por` the PoR's user data if the SPI asks for one. */
  | {
      readonly kind: 'processed';
      readonly tar: Uint8Array;
      readonly status: number;
      /** Commands executed (0 for a refused packet). */
      readonly executed: number;
      readonly por: Uint8Array | undefined;
      readonly porVia: PorVia;
      /** Why a packet was refused (status ≠ 00). */
      readonly error?: OtaError | undefined;
    };

/** Receiver options: bound on concatenated parts; the script runner (default: the card's SDs). */
export interface OtaReceiverOptions {
  /** At most this many SMS per concatenated packet (default 16: about 2 KB of packet). */
  readonly maxParts?: number;
  readonly runner?: OtaScriptRunner;
}

const NO_KEYS: OtaKeys = { kic: new Uint8Array(0), kid: new Uint8Array(0) };

/** Where the packet got before it was refused: what the PoR may say and how it is secured. */
interface Refusal {
  readonly error: OtaError;
  readonly header: CommandHeader;
  readonly counter: Uint8Array;
  /** Keys for a secured PoR (the packet's RC/CC verified), or undefined: unsecured PoR. */
  readonly keys: OtaKeys | undefined;
}

export class OtaReceiver {
  readonly #manager: CardManager;
  readonly #runner: OtaScriptRunner;
  readonly #parts: CommandPacketReassembler;

  constructor(manager: CardManager, options: OtaReceiverOptions = {}) {
    const maxParts = options.maxParts ?? 16;
    if (!Number.isInteger(maxParts) || maxParts < 1 || maxParts > 255) throw new SeError('ERR_SE_CONFIG', 'OTA receiver: maxParts must be 1..255');
    this.#manager = manager;
    this.#runner = options.runner ?? securityDomainRunner(manager);
    this.#parts = new CommandPacketReassembler({ maxParts });
  }

  /** The TP-UD of one SMS-PP data download message (with its header: `02 70 00 …` or a concatenated part). */
  receiveUserData(ud: Uint8Array): OtaReceipt {
    let result;
    try {
      result = this.#parts.add(ud);
    } catch (e) {
      return { kind: 'discarded', error: asOtaError(e) };
    }
    if (result.kind === 'pending') return { kind: 'pending', received: result.received, total: result.total };
    return this.receivePacket(result.packet);
  }

  /** One whole command packet (CPL … end). */
  receivePacket(packet: Uint8Array): OtaReceipt {
    let header: CommandHeader;
    try {
      header = parseCommandHeader(packet);
    } catch (e) {
      return this.#headerRefused(packet, asOtaError(e));
    }
    const outcome = this.#verify(packet, header);
    if (outcome.kind === 'refused') return this.#answer(outcome.refusal.header, outcome.refusal, 0, new Uint8Array(0));
    const { keys, data, counter } = outcome;
    const responses = this.#execute(outcome.sdAid, data);
    return this.#answer(header, { keys, counter }, responses.executed, responses.data);
  }

  /** Steps 2–6: TAR, MSL, key set, security and counter checks, counter stored. */
  #verify(
    packet: Uint8Array,
    h: CommandHeader,
  ): { kind: 'refused'; refusal: Refusal } | { kind: 'accepted'; sdAid: Uint8Array; keys: OtaKeys; data: Uint8Array; counter: Uint8Array } {
    const state = this.#manager.model.committed;
    const clearCounter = h.spi.ciphered || packet.length < 15 ? new Uint8Array(5) : packet.slice(10, 15);
    const refuse = (code: OtaError['code'], status: number, message: string, keys?: OtaKeys, counter: Uint8Array = clearCounter) =>
      ({ kind: 'refused', refusal: { error: new OtaError(code, message, { porStatus: status }), header: h, counter, keys } }) as const;
    const target = resolveTar(state, h.tar);
    if (target === undefined) return refuse('ERR_OTA_PARAM', POR.TAR_UNKNOWN, `TAR ${toHex(h.tar)} unknown`);
    if (!meetsMsl(h.spi, target.msl)) return refuse('ERR_OTA_PARAM', POR.INSUFFICIENT_SECURITY_LEVEL, 'SPI below the minimum security level of the TAR');
    const lookup = findKeySet(state, target.sdAid, h);
    const keyless = !h.spi.ciphered && h.spi.rcCcDs !== 'cc';
    if (lookup.kind === 'none' && !(keyless && (h.spi.counter === 'none' || h.spi.counter === 'no-check'))) {
      return refuse('ERR_OTA_KEY', POR.UNIDENTIFIED_SECURITY_ERROR, lookup.reason);
    }
    const keySet = lookup.kind === 'found' ? lookup.keySet : undefined;
    const keys = lookup.kind === 'found' ? lookup.keys : NO_KEYS;
    let cmd;
    try {
      // the counter is checked after the RC/CC (unwrapCommandPacket), so a counter refusal is answered secured
      cmd = unwrapCommandPacket(keys, packet, { storedCounter: keySet === undefined ? undefined : counterBytes(keySet.counter) });
    } catch (e) {
      const err = asOtaError(e);
      const verified = err.code === 'ERR_OTA_COUNTER';
      const counter = verified ? readCounter(keys, packet, h) : clearCounter;
      return { kind: 'refused', refusal: { error: err, header: h, counter, keys: verified ? keys : undefined } };
    }
    if (keySet !== undefined && (h.spi.counter === 'higher' || h.spi.counter === 'one-higher')) {
      const stored = this.#storeCounter(keySet, counterValue(cmd.counter));
      if (stored !== undefined) return refuse('ERR_OTA_COUNTER', POR.INSUFFICIENT_MEMORY, stored, keys, cmd.counter);
    }
    return { kind: 'accepted', sdAid: target.sdAid, keys, data: cmd.data, counter: cmd.counter };
  }

  /** Step 6: the accepted CNTR, committed in its own transaction; an error message if the store failed. */
  #storeCounter(keySet: Parameters<typeof withCounter>[1], value: number): string | undefined {
    const model = this.#manager.model;
    model.begin();
    try {
      model.update(withCounter(model.state, keySet, value));
      model.commit();
      return undefined;
    } catch (e) {
      model.rollback();
      return `counter not stored: ${e instanceof Error ? e.message : String(e)}`;
    }
  }

  /** Step 7: compact or expanded script on the SD; the PoR additional data. */
  #execute(sdAid: Uint8Array, data: Uint8Array): { executed: number; data: Uint8Array } {
    if (isExpandedFormat(data)) {
      let apdus: Uint8Array[];
      let length: 'definite' | 'indefinite' = 'definite';
      try {
        const script = parseCommandScript(data);
        length = script.length;
        apdus = script.items.flatMap((i) => (i.kind === 'c-apdu' ? [i.apdu] : []));
      } catch {
        // TS 102 226 §5.2: a script the card cannot parse is answered with Bad Format (90) [M]
        return { executed: 0, data: encodeResponseScript({ length: 'definite', executed: 0, responses: [], badFormat: Uint8Array.of(0x01) }) };
      }
      const responses = apdus.length === 0 ? [] : this.#runner.run(sdAid, apdus);
      const encoded = responses.map((r) => concat(r.data, Uint8Array.of(r.sw >> 8, r.sw & 0xff)));
      // SMS carries the definite form (AB); an indefinite script (AE, SCP81's form) is answered AF
      return { executed: responses.length, data: encodeResponseScript({ length, executed: responses.length, responses: encoded }) };
    }
    let apdus: Uint8Array[];
    try {
      apdus = splitCompactCommands(data);
    } catch {
      return { executed: 0, data: encodeCompactResponse(0, 0x6700, new Uint8Array(0)) };
    }
    if (apdus.length === 0) return { executed: 0, data: new Uint8Array(0) };
    const responses: ResponseApdu[] = this.#runner.run(sdAid, apdus);
    const last = responses[responses.length - 1]!;
    return { executed: responses.length, data: encodeCompactResponse(responses.length, last.sw, last.data) };
  }

  /** Step 8: the PoR, if the SPI wants one for this status. */
  #answer(h: CommandHeader, r: { keys: OtaKeys | undefined; counter: Uint8Array; error?: OtaError }, executed: number, data: Uint8Array): OtaReceipt {
    const status = r.error === undefined ? POR.OK : (r.error.porStatus ?? POR.UNIDENTIFIED_SECURITY_ERROR);
    const base = { kind: 'processed', tar: h.tar, status, executed, porVia: h.spi.porVia, error: r.error } as const;
    if (!porWanted(h.spi, status)) return { ...base, por: undefined };
    const fields = { spi: h.spi, kic: h.kic, kid: h.kid, tar: h.tar, counter: r.counter, status, data: status === POR.OK ? data : new Uint8Array(0) };
    try {
      return { ...base, por: buildResponsePacket(r.keys ?? NO_KEYS, fields, { unsecured: r.keys === undefined }) };
    } catch {
      // the PoR's own security cannot be applied (e.g. an RC asked with a KID naming no CRC): answer unsecured
      return { ...base, por: buildResponsePacket(NO_KEYS, fields, { unsecured: true }) };
    }
  }

  /** A header that does not parse: a PoR only when the error names a status and the SPI and TAR are readable. */
  #headerRefused(packet: Uint8Array, error: OtaError): OtaReceipt {
    if (error.porStatus === undefined || packet.length < 10) return { kind: 'discarded', error };
    let spi: Spi;
    try {
      spi = parseSpi(packet.subarray(3, 5));
    } catch {
      return { kind: 'discarded', error };
    }
    const h: CommandHeader = Object.freeze({ kind: 'ota-command-header', spi, kic: packet[5]!, kid: packet[6]!, tar: packet.slice(7, 10) });
    if (resolveTar(this.#manager.model.committed, h.tar) === undefined) return { kind: 'discarded', error };
    return this.#answer(h, { keys: undefined, counter: new Uint8Array(5), error }, 0, new Uint8Array(0));
  }
}

/** The CNTR of a packet whose RC/CC verified but whose counter was refused (for the PoR to echo). */
function readCounter(keys: OtaKeys, packet: Uint8Array, h: CommandHeader): Uint8Array {
  if (!h.spi.ciphered) return packet.slice(10, 15);
  try {
    return otaDecrypt(keys.kic, packet.subarray(10), { algorithm: parseKeyId(h.kic, 'KIc').algorithm }).slice(0, 5);
  } catch {
    return new Uint8Array(5);
  }
}

function asOtaError(e: unknown): OtaError {
  if (e instanceof OtaError) return e;
  if (e instanceof OpenTsmError) return new OtaError('ERR_OTA_PARAM', e.message, { cause: e });
  throw e;
}

