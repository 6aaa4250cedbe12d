/**
 * GET PROCESSING OPTIONS (EMV Book 3 §6.5.8, §10.1): the terminal answers the PDOL inside a command
 * template 83; the card answers format 1 (80: AIP ‖ AFL) or format 2 (77 template: 82, 94 and, for a
 * contactless card that answers in the GPO, 9F26, 9F27, 9F36, 9F10, 9F4B, 9F69 — EMV Book C-3).
 */
import type { ApduTransport } from '../../apdu/index.ts';
import { OpenTsmError } from '../../bytes/index.ts';
import { buildDolData, parseDol } from '../../emv/index.ts';
import { encodeTlv, tlv } from '../../tlv/index.ts';
import { exchange, expectSw, parseTemplate } from '../card-io.ts';
import { cardData } from '../errors.ts';
import type { CardData } from './card-data.ts';

/** The answer to a DOL: the values the DOL asks for, from `values` (zeros for unknown tags). */
export function dolData(dol: Uint8Array, values: Readonly<Record<string, Uint8Array>>, what: string): Uint8Array {
  try {
    return buildDolData(parseDol(dol), values);
  } catch (e) {
    // a DOL that does not parse, or asks a known element at a length we do not send, is the card's fault
    if (e instanceof OpenTsmError) throw cardData(`${what}: ${e.message}`, e);
    throw e;
  }
}

/** Sends GPO with the PDOL data and returns the card's data elements (AIP and AFL at least). */
export async function getProcessingOptions(card: ApduTransport, pdolData: Uint8Array, data: CardData): Promise<void> {
  const template = encodeTlv(tlv(0x83, pdolData));
  if (template.length > 255) throw cardData('PDOL: asks for more data than one command carries');
  const response = expectSw(await exchange(card, { cla: 0x80, ins: 0xa8, p1: 0, p2: 0, data: template, ne: 256 }), 'GET PROCESSING OPTIONS', 0x9000);
  const node = parseTemplate(response.data, 'GPO response', 0x80, 0x77);
  if (node.tag === 0x80) {
    // Book 3 §6.5.8.4 format 1: AIP (2) ‖ AFL
    if (node.value.length < 6) throw cardData('GPO response format 1: too short');
    data.add(0x82, node.value.subarray(0, 2), 'GPO response');
    data.add(0x94, node.value.subarray(2), 'GPO response');
  } else {
    data.addTemplate(node, 'GPO response');
  }
  data.require('82', [2]);
  data.require('94');
}
