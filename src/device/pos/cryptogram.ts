/**
 * The application cryptogram: taken from the GPO response (flow `gpo`, EMV Book C-3 [M]) or asked for
 * with one GENERATE AC with the CDOL1 data (flow `generate-ac`, EMV Book 3 §6.5.5, §9.2; Book C-2 [M]).
 * Cryptogram Information Data (9F27) b8–b7: 00 AAC, 40 TC, 80 ARQC (Book 3 Annex C6.1).
 */
import type { ApduTransport } from '../../apdu/index.ts';
import { exchange, expectSw, parseTemplate } from '../card-io.ts';
import { cardData } from '../errors.ts';
import type { CardData } from './card-data.ts';

/** The cryptogram type a terminal asks for (GENERATE AC P1 b8–b7) or a card returned (CID b8–b7). */
export const AC_TYPE = { aac: 0x00, tc: 0x40, arqc: 0x80 } as const;

/** The card's cryptogram and the data elements the issuer needs with it. */
export interface CardCryptogram {
  readonly cid: number;
  readonly cryptogram: Uint8Array;
  readonly atc: Uint8Array;
  readonly iad: Uint8Array;
}

/** The cryptogram elements of `data` (9F27, 9F26, 9F36, 9F10), checked for length. */
export function cryptogramOf(data: CardData): CardCryptogram {
  return {
    cid: data.require('9F27', [1])[0]!,
    cryptogram: data.require('9F26', [8]),
    atc: data.require('9F36', [2]),
    iad: data.optional('9F10', Array.from({ length: 32 }, (_, i) => i + 1)) ?? new Uint8Array(0),
  };
}

/**
 * GENERATE AC (Book 3 §6.5.5) asking for `type`; the response (format 1 80: CID ‖ ATC ‖ AC ‖ IAD, or
 * format 2 77) is added to `data`. A card may answer a lower cryptogram than asked (AAC < ARQC < TC),
 * never a higher one (Book 3 §9.3).
 */
export async function generateAc(card: ApduTransport, type: number, cdol1Data: Uint8Array, data: CardData): Promise<CardCryptogram> {
  if (cdol1Data.length > 255) throw cardData('CDOL1: asks for more data than one command carries');
  const response = expectSw(await exchange(card, { cla: 0x80, ins: 0xae, p1: type, p2: 0, data: cdol1Data, ne: 256 }), 'GENERATE AC', 0x9000);
  const node = parseTemplate(response.data, 'GENERATE AC response', 0x80, 0x77);
  if (node.tag === 0x80) {
    if (node.value.length < 11) throw cardData('GENERATE AC response format 1: too short');
    data.add(0x9f27, node.value.subarray(0, 1), 'GENERATE AC response');
    data.add(0x9f36, node.value.subarray(1, 3), 'GENERATE AC response');
    data.add(0x9f26, node.value.subarray(3, 11), 'GENERATE AC response');
    if (node.value.length > 11) data.add(0x9f10, node.value.subarray(11), 'GENERATE AC response');
  } else {
    data.addTemplate(node, 'GENERATE AC response');
  }
  const result = cryptogramOf(data);
  const order: readonly number[] = [AC_TYPE.aac, AC_TYPE.arqc, AC_TYPE.tc];
  const rank = (t: number): number => order.indexOf(t & 0xc0);
  if (rank(result.cid) < 0 || rank(result.cid) > rank(type)) throw cardData('GENERATE AC: the card answered a higher cryptogram than asked');
  return result;
}
