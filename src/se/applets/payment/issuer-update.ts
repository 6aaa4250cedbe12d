/**
 * Issuer update (docs/payment-application.md §3, §3.2): EXTERNAL AUTHENTICATE (EMV Book 3 §6.5.4)
 * checks the ARPC of the last cryptogram once, and opens the script window of this selection; the
 * issuer script commands (EMV Book 3 §6.5.1, §6.5.2, §6.5.10) then act only with a valid MAC (EMV
 * Book 2 §9.2) and, for PIN CHANGE, data that deciphers (§9.3). Any failure: 6988, nothing changes.
 */
import { responseApdu, SW, type CommandApdu, type ResponseApdu } from '../../../apdu/index.ts';
import { wipe } from '../../../bytes/index.ts';
import { CardException } from '../../runtime/card-exception.ts';
import { personalizedCard, type CommandEnv } from './command-env.ts';
import { newPinBlock } from './pin-commands.ts';
import { atcBytes, checkArpc, checkScriptMac, decipherScriptData, type CardTransaction } from './profile-crypto.ts';

/** Script instructions (EMV Book 3 §6.5). */
export const SCRIPT_INS = { APPLICATION_BLOCK: 0x1e, APPLICATION_UNBLOCK: 0x18, PIN_CHANGE_UNBLOCK: 0x24 } as const;

const EMPTY = new Uint8Array(0);
/** The script CLA the issuer MACs: 84 (proprietary class, secure messaging; Book 3 §6.5). */
const SCRIPT_CLA = 0x84;

/** EXTERNAL AUTHENTICATE `00 82 00 00 Lc issuer-authentication-data`. */
export function externalAuthenticate(command: CommandApdu, env: CommandEnv): ResponseApdu {
  if (command.p1 !== 0 || command.p2 !== 0) throw new CardException(SW.INCORRECT_P1P2);
  const card = personalizedCard(env.state);
  const last = env.state.last;
  if (last === undefined || last.answered) throw new CardException(SW.CONDITIONS_OF_USE_NOT_SATISFIED, 'payment: no cryptogram awaits an ARPC');
  const txn: CardTransaction = { atc: atcBytes(last.atc), ac: last.ac, un: last.un };
  const ok = checkArpc(card.profile, card.keys.ac, txn, command.data);
  if (ok === undefined) throw new CardException(SW.WRONG_LENGTH);
  // one answer per cryptogram, right or wrong: the response commits `answered`
  if (!ok) {
    env.save({ ...env.state, last: { ...last, answered: true } });
    env.session.script = undefined;
    return responseApdu(EMPTY, SW.AUTHENTICATION_FAILED);
  }
  // Book 3 §10: the Last Online ATC Register holds the ATC of the last authenticated online transaction
  env.save({ ...env.state, last: { ...last, answered: true }, lastOnlineAtc: last.atc });
  env.session.script = txn;
  return responseApdu(EMPTY, SW.OK);
}

/** The length of the MAC at the end of `data` (4..8) when what precedes it is `blocks` × 8 bytes of enciphered data. */
function macLength(data: Uint8Array, enciphered: boolean): number | undefined {
  if (!enciphered) return data.length >= 4 && data.length <= 8 ? data.length : undefined;
  // 8k + m with 4 ≤ m ≤ 8 and k ≥ 1 has one solution
  const m = data.length % 8 === 0 ? 8 : data.length % 8;
  return m >= 4 && data.length - m >= 8 ? m : undefined;
}

/** APPLICATION BLOCK / UNBLOCK / PIN CHANGE/UNBLOCK with secure messaging (`84 ins 00 p2 Lc data MAC`). */
export function issuerScript(command: CommandApdu, env: CommandEnv): ResponseApdu {
  const ins = command.ins;
  const pin = ins === SCRIPT_INS.PIN_CHANGE_UNBLOCK;
  if (command.p1 !== 0 || (pin ? command.p2 > 2 : command.p2 !== 0)) throw new CardException(SW.INCORRECT_P1P2);
  const card = personalizedCard(env.state);
  const txn = env.session.script;
  if (txn === undefined) throw new CardException(SW.CONDITIONS_OF_USE_NOT_SATISFIED, 'payment: script without EXTERNAL AUTHENTICATE');
  // PIN scripts need an offline PIN to act on (a card personalized without one refuses them)
  if (pin && env.state.pinBlock === undefined) throw new CardException(SW.CONDITIONS_OF_USE_NOT_SATISFIED, 'payment: no offline PIN');
  const enciphered = pin && command.p2 !== 0;
  const m = macLength(command.data, enciphered);
  if (m === undefined) throw new CardException(SW.WRONG_LENGTH);
  const data = command.data.subarray(0, command.data.length - m);
  const mac = command.data.subarray(command.data.length - m);
  const header = Uint8Array.of(SCRIPT_CLA, ins, command.p1, command.p2);
  if (!checkScriptMac(card.profile, card.keys.smi, txn, header, data, mac)) throw new CardException(SW.SM_DATA_OBJECTS_INCORRECT, 'payment: script rejected');
  const state = env.state;
  if (ins === SCRIPT_INS.APPLICATION_BLOCK) env.save({ ...state, blocked: true });
  else if (ins === SCRIPT_INS.APPLICATION_UNBLOCK) env.save({ ...state, blocked: false });
  else if (!enciphered) env.save({ ...state, pinTries: state.pinTryLimit });
  else env.save({ ...state, pinBlock: changedPin(command.p2, data, env, txn), pinTries: state.pinTryLimit });
  return responseApdu(EMPTY, SW.OK);
}

/** Deciphers the PIN CHANGE data and reads the new PIN; 6988 on any failure, without saying which. */
function changedPin(p2: number, data: Uint8Array, env: CommandEnv, txn: CardTransaction): Uint8Array {
  const card = personalizedCard(env.state);
  let plain: Uint8Array;
  try {
    plain = decipherScriptData(card.profile, card.keys.smc, txn, data);
  } catch {
    throw new CardException(SW.SM_DATA_OBJECTS_INCORRECT, 'payment: script rejected');
  }
  const block = env.state.pinBlock === undefined ? undefined : newPinBlock(card.profile, plain, p2, card.keys.ac, env.state.pinBlock);
  wipe(plain);
  if (block === undefined) throw new CardException(SW.SM_DATA_OBJECTS_INCORRECT, 'payment: script rejected');
  return block;
}
