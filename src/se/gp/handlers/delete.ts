/**
 * DELETE (GPC 2.3.1 §11.2; §9.5 content removal; §7.6 key management): an application or Security
 * Domain, an Executable Load File — with its applications when P2 b8 asks for related objects — or
 * keys of the current Security Domain. Answers '00' (§11.2.3.1; no receipt).
 */
import { SW, type CommandApdu, type ResponseApdu } from '../../../apdu/index.ts';
import { deleteTokenData, parseDeleteCommand, type DeleteRequest } from '../../../gp/index.ts';
import { CardException } from '../../runtime/card-exception.ts';
import type { ApplicationState, CardState, LoadFileState } from '../../state/card-state.ts';
import { inSubHierarchy, reclaimExclusivePrivileges } from '../instances.ts';
import { findApp, findLoadFile, holds, isIsd, sameAid, updateSd } from '../registry.ts';
import { currentSd, type SdCommandContext } from '../sd-context.ts';
import { importsOf } from './install-lfdb.ts';
import { checkToken, contentManager, noConfirmation, type SdEntry } from './install-policy.ts';

const refuse = (message: string): CardException => new CardException(SW.CONDITIONS_OF_USE_NOT_SATISFIED, message);

/** §9.5.1–9.5.3: the deleting SD is the content's SD or above it, or holds Global Delete (6985 otherwise). */
function requireMayDelete(state: CardState, sd: SdEntry, ownerSd: Uint8Array): void {
  if (!holds(sd, 'GlobalDelete') && !inSubHierarchy(state, sd.aid, ownerSd)) throw refuse('the content belongs to another Security Domain and this one lacks Global Delete');
}

/**
 * Checks that `app` may go together with `alsoDeleted` (§9.5.1, §9.5.3): not the ISD, not the SD
 * running this command, and — for a Security Domain — no other content still associated with it.
 */
function requireDeletable(state: CardState, sd: SdEntry, app: ApplicationState, alsoDeleted: readonly Uint8Array[]): void {
  if (isIsd(state, app.aid)) throw refuse('the Issuer Security Domain cannot be deleted');
  if (sameAid(app.aid, sd.aid)) throw refuse('a Security Domain does not delete itself');
  requireMayDelete(state, sd, app.sdAid);
  if (app.sd === undefined) return;
  const kept = (aid: Uint8Array) => !alsoDeleted.some((d) => sameAid(d, aid));
  const associated = state.applications.some((a) => !sameAid(a.aid, app.aid) && sameAid(a.sdAid, app.aid) && kept(a.aid)) ||
    state.loadFiles.some((f) => sameAid(f.sdAid, app.aid) && kept(f.aid));
  if (associated) throw refuse('the Security Domain still has associated applications or load files');
}

/** Removes `apps` and `files`; Card Reset / Final Application return to the ISD, implicit selection falls back to it (§6.4.1, §6.6.2). */
function remove(state: CardState, apps: readonly ApplicationState[], files: readonly LoadFileState[]): CardState {
  const gone = (aid: Uint8Array, list: readonly { aid: Uint8Array }[]) => list.some((x) => sameAid(x.aid, aid));
  const next: CardState = {
    ...state,
    applications: state.applications.filter((a) => !gone(a.aid, apps)),
    loadFiles: state.loadFiles.filter((f) => !gone(f.aid, files)),
  };
  return reclaimExclusivePrivileges(next, apps);
}

/** §9.5.2–9.5.3: an Executable Load File, alone (6985 while it has applications) or with them. */
function deleteLoadFile(state: CardState, sd: SdEntry, file: LoadFileState, related: boolean): readonly ApplicationState[] {
  requireMayDelete(state, sd, file.sdAid);
  const instances = state.applications.filter((a) => sameAid(a.loadFileAid, file.aid));
  if (instances.length > 0 && !related) throw refuse('the load file still has applications (delete related objects with P2 b8)');
  const ids = [file.aid, ...instances.map((a) => a.aid)];
  for (const app of instances) requireDeletable(state, sd, app, ids);
  // §9.5.2: no other load file maintains references to this one (its Import component names it)
  if (state.loadFiles.some((f) => !sameAid(f.aid, file.aid) && importsOf(f.lfdb).some((aid) => sameAid(aid, file.aid)))) {
    throw refuse('another load file imports this one');
  }
  return instances;
}

/** DELETE [card content]. */
function deleteCardContent(request: Extract<DeleteRequest, { kind: 'card-content' }>, ctx: SdCommandContext): ResponseApdu {
  const { manager } = ctx;
  const state = manager.model.state;
  const sd = contentManager(ctx);
  checkToken(state, sd, request.token, () => deleteTokenData(request));
  const app = findApp(state, request.aid);
  const file = app === undefined ? findLoadFile(state, request.aid) : undefined;
  let removed: readonly ApplicationState[];
  if (app !== undefined) {
    // P2 b8 names no related objects for an application (§11.2.2.2, §9.5.3 defines them for load files)
    requireDeletable(state, sd, app, [app.aid]);
    removed = [app];
  } else if (file !== undefined) {
    removed = deleteLoadFile(state, sd, file, request.related === true);
  } else {
    throw new CardException(SW.REFERENCED_DATA_NOT_FOUND, 'no application or load file with that AID');
  }
  manager.model.update(remove(state, removed, file === undefined ? [] : [file]));
  for (const a of removed) {
    manager.forget(a.aid);
    if (ctx.channel.personalization !== undefined && sameAid(ctx.channel.personalization.aid, a.aid)) ctx.channel.personalization = undefined;
  }
  return noConfirmation();
}

/**
 * DELETE [key] (Table 11-24): keys of the current Security Domain with key identifier `D0` and/or
 * key version number `D2` (both: one key; one of them: every match). No match is 6A88. A key set
 * left without keys is removed.
 */
function deleteKeys(request: Extract<DeleteRequest, { kind: 'key' }>, ctx: SdCommandContext): ResponseApdu {
  const model = ctx.manager.model;
  const { sd } = currentSd(ctx);
  const match = (kvn: number, id: number) => (request.kvn === undefined || request.kvn === kvn) && (request.keyId === undefined || request.keyId === id);
  if (!sd.keySets.some((set) => set.keys.some((k) => match(set.kvn, k.id)))) throw new CardException(SW.REFERENCED_DATA_NOT_FOUND, 'no such key');
  model.update(updateSd(model.state, ctx.sdAid, (s) => ({
    ...s,
    keySets: s.keySets.map((set) => ({ ...set, keys: set.keys.filter((k) => !match(set.kvn, k.id)) })).filter((set) => set.keys.length > 0),
  })));
  return noConfirmation();
}

/** The DELETE handler (INS 'E4'); a chain (P1 b8) arrives reassembled by the gate (command-chain.ts). */
export function deleteContent(command: CommandApdu, ctx: SdCommandContext): ResponseApdu {
  const request = parseDeleteCommand(command);
  return request.kind === 'key' ? deleteKeys(request, ctx) : deleteCardContent(request, ctx);
}
