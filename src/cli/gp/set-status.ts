/**
 * Life-cycle changes through SET STATUS (GPC 2.3.1 §11.10): lock/unlock an application or SSD
 * (P1 40, P2 b8), lock/unlock the card (P1 80 to CARD_LOCKED / SECURED), and the general
 * `set-status TARGET STATE`. TERMINATED is irreversible and needs `--force`.
 */
import { toHex } from '../../bytes/index.ts';
import {
  CARD_LIFECYCLE,
  SECURITY_DOMAIN_LIFECYCLE,
  SET_STATUS_LOCK,
  SET_STATUS_UNLOCK,
  buildSetStatus,
  describeLifecycle,
  type SetStatusRequest,
} from '../../gp/index.ts';
import { CliError } from '../errors.ts';
import { expectOk } from './card-status.ts';
import type { GpContext } from './context.ts';
import { parseAid, parseByte } from './parse.ts';

/** State names `set-status` accepts for the card (Table 11-6). */
const CARD_STATES: Readonly<Record<string, number>> = {
  INITIALIZED: CARD_LIFECYCLE.INITIALIZED,
  SECURED: CARD_LIFECYCLE.SECURED,
  CARD_LOCKED: CARD_LIFECYCLE.CARD_LOCKED,
  LOCKED: CARD_LIFECYCLE.CARD_LOCKED,
  TERMINATED: CARD_LIFECYCLE.TERMINATED,
};

/** State names for an application or Security Domain (Tables 11-4, 11-5; §11.10.2.2 b8 lock). */
const APPLICATION_STATES: Readonly<Record<string, number>> = {
  LOCKED: SET_STATUS_LOCK,
  UNLOCKED: SET_STATUS_UNLOCK,
  SELECTABLE: SECURITY_DOMAIN_LIFECYCLE.SELECTABLE,
  PERSONALIZED: SECURITY_DOMAIN_LIFECYCLE.PERSONALIZED,
};

async function setStatus(ctx: GpContext, request: SetStatusRequest, what: string): Promise<void> {
  expectOk(await ctx.send(buildSetStatus(request), 'SET STATUS'), 'SET STATUS', what);
}

/** `lock AID` / `unlock AID`: SET STATUS 40 with P2 80 / 00. */
export async function gpLockApplication(ctx: GpContext, aidText: string, lock: boolean): Promise<void> {
  const aid = parseAid(aidText, 'AID');
  await setStatus(ctx, { scope: 'application', aid, state: lock ? SET_STATUS_LOCK : SET_STATUS_UNLOCK }, toHex(aid));
  ctx.out.out(`${lock ? 'Locked' : 'Unlocked'} ${toHex(aid)}`);
}

/** `lock-card` / `unlock-card`: SET STATUS 80 to CARD_LOCKED (7F) / SECURED (0F). */
export async function gpLockCard(ctx: GpContext, lock: boolean): Promise<void> {
  const state = lock ? CARD_LIFECYCLE.CARD_LOCKED : CARD_LIFECYCLE.SECURED;
  await setStatus(ctx, { scope: 'card', state }, 'card');
  ctx.out.out(`Card ${lock ? 'locked (CARD_LOCKED)' : 'unlocked (SECURED)'}`);
}

function stateValue(text: string, names: Readonly<Record<string, number>>): number {
  const named = names[text.toUpperCase()];
  if (named !== undefined) return named;
  if (/^(0x)?[0-9a-f]{2}$/i.test(text)) return parseByte(text.toLowerCase().startsWith('0x') ? text : `0x${text}`, 'STATE');
  throw new CliError('ERR_CLI_USAGE', `STATE ${text}: expected one of ${Object.keys(names).join(', ')} or a hex byte`);
}

/** `set-status TARGET STATE`: TARGET is `card` or an AID; `withApps` uses P1 60 (an SD and its applications). */
export async function gpSetStatus(ctx: GpContext, target: string, stateText: string, options: { withApps?: boolean; force?: boolean }): Promise<void> {
  if (target.toLowerCase() === 'card') {
    const state = stateValue(stateText, CARD_STATES);
    if (state === CARD_LIFECYCLE.TERMINATED && options.force !== true) {
      throw new CliError('ERR_CLI_USAGE', 'TERMINATED cannot be undone: the card answers nothing but GET DATA afterwards. Add --force if you mean it');
    }
    await setStatus(ctx, { scope: 'card', state }, 'card');
    ctx.out.out(`Card life cycle set to ${describeLifecycle('card', state).name ?? toHex(Uint8Array.of(state))}`);
    return;
  }
  const aid = parseAid(target, 'TARGET');
  const state = stateValue(stateText, APPLICATION_STATES);
  const scope = options.withApps === true ? 'domainAndApplications' : 'application';
  await setStatus(ctx, { scope, aid, state }, toHex(aid));
  ctx.out.out(`${toHex(aid)}${options.withApps === true ? ' and its applications' : ''}: SET STATUS ${toHex(Uint8Array.of(state))} done`);
}
