/**
 * The transaction commands (docs/payment-application.md §3): GET PROCESSING OPTIONS (EMV Book 3
 * §6.5.8), which increments the ATC and, in flow `gpo`, answers the cryptogram at once; GENERATE AC
 * (EMV Book 3 §6.5.5) in flow `generate-ac`. Online-only: a TC request gets an ARQC; a blocked
 * application answers an AAC.
 */
import { responseApdu, SW, type CommandApdu, type ResponseApdu } from '../../../apdu/index.ts';
import { concat } from '../../../bytes/index.ts';
import { PAYMENT_FLOW, dolDataLength, splitDolData, type DolEntry } from '../../../emv/index.ts';
import { encodeTlv, parseTlv, parseTlvList, tlv, type Tlv } from '../../../tlv/index.ts';
import { CardException } from '../../runtime/card-exception.ts';
import type { CardData } from './card-data.ts';
import { personalizedCard, type CommandEnv } from './command-env.ts';
import { signFdda } from './fdda.ts';
import { CID, atcBytes, cardCryptogram, cardIad, cryptogramInput } from './profile-crypto.ts';
import { appendLog, logRecord } from './transaction-log.ts';

/** EMV Book 3 §6.5.8.4 / §6.5.5.4: response message template format 2. */
const TEMPLATE_77 = 0x77;

const leaf = (tag: number, value: Uint8Array): Tlv => tlv(tag, value);

/** The terminal's DOL values; 6700 unless the data is exactly as long as the DOL asks (Book 3 §5.4). */
function dolValues(entries: readonly DolEntry[], data: Uint8Array): Readonly<Record<string, Uint8Array>> {
  if (data.length !== dolDataLength(entries)) throw new CardException(SW.WRONG_LENGTH, 'payment: DOL data of the wrong length');
  return splitDolData(entries, data);
}

/** Book 3 §6.5.8.3: the GPO data is the Command Template 83 holding the PDOL data. */
function pdolData(data: Uint8Array): Uint8Array {
  let node: Tlv;
  try {
    node = parseTlv(data);
  } catch {
    throw new CardException(SW.WRONG_LENGTH, 'payment: GPO data is not a command template');
  }
  if (node.tag !== 0x83 || encodeTlv(node).length !== data.length) throw new CardException(SW.WRONG_LENGTH, 'payment: GPO data is not one 83 template');
  return node.value;
}

/**
 * Computes a cryptogram of type `cid` for the transaction at `atc`, records it as the last one and,
 * when the card keeps a log (9F4D), appends the transaction's log record (transaction-log.ts).
 */
function cryptogram(env: CommandEnv, card: CardData, atc: number, terminal: Readonly<Record<string, Uint8Array>>, cid: number): Tlv[] {
  const atcB = atcBytes(atc);
  const un = terminal['9F37'] ?? new Uint8Array(4);
  const iad = cardIad(card.profile, card.dki, cid);
  const data = cryptogramInput(card.profile, terminal, card.aip, atcB, iad);
  const ac = cardCryptogram(card.profile, card.keys.ac, { atc: atcB, un }, data);
  const log = card.log === undefined ? env.state.log : appendLog(env.state.log, logRecord(terminal, atcB, cid), card.log);
  env.save({ ...env.state, atc, last: { atc, ac, un: un.slice(), answered: false }, log });
  return [leaf(0x9f27, Uint8Array.of(cid)), leaf(0x9f36, atcB), leaf(0x9f26, ac), leaf(0x9f10, iad)];
}

/** §3.1: 9F4B and 9F69 when the card does fDDA. */
function fddaObjects(card: CardData, terminal: Readonly<Record<string, Uint8Array>>): Tlv[] {
  if (card.rsa === undefined) return [];
  const dynamic = concat(terminal['9F37']!, terminal['9F02']!, terminal['5F2A']!);
  const { sdad, cardAuthData } = signFdda(card.rsa, dynamic);
  return [leaf(0x9f4b, sdad), leaf(0x9f69, cardAuthData)];
}

/** GET PROCESSING OPTIONS `80 A8 00 00 Lc 83 L pdol-data 00`. */
export function getProcessingOptions(command: CommandApdu, env: CommandEnv): ResponseApdu {
  if (command.p1 !== 0 || command.p2 !== 0) throw new CardException(SW.INCORRECT_P1P2);
  const card = personalizedCard(env.state);
  const terminal = dolValues(card.pdol, pdolData(command.data));
  // Book 3 §6.5.8.4 / Book 2 §8.1: the ATC counts every transaction started; at its limit the application stops
  if (env.state.atc >= 0xffff) throw new CardException(SW.CONDITIONS_OF_USE_NOT_SATISFIED, 'payment: ATC exhausted');
  const atc = env.state.atc + 1;
  const counted: CommandEnv = { ...env, state: { ...env.state, atc } };
  counted.save(counted.state);
  Object.assign(env.session, { gpo: { atc, terminal }, acDone: false, script: undefined });
  // DGI 9104: 82 AIP ‖ 94 AFL, checked at personalization
  const objects = [...parseTlvList(card.gpoData)];
  if (card.flow === PAYMENT_FLOW.GPO) {
    const ac = cryptogram(counted, card, atc, terminal, env.state.blocked ? CID.AAC : CID.ARQC);
    // docs §3: 77{82, 94, 9F36, 9F26, 9F27, 9F10, 9F4B, 9F69}
    objects.push(ac[1]!, ac[2]!, ac[0]!, ac[3]!);
    env.session.acDone = true;
  }
  objects.push(...fddaObjects(card, terminal));
  return responseApdu(encodeTlv(tlv(TEMPLATE_77, objects)), SW.OK);
}

/** GENERATE AC `80 AE p1 00 Lc cdol1-data 00` (flow 02 only, once per GPO). */
export function generateAc(command: CommandApdu, env: CommandEnv): ResponseApdu {
  const card = personalizedCard(env.state);
  // Book 3 §6.5.5.2: P1 b8b7 = cryptogram type (00 AAC, 01 TC, 10 ARQC); CDA (b5) is not offered
  const type = command.p1 & 0xc0;
  if ((command.p1 & 0x3f) !== 0 || type === 0xc0 || command.p2 !== 0) throw new CardException(SW.INCORRECT_P1P2);
  const gpo = env.session.gpo;
  if (card.flow !== PAYMENT_FLOW.GENERATE_AC || gpo === undefined || env.session.acDone) throw new CardException(SW.CONDITIONS_OF_USE_NOT_SATISFIED, 'payment: GENERATE AC out of sequence');
  const terminal = dolValues(card.cdol1 ?? [], command.data);
  const cid = env.state.blocked || type === 0x00 ? CID.AAC : CID.ARQC;
  const objects = cryptogram(env, card, gpo.atc, terminal, cid);
  env.session.acDone = true;
  return responseApdu(encodeTlv(tlv(TEMPLATE_77, objects)), SW.OK);
}
