/**
 * INSTALL (GPC 2.3.1 §11.5): parses the command with the gp/ codec (6A80 / 6A86 for malformed data
 * or headers) and runs the role of Table 11-41. A chain (P1 b8, §11.5.2.1) arrives here reassembled
 * by the Security Domain gate (command-chain.ts). Every success answers '00' — no receipt
 * (§11.5.3.1): this card does not generate receipts (Receipt Generation privilege unsupported).
 *
 * [for load, install and make selectable] (P1 '0E', §9.3.8) is not supported and is refused with
 * 6A86: the separate [for load] + LOAD + [for install and make selectable] sequence does the same.
 */
import { SW, type CommandApdu, type ResponseApdu } from '../../../apdu/index.ts';
import { INSTALL_P1, parseInstallCommand, type InstallRequest } from '../../../gp/index.ts';
import { CardException } from '../../runtime/card-exception.ts';
import { findApp, holds, isLocked, sameAid } from '../registry.ts';
import { currentSd, type SdCommandContext } from '../sd-context.ts';
import { installForInstall, installForMakeSelectable } from './install-instance.ts';
import { installForLoad } from './install-load.ts';
import { noConfirmation } from './install-policy.ts';
import { installForExtradition, installForRegistryUpdate } from './install-registry.ts';

/**
 * INSTALL [for personalization] (§7.3.2, §6.7, Table 11-47): the following STORE DATA commands go
 * to the target. The SD needs the Trusted Path privilege (§6.7); the target exists (6A88), is
 * directly associated with this SD and is not LOCKED (6985).
 */
function installForPersonalization(request: Extract<InstallRequest, { kind: 'personalization' }>, ctx: SdCommandContext): ResponseApdu {
  const sd = currentSd(ctx);
  if (!holds(sd, 'TrustedPath')) throw new CardException(SW.CONDITIONS_OF_USE_NOT_SATISFIED, 'forwarding to an application needs the Trusted Path privilege (§6.7)');
  const app = findApp(ctx.manager.model.state, request.applicationAid);
  if (app === undefined) throw new CardException(SW.REFERENCED_DATA_NOT_FOUND, 'no application with that AID');
  if (sameAid(app.aid, sd.aid) || !sameAid(app.sdAid, sd.aid)) throw new CardException(SW.CONDITIONS_OF_USE_NOT_SATISFIED, 'the application is not associated with this Security Domain (§6.7)');
  if (isLocked(app)) throw new CardException(SW.CONDITIONS_OF_USE_NOT_SATISFIED, 'the application is LOCKED');
  ctx.channel.personalization = { aid: app.aid.slice(), nextBlock: 0 };
  return noConfirmation();
}

/** The INSTALL handler (INS 'E6'). */
export function install(command: CommandApdu, ctx: SdCommandContext): ResponseApdu {
  if (command.p1 === INSTALL_P1.loadInstallAndMakeSelectable) {
    throw new CardException(SW.INCORRECT_P1P2, 'INSTALL [for load, install and make selectable] is not supported');
  }
  const request = parseInstallCommand(command);
  switch (request.kind) {
    case 'load':
      return installForLoad(request, command, ctx);
    case 'install':
      return installForInstall(request, command, ctx);
    case 'make-selectable':
      return installForMakeSelectable(request, command, ctx);
    case 'extradition':
      return installForExtradition(request, command, ctx);
    case 'registry-update':
      return installForRegistryUpdate(request, command, ctx);
    case 'personalization':
      return installForPersonalization(request, ctx);
  }
}
