/**
 * The OpenTSM EMV contactless payment application (docs/payment-application.md, the contract; EMV
 * Book 3 §6.5 commands, EMV Book C-2/C-3 [M] flow shapes): personalized through its Security Domain
 * (EMV CPS v1.1), then GET PROCESSING OPTIONS / READ RECORD / GENERATE AC for a tap, EXTERNAL
 * AUTHENTICATE and issuer scripts for an issuer update, VERIFY for the phone's offline PIN.
 *
 * Every input ends in a status word: a command is checked for class, instruction, parameters and
 * lengths before it acts, and a refusal (CardException) rolls back every staged change.
 */
import { responseApdu, SW, type CommandApdu, type ResponseApdu } from '../../../apdu/index.ts';
import { encodeTlv, tlv } from '../../../tlv/index.ts';
import type { Applet, AppletContext, PersonalizationContext } from '../../runtime/applet.ts';
import { CardException } from '../../runtime/card-exception.ts';
import { PAYMENT_DGI } from '../../../emv/index.ts';
import { newSession, type ChannelSession, type CommandEnv } from './command-env.ts';
import { DgiStream } from './dgi-stream.ts';
import { getData } from './get-data.ts';
import { SCRIPT_INS, externalAuthenticate, issuerScript } from './issuer-update.ts';
import { dgiValue, loadPaymentState, type PaymentState } from './payment-state.ts';
import { storePaymentData } from './personalization.ts';
import { verifyPin } from './pin-commands.ts';
import { readRecord } from './read-record.ts';
import { generateAc, getProcessingOptions } from './transaction.ts';

type Handler = (command: CommandApdu, env: CommandEnv) => ResponseApdu;

/** INS → the class it must come in (channel bits cleared) and its handler (EMV Book 3 §6.5 Table 12). */
const COMMANDS: ReadonlyMap<number, { readonly cla: number; readonly handler: Handler }> = new Map([
  [0xa8, { cla: 0x80, handler: getProcessingOptions }],
  [0xae, { cla: 0x80, handler: generateAc }],
  [0xb2, { cla: 0x00, handler: readRecord }],
  [0xca, { cla: 0x80, handler: getData }],
  [0x82, { cla: 0x00, handler: externalAuthenticate }],
  [0x20, { cla: 0x00, handler: verifyPin }],
  [SCRIPT_INS.APPLICATION_BLOCK, { cla: 0x84, handler: issuerScript }],
  [SCRIPT_INS.APPLICATION_UNBLOCK, { cla: 0x84, handler: issuerScript }],
  [SCRIPT_INS.PIN_CHANGE_UNBLOCK, { cla: 0x84, handler: issuerScript }],
]);

const INS_STORE_DATA = 0xe2;

/**
 * The class byte without its logical channel: first interindustry coding as is (b2b1 cleared);
 * further interindustry (channels 4–19) mapped to it (b6 secure messaging → 04). Chaining → undefined.
 */
function baseCla(cla: number): number | undefined {
  if ((cla & 0x10) !== 0) return undefined;
  if ((cla & 0x40) === 0) return cla & 0xfc;
  return (cla & 0x80) | ((cla & 0x20) !== 0 ? 0x04 : 0x00);
}

/**
 * One payment application instance (bound to module `F04F50454E54534D5001` in the default applet
 * library). Volatile per logical channel: the transaction in progress and the script window.
 */
export class PaymentApplet implements Applet {
  readonly #sessions = new Map<number, ChannelSession>();
  readonly #perso = new DgiStream();

  /** SELECT: FCI 6F{84 AID, A5{DGI 9102}}; 6283 with the same FCI when blocked (EMV Book 1 §12.4). */
  select(_command: CommandApdu, ctx: AppletContext): ResponseApdu {
    this.#sessions.set(ctx.channel, newSession());
    const state = loadPaymentState(ctx.persistent);
    const a5 = dgiValue(state, PAYMENT_DGI.FCI);
    const fci = tlv(0x6f, [tlv(0x84, ctx.aid), ...(a5 === undefined ? [] : [tlv(0xa5, a5, { opaque: true })])]);
    return responseApdu(encodeTlv(fci), state.blocked ? SW.SELECTED_FILE_DEACTIVATED : SW.OK);
  }

  deselect(ctx: AppletContext): void {
    this.#sessions.delete(ctx.channel);
  }

  process(command: CommandApdu, ctx: AppletContext): ResponseApdu {
    if (command.extended) throw new CardException(SW.WRONG_LENGTH, 'payment: short APDUs only');
    const cla = baseCla(command.cla);
    if (cla === undefined) throw new CardException(SW.COMMAND_CHAINING_NOT_SUPPORTED);
    if (command.ins === INS_STORE_DATA) throw new CardException(SW.SECURITY_STATUS_NOT_SATISFIED, 'payment: personalization only through the Security Domain');
    const entry = COMMANDS.get(command.ins);
    if (entry === undefined) throw new CardException(SW.INS_NOT_SUPPORTED);
    if (entry.cla !== cla) throw new CardException(SW.CLA_NOT_SUPPORTED);
    let session = this.#sessions.get(ctx.channel);
    if (session === undefined) {
      session = newSession();
      this.#sessions.set(ctx.channel, session);
    }
    const env: CommandEnv = {
      state: loadPaymentState(ctx.persistent),
      session,
      save: (next: PaymentState) => ctx.setPersistent(next),
    };
    return this.#guarded(entry.handler, command, env);
  }

  /** A refused command leaves the channel session as it was (the card OS rolls back persistent data). */
  #guarded(handler: Handler, command: CommandApdu, env: CommandEnv): ResponseApdu {
    const before = { ...env.session };
    try {
      return handler(command, env);
    } catch (e) {
      Object.assign(env.session, before);
      throw e;
    }
  }

  storeData(command: CommandApdu, ctx: PersonalizationContext): ResponseApdu {
    try {
      return storePaymentData(command, ctx, this.#perso);
    } catch (e) {
      this.#perso.reset(ctx.channel); // a refused block ends the sequence
      throw e;
    }
  }
}
