/**
 * The TSM side of a PoR longer than one SMS (docs/sms-bearer.md): the card sends it as concatenated
 * SMS-SUBMITs (3GPP TS 23.040 §9.2.3.24.1; RPI, IEI 71, in part 1 only [M]) which reach the SMS
 * bearer as one MO deliver_sm each. `MoReassembly` rebuilds them per MSISDN before anyone parses a
 * PoR: a part is held until its set is complete, then one `MoSms` goes on whose user data is
 * `02 71 00 | response packet` — the single-SMS form the PoR's CC was computed over, what
 * `openResponsePacket` verifies. An MO without a concatenation element goes on unchanged.
 *
 * Refused parts (src/ota's `ResponsePacketReassembler`: a gap or reordering, a forged repeat, the RPI
 * missing from part 1 or in a later part, more than `maxParts`) are dropped with the set, and told
 * to `onRefused`; the PoR's own CC catches any other change. Bounded: at most `maxSources` MSISDNs
 * with a set in progress (the least recently active dropped first), a set idle longer than
 * `partTimeoutMs` forgotten. Parts must arrive in order (one SMPP session delivers them so).
 */
import { IEI, OtaError, parseUserData, ResponsePacketReassembler, responsePacketUserData, MAX_CONCAT_PARTS } from '../../ota/index.ts';
import { TsmError } from '../errors.ts';
import type { MoSms } from './smpp-bearer.ts';

/** Bounds and hooks of an {@link MoReassembly}. */
export interface MoReassemblyOptions {
  /** Parts of one PoR, at most (default 16, about 2 KB of PoR; 1..255). */
  readonly maxParts?: number;
  /** MSISDNs with a set in progress, at most (default 1024). */
  readonly maxSources?: number;
  /** A set with no new part for this long is forgotten (default 60 000 ms). */
  readonly partTimeoutMs?: number;
  /** Told each refused part (typed, no bytes, the MSISDN for the caller's own log policy). */
  readonly onRefused?: (msisdn: string, error: OtaError) => void;
  /** Clock (tests). */
  readonly now?: () => number;
}

interface Source {
  readonly parts: ResponsePacketReassembler;
  at: number;
}

/**
 * MO SMS in, whole PoRs out: `add(mo)` gives the MO to pass on, or undefined while parts are held.
 * @example
 * const parts = new MoReassembly();
 * session.on('deliver_sm', (pdu) => { const mo = parts.add(moOf(pdu)); if (mo !== undefined) emit(mo); });
 */
export class MoReassembly {
  readonly #maxParts: number;
  readonly #maxSources: number;
  readonly #timeoutMs: number;
  readonly #o: MoReassemblyOptions;
  readonly #sources = new Map<string, Source>();

  constructor(options: MoReassemblyOptions = {}) {
    this.#maxParts = bounded(options.maxParts ?? 16, 1, MAX_CONCAT_PARTS, 'maxParts');
    this.#maxSources = bounded(options.maxSources ?? 1024, 1, 1_000_000, 'maxSources');
    this.#timeoutMs = bounded(options.partTimeoutMs ?? 60_000, 1, 86_400_000, 'partTimeoutMs');
    this.#o = options;
  }

  /** MSISDNs with a set in progress. */
  get pending(): number {
    return this.#sources.size;
  }

  /** One MO SMS: itself when it is not a concatenated part, the whole PoR when it completes one, else undefined. */
  add(mo: MoSms): MoSms | undefined {
    if (!mo.udhi || !isPart(mo.userData)) return mo;
    const now = this.#now();
    const source = this.#source(mo.msisdn, now);
    let result;
    try {
      result = source.parts.add(mo.userData);
    } catch (e) {
      if (!(e instanceof OtaError)) throw e;
      if (source.parts.pending === undefined) this.#sources.delete(mo.msisdn);
      this.#o.onRefused?.(mo.msisdn, e);
      return undefined;
    }
    if (result.kind === 'pending') return undefined;
    this.#sources.delete(mo.msisdn);
    return Object.freeze({ ...mo, userData: responsePacketUserData(result.packet) });
  }

  /** The MSISDN's reassembler, refreshed as most recently active; stale and surplus sets dropped. */
  #source(msisdn: string, now: number): Source {
    for (const [key, s] of this.#sources) {
      if (now - s.at <= this.#timeoutMs) break; // oldest first: the rest are newer
      this.#sources.delete(key);
    }
    let source = this.#sources.get(msisdn);
    this.#sources.delete(msisdn);
    source ??= { parts: new ResponsePacketReassembler({ maxParts: this.#maxParts }), at: now };
    source.at = now;
    this.#sources.set(msisdn, source);
    if (this.#sources.size > this.#maxSources) this.#sources.delete(this.#sources.keys().next().value!);
    return source;
  }

  #now(): number {
    return this.#o.now?.() ?? Date.now();
  }
}

/** Whether the header holds a concatenation element (a header that does not parse is no part: passed on, the PoR parser refuses it). */
function isPart(userData: Uint8Array): boolean {
  let elements;
  try {
    elements = parseUserData(userData).elements;
  } catch {
    return false;
  }
  return elements.some((e) => e.iei === IEI.CONCAT_8 || e.iei === IEI.CONCAT_16);
}

function bounded(value: number, min: number, max: number, name: string): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new TsmError('ERR_TSM_CONFIG', `MO reassembly: ${name} must be an integer ${min}..${max}`);
  return value;
}
