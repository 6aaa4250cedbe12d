/**
 * INSTALL [for install], [for install and make selectable] and [for make selectable] (GPC 2.3.1
 * §11.5.2.3.2–3, §9.3.6, §9.3.7): creating an application or Security Domain instance from an
 * Executable Module, and making an installed instance selectable.
 */
import { SW, type CommandApdu, type ResponseApdu } from '../../../apdu/index.ts';
import {
  APPLICATION_LIFECYCLE,
  dmTokenData,
  hasPrivilege,
  installDataWithoutToken,
  parseInstallParameters,
  type InstallRequest,
} from '../../../gp/index.ts';
import { parseTlvList } from '../../../tlv/index.ts';
import { CardException } from '../../runtime/card-exception.ts';
import type { ApplicationState, CardState, KeySetState } from '../../state/card-state.ts';
import { SD_LOAD_FILE_AID, SD_MODULE_AID } from '../../state/new-card.ts';
import {
  INSTANCE_MEMORY_COST,
  assignExclusivePrivileges,
  cardResetSelection,
  checkGrantable,
  checkPrivilegeCoding,
  completePrivileges,
  inSubHierarchy,
  mergeImplicitSelection,
  newSecurityDomainState,
  requireMemory,
  withPrivilege,
} from '../instances.ts';
import { findApp, findLoadFile, isIsd, sameAid, updateApp } from '../registry.ts';
import type { SdCommandContext } from '../sd-context.ts';
import { checkToken, contentManager, noConfirmation, requireManages, requireUnusedAid } from './install-policy.ts';

type InstallForInstall = Extract<InstallRequest, { kind: 'install' }>;
type MakeSelectable = Extract<InstallRequest, { kind: 'make-selectable' }>;

/** The ISD key set a new SSD copies under `copy-isd-keys`: the one this session runs on, else the first. */
function isdKeySet(state: CardState, ctx: SdCommandContext): KeySetState | undefined {
  const sets = findApp(state, state.isdAid)?.sd?.keySets ?? [];
  const current = isIsd(state, ctx.sdAid) ? sets.find((k) => k.kvn === ctx.channel.sessionKvn) : undefined;
  return current ?? sets[0];
}

/** The module to instantiate: present in the Executable Load File (6A88, §11.5.2.3.2 / §9.3.6). */
function moduleOf(state: CardState, request: InstallForInstall): { file: NonNullable<ReturnType<typeof findLoadFile>>; module: Uint8Array } {
  const file = request.loadFileAid === undefined ? undefined : findLoadFile(state, request.loadFileAid);
  if (file === undefined) throw new CardException(SW.REFERENCED_DATA_NOT_FOUND, 'no Executable Load File with that AID');
  const module = request.moduleAid === undefined ? undefined : file.modules.find((m) => sameAid(m.aid, request.moduleAid!))?.aid;
  if (module === undefined) throw new CardException(SW.REFERENCED_DATA_NOT_FOUND, 'no such Executable Module in the Executable Load File');
  return { file, module };
}

/** INSTALL [for install] (and make selectable): response '00' (§11.5.3.1, no receipt). */
export function installForInstall(request: InstallForInstall, command: CommandApdu, ctx: SdCommandContext): ResponseApdu {
  const { manager } = ctx;
  let state = manager.model.state;
  const sd = contentManager(ctx);
  checkToken(state, sd, request.token, () => dmTokenData(command.p1, command.p2, installDataWithoutToken(request)));
  const { file, module } = moduleOf(state, request);
  // §9.3.6: an SD other than the load file's own installs only when that SD accepts — here: the two
  // are in one line of the association hierarchy (a parent's packages serve its descendants)
  if (!inSubHierarchy(state, sd.aid, file.sdAid) && !inSubHierarchy(state, file.sdAid, sd.aid)) {
    throw new CardException(SW.CONDITIONS_OF_USE_NOT_SATISFIED, 'the load file belongs to a Security Domain outside this one\'s hierarchy');
  }
  // §6.5.1.1, Table 11-55: the instance AID names no application or load file yet (6A80)
  requireUnusedAid(state, request.applicationAid, 'the application AID', { modules: false });
  const privileges = completePrivileges(request.privileges);
  checkPrivilegeCoding(privileges);
  const isSd = hasPrivilege(privileges, 'SecurityDomain');
  // a Security Domain is an instance of the SD module, and that module makes only Security Domains
  if (isSd !== (sameAid(file.aid, SD_LOAD_FILE_AID) && sameAid(module, SD_MODULE_AID))) {
    throw new CardException(SW.INCORRECT_DATA, 'the Security Domain privilege goes with the Security Domain module only');
  }
  checkGrantable(state, sd, privileges);
  const params = parseInstallParameters(request.parameters);
  const appSpecific = params.applicationSpecific ?? new Uint8Array(0);
  if (isSd) parseTlvList(appSpecific); // §11.5.2.3.7: an SD's C9 is BER-TLV (6A80 otherwise)
  const implicit = params.system?.implicitSelection ?? [];
  // Table 11-49 note: CF belongs to [for install and make selectable]
  if (implicit.length > 0 && !request.makeSelectable) throw new CardException(SW.INCORRECT_DATA, 'implicit selection needs make selectable');
  // §9.7: the instance and its reserved memory fit the card (6A84)
  requireMemory(state, INSTANCE_MEMORY_COST + (params.system?.nonVolatileReserved ?? 0));
  const aid = request.applicationAid.slice();
  state = assignExclusivePrivileges(state, aid, undefined, privileges);
  let selection = mergeImplicitSelection(state, manager.profile, aid, [], implicit);
  if (request.makeSelectable && hasPrivilege(privileges, 'CardReset') && implicit.length === 0) selection = cardResetSelection(state, aid);
  const entry: ApplicationState = {
    aid,
    loadFileAid: file.aid.slice(),
    moduleAid: module.slice(),
    // Tables 11-4, 11-5: INSTALLED, or SELECTABLE when made selectable in the same command (same codes for SDs)
    lifecycle: request.makeSelectable ? APPLICATION_LIFECYCLE.SELECTABLE : APPLICATION_LIFECYCLE.INSTALLED,
    privileges,
    // §9.3.3: a new SD is associated with the installing SD; an application with its load file's SD
    sdAid: (isSd ? sd.aid : file.sdAid).slice(),
    implicitSelection: selection,
    installParameters: appSpecific.slice(),
    sd: isSd ? newSecurityDomainState(manager.profile, isdKeySet(state, ctx)) : undefined,
  };
  manager.model.update({ ...state, applications: [...state.applications, entry] });
  // the applet object is created now (Java Card install()); a failing constructor refuses the install (gp.md §4.6: 6985)
  manager.forget(aid);
  try {
    manager.applet(entry);
  } catch (e) {
    manager.forget(aid);
    if (e instanceof CardException) throw e;
    throw new CardException(SW.CONDITIONS_OF_USE_NOT_SATISFIED, `the applet could not be created: ${e instanceof Error ? e.message : String(e)}`);
  }
  return noConfirmation();
}

/** INSTALL [for make selectable] (§9.3.7, Table 11-44): INSTALLED → SELECTABLE; of the privileges only Card Reset counts. */
export function installForMakeSelectable(request: MakeSelectable, command: CommandApdu, ctx: SdCommandContext): ResponseApdu {
  const { manager } = ctx;
  let state = manager.model.state;
  const sd = contentManager(ctx);
  checkToken(state, sd, request.token, () => dmTokenData(command.p1, command.p2, installDataWithoutToken(request)));
  const app = findApp(state, request.applicationAid);
  if (app === undefined) throw new CardException(SW.REFERENCED_DATA_NOT_FOUND, 'no application with that AID');
  if (isIsd(state, app.aid)) throw new CardException(SW.CONDITIONS_OF_USE_NOT_SATISFIED, 'the ISD takes the card life cycle');
  requireManages(state, sd, app.sdAid, 'the application');
  // Tables 11-4, 11-5: only INSTALLED moves to SELECTABLE (a LOCKED or already selectable entry does not)
  if (app.lifecycle !== APPLICATION_LIFECYCLE.INSTALLED) throw new CardException(SW.CONDITIONS_OF_USE_NOT_SATISFIED, 'the application is not in the INSTALLED state');
  // §11.5.2.3.3: "any other privilege set in the Privileges field ... shall be ignored by the card"
  const reset = hasPrivilege(request.privileges, 'CardReset');
  const privileges = reset ? withPrivilege(app.privileges, 'CardReset', true) : app.privileges;
  checkGrantable(state, sd, privileges, app.privileges);
  state = assignExclusivePrivileges(state, app.aid, app.privileges, privileges);
  const implicit = request.parameters === undefined ? [] : (parseInstallParameters(request.parameters).system?.implicitSelection ?? []);
  let selection = mergeImplicitSelection(state, manager.profile, app.aid, app.implicitSelection, implicit);
  if (reset && implicit.length === 0 && app.implicitSelection.length === 0) selection = cardResetSelection(state, app.aid);
  manager.model.update(updateApp(state, app.aid, (a) => ({ ...a, lifecycle: APPLICATION_LIFECYCLE.SELECTABLE, privileges, implicitSelection: selection })));
  return noConfirmation();
}
