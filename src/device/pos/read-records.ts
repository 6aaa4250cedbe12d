/**
 * READ RECORD of every record the AFL names (EMV Book 3 §10.2), keeping the data elements and the
 * static data to be authenticated (Book 3 §10.3): for SFI 1–10 the value of the record template 70,
 * for SFI 11–30 the whole record (tag and length included).
 */
import type { ApduTransport } from '../../apdu/index.ts';
import { concat } from '../../bytes/index.ts';
import { exchange, expectSw, parseTemplate } from '../card-io.ts';
import type { AflEntry } from './afl.ts';
import type { CardData } from './card-data.ts';

/** Reads the AFL's records into `data`; returns the records' part of the static data to authenticate. */
export async function readRecords(card: ApduTransport, afl: readonly AflEntry[], data: CardData): Promise<Uint8Array> {
  const odaParts: Uint8Array[] = [];
  for (const entry of afl) {
    for (let record = entry.first; record <= entry.last; record++) {
      const what = `READ RECORD ${record} of SFI ${entry.sfi}`;
      // Book 3 §6.5.11: P2 = SFI << 3 | 100 (P1 is a record number)
      const response = expectSw(await exchange(card, { cla: 0x00, ins: 0xb2, p1: record, p2: (entry.sfi << 3) | 0x04, ne: 256 }), what, 0x9000);
      const forOda = record < entry.first + entry.odaCount;
      if (entry.sfi <= 10) {
        const template = parseTemplate(response.data, what, 0x70);
        data.addTemplate(template, what);
        if (forOda) odaParts.push(template.value);
      } else if (forOda) {
        odaParts.push(response.data);
      }
    }
  }
  return concat(...odaParts);
}
