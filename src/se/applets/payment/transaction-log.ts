/**
 * The card's transaction log (EMV 4.4 Book 3 Annex A: Log Entry 9F4D, Log Format 9F4F; Annex D4 [M]
 * for the log file): every transaction that produces a cryptogram appends one record to a cyclic
 * file read with READ RECORD, record 1 the newest. The file is named by the Log Entry (SFI ‖ number
 * of records) the issuer personalizes in the FCI's issuer discretionary data (A5 → BF0C → 9F4D);
 * a card without one keeps no log. A record is the values of the Log Format's elements
 * concatenated, without tags or lengths (the reader splits it by the format it got from GET DATA 9F4F).
 */
import { fromHex } from '../../../bytes/index.ts';
import { parseDol, type DolEntry } from '../../../emv/index.ts';
import { findTlv, parseTlvList, type Tlv } from '../../../tlv/index.ts';
import { inconsistent } from './perso-refusal.ts';

/**
 * The applet's Log Format (9F4F) [M: the elements of the Mastercard-style format seen on cards, with
 * the transaction type of the Visa-style one]: CID 9F27, amount 9F02, currency 5F2A, date 9A, type 9C, ATC 9F36.
 */
export const LOG_FORMAT: Uint8Array = fromHex('9F27019F02065F2A029A039C019F3602');
const LOG_ENTRIES: readonly DolEntry[] = parseDol(LOG_FORMAT);

/** Log Entry 9F4D: the log file's SFI and how many records it keeps. */
export interface LogEntry {
  readonly sfi: number;
  readonly records: number;
}

/** Book 3 Annex D4 [M]: the log file's SFI is in 11..30 (outside the files the AFL may name). */
const LOG_SFI = { min: 11, max: 30 } as const;
/** Most records the applet keeps (a bound on persistent memory) [M]. */
export const MAX_LOG_RECORDS = 30;

/**
 * The Log Entry of DGI 9102 (the FCI proprietary template's content): A5 → BF0C → 9F4D, or undefined
 * when the issuer personalized none. A malformed one refuses the personalization (6A80).
 */
export function logEntryOf(fciProprietary: readonly Tlv[]): LogEntry | undefined {
  const bf0c = fciProprietary.find((t) => t.tag === 0xbf0c);
  if (bf0c === undefined) return undefined;
  let children: readonly Tlv[];
  try {
    children = bf0c.children ?? parseTlvList(bf0c.value);
  } catch {
    return inconsistent('DGI 9102: BF0C is not BER-TLV');
  }
  const value = findTlv(children, 0x9f4d)?.value;
  if (value === undefined) return undefined;
  const [sfi, records] = [value[0] ?? 0, value[1] ?? 0];
  if (value.length !== 2 || sfi < LOG_SFI.min || sfi > LOG_SFI.max || records < 1 || records > MAX_LOG_RECORDS) {
    inconsistent(`9F4D must be SFI ${LOG_SFI.min}..${LOG_SFI.max} ‖ 1..${MAX_LOG_RECORDS} records`);
  }
  return { sfi, records };
}

/**
 * One log record of a transaction: each Log Format element from the terminal's DOL values (`terminal`,
 * keyed by upper-case hex tag), the ATC and the CID the card produced; an element the terminal did
 * not give (or gave in another length) is zeros.
 */
export function logRecord(terminal: Readonly<Record<string, Uint8Array>>, atc: Uint8Array, cid: number): Uint8Array {
  const own: Readonly<Record<string, Uint8Array>> = { '9F36': atc, '9F27': Uint8Array.of(cid) };
  const out = new Uint8Array(LOG_ENTRIES.reduce((n, e) => n + e.length, 0));
  let offset = 0;
  for (const e of LOG_ENTRIES) {
    const key = e.tag.toString(16).toUpperCase();
    const value = own[key] ?? (Object.hasOwn(terminal, key) ? terminal[key] : undefined);
    if (value?.length === e.length) out.set(value, offset);
    offset += e.length;
  }
  return out;
}

/** The log with `record` as the newest, the oldest dropped beyond `entry.records` (a cyclic file). */
export function appendLog(log: readonly Uint8Array[] | undefined, record: Uint8Array, entry: LogEntry): readonly Uint8Array[] {
  return [record, ...(log ?? [])].slice(0, entry.records);
}
