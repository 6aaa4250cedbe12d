/**
 * SET STATUS (GPC 2.3.1 §11.10; life cycles of chapter 5; privileges of §6.6): the card life cycle
 * (P1 80), one application or SSD (P1 40), or an SD with everything associated with it (P1 60).
 */
import { responseApdu, SW, type CommandApdu, type ResponseApdu } from '../../../apdu/index.ts';
import { CARD_LIFECYCLE, LOCKED_BIT, SECURITY_DOMAIN_LIFECYCLE, applicationTransitionAllowed, cardTransitionAllowed, parseSetStatusCommand } from '../../../gp/index.ts';
import { CardException } from '../../runtime/card-exception.ts';
import type { ApplicationState, CardState } from '../../state/card-state.ts';
import { findApp, holds, isIsd, isLocked, sameAid, updateApp } from '../registry.ts';
import { currentSd, type SdCommandContext } from '../sd-context.ts';
import { inHierarchyOf } from './hierarchy.ts';

function refuse(message: string): CardException {
  return new CardException(SW.CONDITIONS_OF_USE_NOT_SATISFIED, `SET STATUS: ${message}`);
}

/**
 * SET STATUS handler. Every refused transition answers 6985 (Table 11-10 "conditions of use not
 * satisfied"); an AID that is not in the registry 6A88 and an AID of the wrong kind 6A80 (Table 11-87).
 */
export function setStatus(command: CommandApdu, ctx: SdCommandContext): ResponseApdu {
  const request = parseSetStatusCommand(command);
  const { model } = ctx.manager;
  const self = currentSd(ctx);
  if (request.scope === 'card') {
    model.update(setCardLifecycle(model.state, self, request.state));
    return responseApdu(new Uint8Array(0), SW.OK);
  }
  // §5.1.1.4: no life cycle change of card content while the card is CARD_LOCKED
  if (model.state.lifecycle === CARD_LIFECYCLE.CARD_LOCKED) throw refuse('the card is CARD_LOCKED');
  const target = findApp(model.state, request.aid);
  if (target === undefined) throw new CardException(SW.REFERENCED_DATA_NOT_FOUND, 'SET STATUS: no such application');
  // Table 11-86: P1 80 is the ISD; its life cycle is the card's (lock the card instead)
  if (isIsd(model.state, target.aid)) throw new CardException(SW.INCORRECT_DATA, 'SET STATUS: the ISD follows the card life cycle (P1 80)');
  const lock = (request.state & LOCKED_BIT) !== 0;
  if (request.scope === 'domainAndApplications') {
    if (target.sd === undefined) throw new CardException(SW.INCORRECT_DATA, 'SET STATUS: P1 60 names a Security Domain (§11.10.2.3)');
    model.update(setDomainAndApplications(model.state, self, target, lock));
  } else {
    model.update(updateApp(model.state, target.aid, (a) => ({ ...a, lifecycle: nextLifecycle(model.state, self, target, request.state) })));
  }
  return responseApdu(new Uint8Array(0), SW.OK);
}

/**
 * P1 80 (§11.10.2.2, Figure 5-1 via `cardTransitionAllowed`): locking and unlocking need the Card
 * Lock privilege, terminating needs Card Terminate (§5.1.1.4–5); OP_READY → INITIALIZED → SECURED are
 * pre-issuance steps of the ISD itself. The ISD's registry entry follows the card (§5.1).
 */
function setCardLifecycle(state: CardState, self: ApplicationState, to: number): CardState {
  const from = state.lifecycle;
  if (!cardTransitionAllowed(from, to)) throw refuse(`card ${from.toString(16)} → ${to.toString(16)} is not a transition of Figure 5-1`);
  const allowed =
    to === CARD_LIFECYCLE.TERMINATED ? holds(self, 'CardTerminate')
    : to === CARD_LIFECYCLE.CARD_LOCKED || from === CARD_LIFECYCLE.CARD_LOCKED ? holds(self, 'CardLock')
    : isIsd(state, self.aid);
  if (!allowed) throw refuse('this Security Domain lacks the privilege for that card transition');
  return updateApp({ ...state, lifecycle: to }, state.isdAid, (isd) => ({ ...isd, lifecycle: to }));
}

/**
 * P1 40 (§11.10.2.2), the new life cycle of one application or SSD:
 * - an SD setting its own state: PERSONALIZED (from SELECTABLE, §5.3.2.3) or LOCKED (§5.3.2.4), P2
 *   coded per Table 11-5; it cannot unlock itself (a LOCKED SD rejects every command, §5.3.2.4);
 * - another application or SSD: only LOCKED and back, P2 b8 alone decides (other bits ignored), by
 *   an SD it is directly or indirectly associated with, or one with Global Lock (§11.10.2.3,
 *   §5.3.1.3, §5.3.2.4). Application-specific states are the application's own business (§5.3.1.5):
 *   an SD never sets them — with only b8 read, it cannot even express one.
 */
function nextLifecycle(state: CardState, self: ApplicationState, target: ApplicationState, p2: number): number {
  const lock = (p2 & LOCKED_BIT) !== 0;
  const kind = target.sd === undefined ? 'application' : 'security-domain';
  let to: number;
  if (sameAid(target.aid, self.aid)) {
    if (lock) to = target.lifecycle | LOCKED_BIT;
    else if (p2 === SECURITY_DOMAIN_LIFECYCLE.PERSONALIZED) to = p2;
    else throw refuse('a Security Domain sets only PERSONALIZED or LOCKED on itself (§11.10.2.2)');
  } else {
    if (!holds(self, 'GlobalLock') && !inHierarchyOf(state, self.aid, target)) throw refuse('the application is not associated with this Security Domain, which has no Global Lock privilege');
    to = lock ? target.lifecycle | LOCKED_BIT : target.lifecycle & ~LOCKED_BIT;
  }
  if (to === target.lifecycle) throw refuse('already in that state (§11.10.2.2)');
  if (!applicationTransitionAllowed(kind, target.lifecycle, to)) throw refuse(`${target.lifecycle.toString(16)} → ${to.toString(16)} is not a transition of §5.3`);
  return to;
}

/**
 * P1 60 (Table 11-86 and its note): lock or unlock the SD and its whole sub-hierarchy. The SD itself
 * must change state (§11.10.2.2); entries already in the requested state stay as they are, without
 * error. Allowed to the SD's own associated SD chain, to an SD with Global Lock, and to the SD itself
 * for locking (§5.3.2.4).
 */
function setDomainAndApplications(state: CardState, self: ApplicationState, sd: ApplicationState, lock: boolean): CardState {
  const own = sameAid(sd.aid, self.aid);
  if (own && !lock) throw refuse('a LOCKED Security Domain cannot unlock itself (§5.3.2.4)');
  if (!own && !holds(self, 'GlobalLock') && !inHierarchyOf(state, self.aid, sd)) throw refuse('the Security Domain is not associated with this one, which has no Global Lock privilege');
  if (isLocked(sd) === lock) throw refuse('the Security Domain is already in that state (§11.10.2.2)');
  const change = (a: ApplicationState): ApplicationState => {
    if (isIsd(state, a.aid) || !inHierarchyOf(state, sd.aid, a) || isLocked(a) === lock) return a;
    return { ...a, lifecycle: lock ? a.lifecycle | LOCKED_BIT : a.lifecycle & ~LOCKED_BIT };
  };
  return { ...state, applications: state.applications.map(change) };
}
