/**
 * Security Domain hierarchy queries shared by the card content management handlers (GPC 2.3.1
 * §7.2): who is associated with whom, what an SD may see and act on, and the target of the current
 * personalization session.
 */
import { SW } from '../../../apdu/index.ts';
import { CardException } from '../../runtime/card-exception.ts';
import type { ApplicationState, CardState, LoadFileState } from '../../state/card-state.ts';
import { findApp, holds, isLocked, sameAid } from '../registry.ts';
import type { SdCommandContext } from '../sd-context.ts';

/**
 * True when `app` is the Security Domain `sdAid` or is directly or indirectly associated with it
 * (GPC 2.3.1 §7.2: the association chain of each entry leads up to the ISD, which is associated with
 * itself). A broken or cyclic chain ends the walk with false.
 */
export function inHierarchyOf(state: CardState, sdAid: Uint8Array, app: ApplicationState): boolean {
  let current: ApplicationState | undefined = app;
  for (let hops = 0; current !== undefined && hops <= state.applications.length; hops++) {
    if (sameAid(current.aid, sdAid)) return true;
    if (sameAid(current.sdAid, current.aid)) return false; // the root (ISD)
    current = findApp(state, current.sdAid);
  }
  return false;
}

/** True when the load file is associated with `sdAid` or with an SD in its hierarchy (GPC 2.3.1 §7.2). */
export function loadFileInHierarchyOf(state: CardState, sdAid: Uint8Array, file: LoadFileState): boolean {
  if (sameAid(file.sdAid, sdAid)) return true;
  const owner = findApp(state, file.sdAid);
  return owner !== undefined && inHierarchyOf(state, sdAid, owner);
}

/**
 * Whether the registry entry is visible to the SD `sdAid`: everything with the Global Registry
 * privilege, otherwise its own hierarchy only (GPC 2.3.1 §11.4.2.3).
 */
export function visibleTo(state: CardState, sd: ApplicationState, app: ApplicationState): boolean {
  return holds(sd, 'GlobalRegistry') || inHierarchyOf(state, sd.aid, app);
}

/**
 * The application the current personalization session addresses (INSTALL [for personalization],
 * GPC 2.3.1 §7.3.2, §11.11.1), or undefined outside such a session. The target must still be in the
 * registry (6A88), still be associated with this SD (§11.5.2.1 b6: "one of its associated
 * Applications"; 6985 after an extradition) and not be LOCKED (§5.3.1.3; 6985).
 */
export function personalizationTarget(ctx: SdCommandContext): ApplicationState | undefined {
  const session = ctx.channel.personalization;
  if (session === undefined) return undefined;
  const target = findApp(ctx.manager.model.state, session.aid);
  if (target === undefined) throw new CardException(SW.REFERENCED_DATA_NOT_FOUND, 'personalization target is no longer in the registry');
  if (!sameAid(target.sdAid, ctx.sdAid)) throw new CardException(SW.CONDITIONS_OF_USE_NOT_SATISFIED, 'personalization target is not associated with this Security Domain');
  if (isLocked(target)) throw new CardException(SW.CONDITIONS_OF_USE_NOT_SATISFIED, 'personalization target is LOCKED');
  return target;
}
