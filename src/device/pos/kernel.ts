/**
 * The card-facing part of one tap, step by step (EMV Book A/B entry point, then a kernel shaped like
 * Books C-2/C-3 on Book 3): select, GET PROCESSING OPTIONS with the PDOL data, read the AFL's records,
 * fDDA, and the cryptogram — from the GPO response, or from GENERATE AC with CDOL1 after terminal
 * action analysis (Book 3 §10.7: a TVR bit in the denial action code asks for an AAC).
 */
import type { ApduTransport } from '../../apdu/index.ts';
import { cardData } from '../errors.ts';
import { parseAfl } from './afl.ts';
import { CardData } from './card-data.ts';
import { AC_TYPE, cryptogramOf, generateAc, type CardCryptogram } from './cryptogram.ts';
import { selectApplication } from './entry-point.ts';
import { dolData, getProcessingOptions } from './gpo.ts';
import { performFdda, type OdaResult } from './oda/fdda.ts';
import type { CaPublicKey } from './oda/ca-keys.ts';
import { panDigits } from './pan.ts';
import { readRecords } from './read-records.ts';
import { matchesActionCode } from './tvr.ts';

/** The kernel's fixed inputs for one tap. */
export interface KernelInput {
  readonly supportedAids: readonly Uint8Array[];
  readonly caKeys: readonly CaPublicKey[];
  /** Terminal data for the DOLs: 9F02, 9F03, 5F2A, 9F1A, 9A, 9C, 9F66, 9F37 (95 is added from `tvr`). */
  readonly terminal: Readonly<Record<string, Uint8Array>>;
  /** Terminal Action Code – Denial (Book 3 §10.7), 5 bytes. */
  readonly tacDenial: Uint8Array;
  /** Transaction date 'YYMMDD'. */
  readonly date: string;
}

/** What the card did, for the terminal's decision. */
export interface KernelResult {
  readonly data: CardData;
  readonly oda: OdaResult;
  readonly ac: CardCryptogram;
  readonly source: 'gpo' | 'generate-ac';
  /** The terminal values the card received with the command that produced the cryptogram. */
  readonly sent: Readonly<Record<string, Uint8Array>>;
  /** Whether the terminal's action codes denied the transaction (before or instead of going online). */
  readonly terminalDenied: boolean;
}

/** Runs the card part of a tap; `tvr` (zeros on entry) collects the TVR bits; `onSelected` learns the AID. */
export async function runKernel(card: ApduTransport, input: KernelInput, tvr: Uint8Array, onSelected: (aid: Uint8Array) => void): Promise<KernelResult> {
  const app = await selectApplication(card, input.supportedAids);
  onSelected(app.aid);
  const data = new CardData();
  // Book 3 §10.1: the PDOL data goes with the TVR as it stands (zeros)
  const gpoSent = { ...input.terminal, '95': tvr.slice() };
  await getProcessingOptions(card, dolData(app.pdol, gpoSent, 'PDOL'), data);
  const recordData = await readRecords(card, parseAfl(data.require('94')), data);
  // Book 3 §10.2: the Application PAN is mandatory
  const pan = panDigits(data.require('5A'));
  if (pan === undefined) throw cardData('Application PAN (5A) is malformed');
  const oda = performFdda(data, { aid: app.aid, caKeys: input.caKeys, recordData, pan, date: input.date, terminal: gpoSent }, tvr);
  const terminalDenied = matchesActionCode(tvr, input.tacDenial);
  if (data.has('9F26')) {
    // flow gpo (EMV Book C-3 [M]): the card's cryptogram came with the GPO response
    return { data, oda, ac: cryptogramOf(data), source: 'gpo', sent: gpoSent, terminalDenied };
  }
  // flow generate-ac (EMV Book C-2 [M]): CDOL1 data with the TVR after ODA
  const cdol1 = data.require('8C');
  const acSent = { ...input.terminal, '95': tvr.slice() };
  const ac = await generateAc(card, terminalDenied ? AC_TYPE.aac : AC_TYPE.arqc, dolData(cdol1, acSent, 'CDOL1'), data);
  return { data, oda, ac, source: 'generate-ac', sent: acSent, terminalDenied };
}
