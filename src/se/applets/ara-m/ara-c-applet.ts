/**
 * An Access Rule Application Client (GP SEAC v1.1 §3.1 [M]): the rules of one Security Domain —
 * typically an SP's Supplementary Security Domain — kept in an instance associated with that SD.
 *
 * - Personalized like the ARA-M, by ITS OWN Security Domain: INSTALL [for personalization] + STORE
 *   DATA inside that SD's secure channel (GPC 2.3.1 §7.3.2; the SD refuses a target that is not
 *   associated with it). A STORE DATA sent straight to the selected ARA-C answers 6982.
 * - Command objects F0–F5 (store-commands.ts, role 'ara-c'); rules name a specific SE application.
 * - The device never reads an ARA-C: GET DATA answers 6D00. The ARA-M reads the rules through the
 *   card OS's shareable interface (`getShareable`; Java Card 3.1 RE ch. 6, object sharing) once the
 *   ISD has registered this instance's AID with it (Command-Register-Client-AIDs 'F7'); it serves the ARA-M
 *   only (client AID A00000015141434C00, parameter `ARA_RULES_INTERFACE`).
 * - Deleting the instance deletes its persistent data, so its rules leave the ARA-M's view.
 */
import { responseApdu, SW, type CommandApdu, type ResponseApdu } from '../../../apdu/index.ts';
import { encodeFci } from '../../../gp/index.ts';
import type { AppletContext } from '../../runtime/applet.ts';
import { CardException } from '../../runtime/card-exception.ts';
import { ARA_RULES_INTERFACE, type AraRuleSource } from './aggregate.ts';
import { ARA_M_AID } from './ara-m-applet.ts';
import { loadAraState } from './ara-state.ts';
import { AraRuleStoreApplet, INS_STORE_DATA } from './ara-store-applet.ts';
import { sameBytes } from './data-objects.ts';
import type { AraRole } from './store-commands.ts';

export class AraCApplet extends AraRuleStoreApplet {
  protected readonly role: AraRole = 'ara-c';

  select(_command: CommandApdu, ctx: AppletContext): ResponseApdu {
    return responseApdu(encodeFci({ aid: ctx.aid, maxCommandDataLength: 255 }), SW.OK);
  }

  process(command: CommandApdu, _ctx: AppletContext): ResponseApdu {
    if (command.ins === INS_STORE_DATA) throw new CardException(SW.SECURITY_STATUS_NOT_SATISFIED, 'ARA-C: rules are stored only through the owning Security Domain');
    throw new CardException(SW.INS_NOT_SUPPORTED, 'ARA-C: the device reads rules from the ARA-M');
  }

  /** The rules, for the ARA-M only: a snapshot of this instance's store as of the current command. */
  getShareable(clientAid: Uint8Array, parameter: number, ctx: AppletContext): AraRuleSource | undefined {
    if (parameter !== ARA_RULES_INTERFACE || !sameBytes(clientAid, ARA_M_AID)) return undefined;
    const state = loadAraState(ctx.persistent);
    return { rules: state.rules, refreshTag: state.refreshTag.slice() };
  }
}
