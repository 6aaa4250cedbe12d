import { commandApdu, type CommandApdu } from '../../apdu/index.ts';
import { assertInt } from '../../bytes/index.ts';
import { assertAid, validAidLength } from './aid.ts';
import { badArgument, badData, badHeader } from './fail.ts';
import { expectCommand, gpCla, hex2, INS } from './header.ts';
import { CARD_LIFECYCLE, LOCKED_BIT } from './lifecycle.ts';

/** SET STATUS P1, the status type (GPC 2.3.1 Table 11-86). */
export const SET_STATUS_SCOPE = {
  /** '80': the Issuer Security Domain, i.e. the card life cycle (Table 11-6). */
  card: 0x80,
  /** '40': an application or Supplementary Security Domain. */
  application: 0x40,
  /** '60': a Security Domain and its associated applications (lock / unlock only). */
  domainAndApplications: 0x60,
} as const;
/** A SET STATUS status type name (Table 11-86). */
export type SetStatusScope = keyof typeof SET_STATUS_SCOPE;

/** What SET STATUS changes (§11.10.2). */
export type SetStatusRequest =
  | { readonly scope: 'card'; readonly state: number }
  | {
      /** P2: the new state (Tables 11-4 / 11-5); an SD acting on another application uses b8 only (lock / unlock). */
      readonly scope: 'application' | 'domainAndApplications';
      readonly aid: Uint8Array;
      readonly state: number;
    };

/** A parsed SET STATUS (card side). */
export type SetStatusCommand = SetStatusRequest & { readonly kind: 'set-status' };

/** P2 for locking another application or an SD with its applications (§11.10.2.2: b8 = 1). */
export const SET_STATUS_LOCK = LOCKED_BIT;
/** P2 for unlocking, back to the previous state (§11.10.2.2: b8 = 0). */
export const SET_STATUS_UNLOCK = 0x00;

/**
 * Builds SET STATUS (GPC 2.3.1 §11.10, Tables 11-85, 11-86): `80 F0 P1 P2 [Lc AID]`, no Le. For
 * the card, P2 is a card life cycle value (Table 11-6) and no data is sent (P1 '80' ignores it).
 * @example buildSetStatus({ scope: 'card', state: CARD_LIFECYCLE.SECURED }) // 80 F0 80 0F
 * @example buildSetStatus({ scope: 'application', aid, state: SET_STATUS_LOCK }) // 80 F0 40 80 Lc AID
 */
export function buildSetStatus(request: SetStatusRequest, options: { cla?: number } = {}): CommandApdu {
  assertInt(request.state, 0, 0xff, 'SET STATUS state');
  const p1 = SET_STATUS_SCOPE[request.scope] as number | undefined;
  if (p1 === undefined) throw badArgument(`SET STATUS: unknown scope ${String(request.scope)}`);
  if (request.scope === 'card') {
    if (!Object.values(CARD_LIFECYCLE).includes(request.state as never)) throw badArgument(`SET STATUS: ${hex2(request.state)} is not a card state (Table 11-6)`);
    return commandApdu({ cla: gpCla(options.cla), ins: INS.SET_STATUS, p1, p2: request.state });
  }
  assertAid(request.aid, 'SET STATUS AID');
  return commandApdu({ cla: gpCla(options.cla), ins: INS.SET_STATUS, p1, p2: request.state, data: request.aid });
}

/**
 * Card side: parses SET STATUS (Tables 11-85, 11-86). P1 b8–b6 must name a status type (RFU b5–b1
 * ignored); for the card P2 must be a value of Table 11-6 (6A86) and the data is ignored; otherwise
 * the data must be one AID of 5–16 bytes (6A80). Whether the transition is allowed is the caller's
 * check (`cardTransitionAllowed`, `applicationTransitionAllowed`).
 */
export function parseSetStatusCommand(command: CommandApdu): SetStatusCommand {
  expectCommand(command, INS.SET_STATUS, 'SET STATUS');
  const scope = (Object.keys(SET_STATUS_SCOPE) as SetStatusScope[]).find((s) => SET_STATUS_SCOPE[s] === (command.p1 & 0xe0));
  if (scope === undefined) throw badHeader(`SET STATUS: P1 ${hex2(command.p1)} is not 80, 40 or 60`);
  if (scope === 'card') {
    if (!Object.values(CARD_LIFECYCLE).includes(command.p2 as never)) throw badHeader(`SET STATUS: P2 ${hex2(command.p2)} is not a card state`);
    return Object.freeze({ kind: 'set-status', scope, state: command.p2 });
  }
  if (!validAidLength(command.data.length)) throw badData(`SET STATUS: data of ${command.data.length} bytes is not an AID`);
  return Object.freeze({ kind: 'set-status', scope, aid: command.data.slice(), state: command.p2 });
}
