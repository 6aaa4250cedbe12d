/**
 * The Proximity Payment System Environment (EMV Book B §3.3): a SELECT of "2PAY.SYS.DDF01" answers
 * the directory of the payment applications on the device. Its entries are personalized by the TSM
 * through the associated Security Domain (GPC 2.3.1 §7.3.2): STORE DATA in DGI format with DGI 9102
 * (ppse-entries.ts). It takes no other command.
 */
import { responseApdu, SW, type CommandApdu, type ResponseApdu } from '../../../apdu/index.ts';
import type { Applet, AppletContext, PersonalizationContext } from '../../runtime/applet.ts';
import { CardException } from '../../runtime/card-exception.ts';
import { DgiStream, parseDgiStoreData } from '../payment/dgi-stream.ts';
import { PPSE_ENTRIES_DGI, loadPpseState, mergeEntries, ppseFci } from './ppse-entries.ts';

/** The PPSE instance (module `F04F50454E54534D5002`; instance AID 2PAY.SYS.DDF01). */
export class PpseApplet implements Applet {
  /** Several readers (the NFC controller, a wallet) may read the directory at once. */
  readonly multiselectable = true;
  readonly #perso = new DgiStream();

  select(_command: CommandApdu, ctx: AppletContext): ResponseApdu {
    return responseApdu(ppseFci(ctx.aid, loadPpseState(ctx.persistent)), SW.OK);
  }

  process(command: CommandApdu): ResponseApdu {
    // EMV Book B §3.3: the PPSE answers SELECT only
    if (command.ins === 0xe2) throw new CardException(SW.SECURITY_STATUS_NOT_SATISFIED, 'PPSE: entries only through the Security Domain');
    throw new CardException(SW.INS_NOT_SUPPORTED);
  }

  storeData(command: CommandApdu, ctx: PersonalizationContext): ResponseApdu {
    try {
      const block = parseDgiStoreData(command);
      let state = loadPpseState(ctx.persistent);
      for (const dgi of this.#perso.take(ctx.channel, block)) {
        if (dgi.dgi !== PPSE_ENTRIES_DGI) throw new CardException(SW.REFERENCED_DATA_NOT_FOUND, 'PPSE: unknown DGI');
        state = mergeEntries(state, dgi.value);
      }
      ctx.setPersistent(state);
      return responseApdu(new Uint8Array(0), SW.OK);
    } catch (e) {
      this.#perso.reset(ctx.channel);
      throw e;
    }
  }
}
