/**
 * The Access Rule Application Master (GlobalPlatform Secure Element Access Control v1.1, "SEAC"),
 * instance AID A00000015141434C00 (SEAC v1.0 §7.1.3; the AID AOSP telephony and pySim select).
 *
 * - The device reads rules with GET DATA on any logical channel (see get-data.ts).
 * - Rules change only through STORE DATA forwarded by the owning Security Domain after INSTALL [for
 *   personalization], i.e. inside its secure channel (SEAC §5.1: remote management only through
 *   GP secure channel protocols). A STORE DATA sent straight to the selected ARA-M answers 6982.
 * - STORE DATA blocks carry whole command data objects; one cut across blocks (GPC 2.3.1
 *   §11.11.2.3) is carried over to the next block (ara-store-applet.ts, shared with the ARA-C).
 * - GET DATA answers the aggregate of its own rules and those of the registered ARA-Cs, read through
 *   their shareable interface (aggregate.ts). STORE DATA Get commands (F3/F4) list its own rules only.
 */
import { responseApdu, SW, type CommandApdu, type ResponseApdu } from '../../../apdu/index.ts';
import { fromHex } from '../../../bytes/index.ts';
import { encodeFci } from '../../../gp/index.ts';
import type { AppletContext } from '../../runtime/applet.ts';
import { CardException } from '../../runtime/card-exception.ts';
import { decodeCla } from '../../runtime/cla.ts';
import { aggregateRules, ARA_RULES_INTERFACE, isRuleSource, type AraClientRules, type AraView } from './aggregate.ts';
import { loadAraState, type AraState } from './ara-state.ts';
import { AraRuleStoreApplet, INS_GET_DATA, INS_STORE_DATA } from './ara-store-applet.ts';
import { araGetData } from './get-data.ts';
import { Pager } from './pager.ts';
import type { AraRole } from './store-commands.ts';

export { splitCommandObjects } from './ara-store-applet.ts';

/** The ARA-M instance AID (SEAC v1.0 §7.1.3). */
export const ARA_M_AID: Uint8Array = fromHex('A00000015141434C00');

export class AraMApplet extends AraRuleStoreApplet {
  /** The device's access control enforcer may read rules on several channels at once (SEAC §4.1). */
  readonly multiselectable = true;
  protected readonly role: AraRole = 'ara-m';
  readonly #getDataPages = new Pager();

  select(_command: CommandApdu, ctx: AppletContext): ResponseApdu {
    this.#getDataPages.clear(ctx.channel);
    return responseApdu(encodeFci({ aid: ctx.aid, maxCommandDataLength: 255 }), SW.OK);
  }

  deselect(ctx: AppletContext): void {
    this.#getDataPages.clear(ctx.channel);
  }

  process(command: CommandApdu, ctx: AppletContext): ResponseApdu {
    const cla = decodeCla(command.cla);
    if (cla === undefined || !cla.proprietary) throw new CardException(SW.CLA_NOT_SUPPORTED, 'ARA-M: GET DATA uses the proprietary class 80');
    if (cla.secureMessaging) throw new CardException(SW.SECURE_MESSAGING_NOT_SUPPORTED);
    if (command.ins === INS_STORE_DATA) {
      throw new CardException(SW.SECURITY_STATUS_NOT_SATISFIED, 'ARA-M: rules are stored only through the owning Security Domain');
    }
    if (command.ins !== INS_GET_DATA) throw new CardException(SW.INS_NOT_SUPPORTED);
    const state = loadAraState(ctx.persistent);
    const outcome = araGetData(command, state, this.#getDataPages, ctx.channel, clientView(state, ctx));
    if (outcome.state !== undefined) ctx.setPersistent(outcome.state);
    return outcome.response;
  }
}

/**
 * The aggregate view: each registered ARA-C (in registration order) that the card OS can reach and
 * that answers with its rules. An absent, locked or refusing client contributes nothing.
 */
function clientView(state: AraState, ctx: AppletContext): AraView {
  const clients: AraClientRules[] = [];
  const lookup = ctx.shareable;
  if (lookup !== undefined) {
    for (const aidRef of state.clientAids) {
      // a registered AID-REF-DO is canonical '4F' len AID with an AID of 5–16 bytes
      const source = lookup(aidRef.subarray(2), ARA_RULES_INTERFACE);
      if (isRuleSource(source)) clients.push({ aidRef, source });
    }
  }
  return aggregateRules(state, clients);
}
