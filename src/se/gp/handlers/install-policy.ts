/**
 * Who may change card content, and with what authorization (GPC 2.3.1 §9.1.3, §9.2.3, §9.3–9.5):
 * the Security Domain performing the operation, the Security Domains that must accept it, and the
 * token rules. Shared by INSTALL, LOAD and DELETE.
 */
import { responseApdu, SW, type ResponseApdu } from '../../../apdu/index.ts';
import { SECURITY_DOMAIN_LIFECYCLE } from '../../../gp/index.ts';
import { CardException } from '../../runtime/card-exception.ts';
import type { ApplicationState, CardState, SecurityDomainState } from '../../state/card-state.ts';
import { inSubHierarchy } from '../instances.ts';
import { findApp, findLoadFile, holds, isIsd, sameAid } from '../registry.ts';
import { currentSd, type SdCommandContext } from '../sd-context.ts';
import { verifyToken } from './install-token.ts';

/** A registry entry that is a Security Domain. */
export type SdEntry = ApplicationState & { readonly sd: SecurityDomainState };

/** The response of a command that returns no confirmation: one byte '00' (§11.2.3.1, §11.5.3.1, §11.6.3.1). */
export function noConfirmation(): ResponseApdu {
  return responseApdu(Uint8Array.of(0x00), SW.OK);
}

/**
 * Whether a Security Domain may take part in content management as its own policy: the ISD in any
 * card state the gate lets through, an SSD only when PERSONALIZED (§9.3.5–§9.5: "apply its own
 * security policy; e.g. check that its Life Cycle State is PERSONALIZED"; §9.4.1 for extradition).
 */
export function isPersonalizedSd(state: CardState, app: ApplicationState): boolean {
  return isIsd(state, app.aid) || app.lifecycle === SECURITY_DOMAIN_LIFECYCLE.PERSONALIZED;
}

/**
 * The Security Domain performing card content management (§9.3.5, §9.3.6, §9.3.7, §9.4, §9.5): it
 * has Authorized or Delegated Management, and an SSD is PERSONALIZED (6985 otherwise).
 */
export function contentManager(ctx: SdCommandContext): SdEntry {
  const sd = currentSd(ctx);
  if (!holds(sd, 'AuthorizedManagement') && !holds(sd, 'DelegatedManagement')) {
    throw new CardException(SW.CONDITIONS_OF_USE_NOT_SATISFIED, 'card content management needs Authorized or Delegated Management (§9.1.3)');
  }
  if (!isPersonalizedSd(ctx.manager.model.state, sd)) {
    throw new CardException(SW.CONDITIONS_OF_USE_NOT_SATISFIED, 'a Supplementary Security Domain manages content once PERSONALIZED');
  }
  return sd;
}

/**
 * The Security Domain content is to be associated with (INSTALL [for load] with an SD AID,
 * extradition, registry update): present with the Security Domain privilege (6A88), and accepting it —
 * the ISD, or a PERSONALIZED SSD (§9.3.5, §9.4.1: 6985).
 */
export function receivingSd(state: CardState, aid: Uint8Array): SdEntry {
  const app = findApp(state, aid);
  if (app?.sd === undefined || !holds(app, 'SecurityDomain')) throw new CardException(SW.REFERENCED_DATA_NOT_FOUND, 'no Security Domain with that AID');
  if (!isPersonalizedSd(state, app)) throw new CardException(SW.CONDITIONS_OF_USE_NOT_SATISFIED, 'the receiving Security Domain is not PERSONALIZED (§9.4.1)');
  return app as SdEntry;
}

/**
 * §9.3.6, §9.3.7, §9.4, §9.5: content associated with `ownerSd` is managed by that SD; another SD
 * is accepted when it is above `ownerSd` in the association hierarchy (§7.2), never from a
 * separate hierarchy (6985). This is the card's "associated SD accepts" policy.
 */
export function requireManages(state: CardState, sd: ApplicationState, ownerSd: Uint8Array, what: string): void {
  if (!inSubHierarchy(state, sd.aid, ownerSd)) {
    throw new CardException(SW.CONDITIONS_OF_USE_NOT_SATISFIED, `${what} belongs to a Security Domain outside this one's hierarchy`);
  }
}

/**
 * Throws 6A80 when `aid` is taken (§6.5.1.1): by an application or an Executable Load File, and —
 * with `modules` (load file and module AIDs, unique on the card) — by an Executable Module. An
 * application AID may equal a module AID.
 */
export function requireUnusedAid(state: CardState, aid: Uint8Array, what: string, options: { modules: boolean }): void {
  const used = findApp(state, aid) !== undefined || findLoadFile(state, aid) !== undefined ||
    (options.modules && state.loadFiles.some((f) => f.modules.some((m) => sameAid(m.aid, aid))));
  if (used) throw new CardException(SW.INCORRECT_DATA, `${what} is already present in the GlobalPlatform Registry`);
}

/**
 * The token rules of §11.5.2.3.1–5, §9.5 and Appendix C.4: with Delegated Management a token is
 * mandatory (6985 when absent) and is verified by the Security Domain with Token Verification above
 * the performing SD (6982 when it does not verify). With Authorized Management the off-card entity
 * that opened the secure channel with the SD's own keys is its Security Domain Provider, so a token
 * must not be present ("an error status shall be returned": 6A80).
 */
export function checkToken(state: CardState, sd: SdEntry, token: Uint8Array | undefined, tokenData: () => Uint8Array): void {
  if (holds(sd, 'DelegatedManagement')) {
    if (token === undefined) throw new CardException(SW.CONDITIONS_OF_USE_NOT_SATISFIED, 'Delegated Management needs a token (§9.1.3.3)');
    verifyToken(state, sd, tokenData(), token);
    return;
  }
  if (token !== undefined) throw new CardException(SW.INCORRECT_DATA, 'a token is present though the off-card entity is the Security Domain Provider');
}
