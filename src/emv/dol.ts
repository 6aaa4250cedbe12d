/**
 * Data Object Lists (EMV 4.4 Book 3 §5.4): a DOL (PDOL 9F38, CDOL1 8C, DDOL 9F49) is a list of
 * tag ‖ length pairs; the terminal answers it with the values concatenated, each of exactly the
 * listed length. The card splits that data back by the same list.
 */
import { concat } from '../bytes/index.ts';
import { assertEmvBytes } from './assert.ts';
import { EmvError } from './errors.ts';

/** One entry of a DOL: a tag (as a number, e.g. 0x9F02) and the length the card asks for. */
export interface DolEntry {
  readonly tag: number;
  readonly length: number;
}

/** The longest DOL we parse, in entries (a PDOL or CDOL fits in one short APDU). */
const MAX_ENTRIES = 64;

function tagKey(tag: number): string {
  return tag.toString(16).toUpperCase().padStart(tag > 0xff ? 4 : 2, '0');
}

/**
 * Parses a DOL: BER tags of 1 or 2 bytes (Book 3 Annex B1), each followed by a one-byte length.
 * @example parseDol(hex`9F02069F3704`) → [{ tag: 0x9F02, length: 6 }, { tag: 0x9F37, length: 4 }]
 */
export function parseDol(dol: Uint8Array): readonly DolEntry[] {
  assertEmvBytes(dol, undefined, 'DOL');
  const entries: DolEntry[] = [];
  let i = 0;
  while (i < dol.length) {
    let tag = dol[i++]!;
    if ((tag & 0x1f) === 0x1f) {
      if (i >= dol.length) throw new EmvError('ERR_EMV_INPUT', 'DOL: a two-byte tag is cut short');
      const second = dol[i++]!;
      if ((second & 0x80) !== 0) throw new EmvError('ERR_EMV_INPUT', 'DOL: tags longer than two bytes are not EMV tags');
      tag = (tag << 8) | second;
    }
    if (i >= dol.length) throw new EmvError('ERR_EMV_INPUT', `DOL: tag ${tagKey(tag)} has no length`);
    const length = dol[i++]!;
    if (length === 0 || length > 0x7f) throw new EmvError('ERR_EMV_INPUT', `DOL: tag ${tagKey(tag)} asks for ${length} bytes (1..127)`);
    if (entries.length === MAX_ENTRIES) throw new EmvError('ERR_EMV_INPUT', `DOL: more than ${MAX_ENTRIES} entries`);
    entries.push(Object.freeze({ tag, length }));
  }
  return Object.freeze(entries);
}

/** The total length of the data answering `entries`. */
export function dolDataLength(entries: readonly DolEntry[]): number {
  return entries.reduce((sum, e) => sum + e.length, 0);
}

/**
 * The terminal's answer to a DOL (Book 3 §5.4): each entry's value from `values` (keyed by
 * upper-case hex tag, e.g. '9F02'); a tag the terminal does not know is sent as zeros. A known value
 * of another length is refused — our kernel never truncates or pads data it was given.
 * @example buildDolData(parseDol(pdol), { '9F02': amount, '9F37': un })
 */
export function buildDolData(entries: readonly DolEntry[], values: Readonly<Record<string, Uint8Array>>): Uint8Array {
  const parts = entries.map((entry) => {
    const key = tagKey(entry.tag);
    const value = Object.hasOwn(values, key) ? values[key] : undefined;
    if (value === undefined) return new Uint8Array(entry.length);
    assertEmvBytes(value, [entry.length], `DOL value ${key}`);
    return value;
  });
  return concat(...parts);
}

/**
 * The card's side: splits DOL data back into values keyed by upper-case hex tag. The data must be
 * exactly as long as the DOL asks (else ERR_EMV_INPUT; the card answers 6700).
 */
export function splitDolData(entries: readonly DolEntry[], data: Uint8Array): Readonly<Record<string, Uint8Array>> {
  assertEmvBytes(data, [dolDataLength(entries)], 'DOL data');
  const values: Record<string, Uint8Array> = {};
  let offset = 0;
  for (const entry of entries) {
    values[tagKey(entry.tag)] = data.slice(offset, offset + entry.length);
    offset += entry.length;
  }
  return Object.freeze(values);
}
