/**
 * INSTALL [for extradition] and [for registry update] (GPC 2.3.1 §11.5.2.3.4–5, §9.4): moving an
 * application or load file to another Security Domain, and changing an application's privileges
 * and implicit selection — all or nothing (§11.5.2.3.5).
 */
import { SW, type CommandApdu, type ResponseApdu } from '../../../apdu/index.ts';
import { dmTokenData, hasPrivilege, installDataWithoutToken, parseInstallParameters, type InstallRequest } from '../../../gp/index.ts';
import { CardException } from '../../runtime/card-exception.ts';
import type { ApplicationState, CardState } from '../../state/card-state.ts';
import { assignExclusivePrivileges, checkGrantable, checkPrivilegeCoding, completePrivileges, inSubHierarchy, mergeImplicitSelection } from '../instances.ts';
import { findApp, findLoadFile, isIsd, sameAid, updateApp } from '../registry.ts';
import type { SdCommandContext } from '../sd-context.ts';
import { checkToken, contentManager, noConfirmation, receivingSd, requireManages, type SdEntry } from './install-policy.ts';

type Extradition = Extract<InstallRequest, { kind: 'extradition' }>;
type RegistryUpdate = Extract<InstallRequest, { kind: 'registry-update' }>;

/**
 * Re-associates application `app` with `destination` (§9.4.1, §7.2). The ISD is never extradited
 * (§7.2); an SD may become associated with itself, but not with an SD below it (that would close a
 * loop in the hierarchy): 6985.
 */
function extraditeApplication(state: CardState, app: ApplicationState, destination: SdEntry): CardState {
  if (isIsd(state, app.aid)) throw new CardException(SW.CONDITIONS_OF_USE_NOT_SATISFIED, 'the ISD is not subject to extradition (§7.2)');
  if (app.sd !== undefined && !sameAid(destination.aid, app.aid) && inSubHierarchy(state, app.aid, destination.aid)) {
    throw new CardException(SW.CONDITIONS_OF_USE_NOT_SATISFIED, 'a Security Domain cannot be associated with one below it');
  }
  return updateApp(state, app.aid, (a) => ({ ...a, sdAid: destination.aid.slice() }));
}

/** INSTALL [for extradition] (§9.4.1, Table 11-45): response '00' (no receipt). */
export function installForExtradition(request: Extradition, command: CommandApdu, ctx: SdCommandContext): ResponseApdu {
  const model = ctx.manager.model;
  const state = model.state;
  const sd = contentManager(ctx);
  checkToken(state, sd, request.token, () => dmTokenData(command.p1, command.p2, installDataWithoutToken(request)));
  const app = findApp(state, request.aid);
  const file = app === undefined ? findLoadFile(state, request.aid) : undefined;
  if (app === undefined && file === undefined) throw new CardException(SW.REFERENCED_DATA_NOT_FOUND, 'no application or load file with that AID');
  const destination = receivingSd(state, request.securityDomainAid);
  if (app !== undefined) {
    requireManages(state, sd, app.sdAid, 'the application');
    model.update(extraditeApplication(state, app, destination));
    return noConfirmation();
  }
  requireManages(state, sd, file!.sdAid, 'the load file');
  // §9.4.1: "it is forbidden to extradite an Executable Load File to a Security Domain having the DAP Verification privilege"
  if (hasPrivilege(destination.privileges, 'DAPVerification') || hasPrivilege(destination.privileges, 'MandatedDAPVerification')) {
    throw new CardException(SW.CONDITIONS_OF_USE_NOT_SATISFIED, 'a load file cannot be extradited to a DAP Verification Security Domain');
  }
  model.update({ ...state, loadFiles: state.loadFiles.map((f) => (f === file ? { ...f, sdAid: destination.aid.slice() } : f)) });
  return noConfirmation();
}

/**
 * INSTALL [for registry update] (§9.4.2, Table 11-46): extradition (SD AID), privileges, implicit
 * selection. Restricting functions (tag D9, Table 11-53) is an option this card does not implement,
 * so the command is rejected (6A80) as §11.5.2.3.7 requires; Global Service Parameters (CB) are
 * accepted and not recorded (system parameters "may be ignored", §11.5.2.3.7).
 */
export function installForRegistryUpdate(request: RegistryUpdate, command: CommandApdu, ctx: SdCommandContext): ResponseApdu {
  const { manager } = ctx;
  let state = manager.model.state;
  const sd = contentManager(ctx);
  checkToken(state, sd, request.token, () => dmTokenData(command.p1, command.p2, installDataWithoutToken(request)));
  const system = request.parameters === undefined ? undefined : parseInstallParameters(request.parameters).system;
  if (system?.restrict !== undefined) throw new CardException(SW.INCORRECT_DATA, 'the Restrict Parameter (D9) is not supported by this card');
  // §11.5.2.3.5: without an application AID the command restricts OPEN, which needs D9
  if (request.applicationAid === undefined) throw new CardException(SW.INCORRECT_DATA, 'registry update without an application AID');
  const app = findApp(state, request.applicationAid);
  if (app === undefined) throw new CardException(SW.REFERENCED_DATA_NOT_FOUND, 'no application with that AID');
  if (isIsd(state, app.aid)) throw new CardException(SW.CONDITIONS_OF_USE_NOT_SATISFIED, 'the ISD registry entry is not updated by INSTALL');
  requireManages(state, sd, app.sdAid, 'the application');
  // §9.4.2.2: extradition through registry update
  if (request.securityDomainAid !== undefined && !sameAid(request.securityDomainAid, app.sdAid)) {
    state = extraditeApplication(state, app, receivingSd(state, request.securityDomainAid));
  }
  let privileges = app.privileges;
  if (request.privileges !== undefined) {
    privileges = completePrivileges(request.privileges);
    checkPrivilegeCoding(privileges);
    // an application does not become a Security Domain, nor an SD an application
    if (hasPrivilege(privileges, 'SecurityDomain') !== (app.sd !== undefined)) throw new CardException(SW.INCORRECT_DATA, 'the Security Domain privilege cannot change');
    checkGrantable(state, sd, privileges, app.privileges);
    state = assignExclusivePrivileges(state, app.aid, app.privileges, privileges);
  }
  const implicitSelection = mergeImplicitSelection(state, manager.profile, app.aid, app.implicitSelection, system?.implicitSelection ?? []);
  manager.model.update(updateApp(state, app.aid, (a) => ({ ...a, privileges, implicitSelection })));
  return noConfirmation();
}
