/**
 * The Application File Locator (94; EMV Book 3 §10.2): 4-byte entries SFI<<3 ‖ first record ‖ last
 * record ‖ number of records (from the first) that take part in offline data authentication.
 */
import { cardData } from '../errors.ts';

/** One AFL entry, checked. */
export interface AflEntry {
  readonly sfi: number;
  readonly first: number;
  readonly last: number;
  readonly odaCount: number;
}

/** Parses and checks an AFL (Book 3 §10.2: a malformed AFL ends the transaction). */
export function parseAfl(afl: Uint8Array): readonly AflEntry[] {
  if (afl.length === 0 || afl.length % 4 !== 0) throw cardData(`AFL: ${afl.length} bytes, not a positive multiple of 4`);
  const entries: AflEntry[] = [];
  for (let i = 0; i < afl.length; i += 4) {
    const [b1, first, last, odaCount] = [afl[i]!, afl[i + 1]!, afl[i + 2]!, afl[i + 3]!];
    const sfi = b1 >> 3;
    // Book 3 §10.2: SFI 1..30 in b8–b4, b3–b1 zero; first record ≥ 1; last ≥ first; ODA count ≤ last − first + 1
    if ((b1 & 0x07) !== 0 || sfi < 1 || sfi > 30) throw cardData('AFL: an entry has an invalid SFI byte');
    if (first < 1 || last < first) throw cardData('AFL: an entry has an invalid record range');
    if (odaCount > last - first + 1) throw cardData('AFL: an entry flags more records for ODA than it names');
    entries.push(Object.freeze({ sfi, first, last, odaCount }));
  }
  return Object.freeze(entries);
}
