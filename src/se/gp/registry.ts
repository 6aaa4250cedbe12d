/**
 * Pure queries and updates over the GlobalPlatform Registry held in the card state (GPC 2.3.1
 * §6.5). Updates return a new state; nothing is mutated.
 */
import { equalCt } from '../../bytes/index.ts';
import { APPLICATION_LIFECYCLE, LOCKED_BIT, SECURITY_DOMAIN_LIFECYCLE, hasPrivilege, type PrivilegeName } from '../../gp/index.ts';
import type { ApplicationState, CardState, LoadFileState, SecurityDomainState } from '../state/card-state.ts';

/** Byte-wise equality for identifiers (AIDs are not secret). */
export function sameAid(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && equalCt(a, b);
}

/** True when `aid` starts with `prefix` (partial selection, GET STATUS search). */
export function aidStartsWith(aid: Uint8Array, prefix: Uint8Array): boolean {
  if (prefix.length > aid.length) return false;
  for (let i = 0; i < prefix.length; i++) if (aid[i] !== prefix[i]) return false;
  return true;
}

export function findApp(state: CardState, aid: Uint8Array): ApplicationState | undefined {
  return state.applications.find((a) => sameAid(a.aid, aid));
}

export function findLoadFile(state: CardState, aid: Uint8Array): LoadFileState | undefined {
  return state.loadFiles.find((f) => sameAid(f.aid, aid));
}

/** The module AID `aid` is found in, with its load file (for INSTALL [for install]). */
export function findModule(state: CardState, loadFileAid: Uint8Array, moduleAid: Uint8Array): LoadFileState | undefined {
  const file = findLoadFile(state, loadFileAid);
  return file?.modules.some((m) => sameAid(m.aid, moduleAid)) === true ? file : undefined;
}

export function isIsd(state: CardState, aid: Uint8Array): boolean {
  return sameAid(state.isdAid, aid);
}

export function holds(app: ApplicationState, privilege: PrivilegeName): boolean {
  return hasPrivilege(app.privileges, privilege);
}

/** The Security Domain state of `aid` (ISD or SSD). */
export function sdState(state: CardState, aid: Uint8Array): SecurityDomainState | undefined {
  return findApp(state, aid)?.sd;
}

/** Replaces the registry entry of `aid` with `change(entry)`. */
export function updateApp(state: CardState, aid: Uint8Array, change: (app: ApplicationState) => ApplicationState): CardState {
  return { ...state, applications: state.applications.map((a) => (sameAid(a.aid, aid) ? change(a) : a)) };
}

/** Replaces the Security Domain state of `aid`. */
export function updateSd(state: CardState, aid: Uint8Array, change: (sd: SecurityDomainState) => SecurityDomainState): CardState {
  return updateApp(state, aid, (a) => (a.sd === undefined ? a : { ...a, sd: change(a.sd) }));
}

/** Applications and SDs directly associated with the SD `sdAid` (excluding the SD itself). */
export function associatedWith(state: CardState, sdAid: Uint8Array): readonly ApplicationState[] {
  return state.applications.filter((a) => sameAid(a.sdAid, sdAid) && !sameAid(a.aid, sdAid));
}

/** Non-volatile memory in use: load files plus a fixed cost per instance. */
export function usedMemory(state: CardState, perInstance: number): number {
  return state.loadFiles.reduce((n, f) => n + f.size, 0) + state.applications.length * perInstance;
}

/** Whether the life cycle allows selection (GPC 2.3.1 §5.3: SELECTABLE or later, not LOCKED). */
export function isSelectableLifecycle(app: ApplicationState): boolean {
  if ((app.lifecycle & LOCKED_BIT) !== 0 && (app.lifecycle & 0x03) === 0x03) return false;
  if (app.sd !== undefined) return app.lifecycle === SECURITY_DOMAIN_LIFECYCLE.SELECTABLE || app.lifecycle === SECURITY_DOMAIN_LIFECYCLE.PERSONALIZED;
  return (app.lifecycle & 0x07) === APPLICATION_LIFECYCLE.SELECTABLE;
}

/** Whether the application is LOCKED (b8 set over a valid state, Tables 11-4 and 11-5). */
export function isLocked(app: ApplicationState): boolean {
  return (app.lifecycle & LOCKED_BIT) !== 0 && (app.lifecycle & 0x03) === 0x03;
}
