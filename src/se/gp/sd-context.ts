import type { CommandApdu, ResponseApdu } from '../../apdu/index.ts';
import type { ApplicationState, SecurityDomainState } from '../state/card-state.ts';
import { CardException } from '../runtime/card-exception.ts';
import type { CardManager } from './card-manager.ts';
import type { SdChannelState } from './channel-state.ts';
import { findApp } from './registry.ts';

/** What a Security Domain command handler works with. */
export interface SdCommandContext {
  readonly manager: CardManager;
  /** The Security Domain processing the command (ISD or SSD). */
  readonly sdAid: Uint8Array;
  /** Logical channel number and the SD's volatile state on it. */
  readonly channelNo: number;
  readonly channel: SdChannelState;
}

/** A GP command handler: plain (already unwrapped) command in, plain response out; refusals throw CardException. */
export type SdHandler = (command: CommandApdu, ctx: SdCommandContext) => ResponseApdu;

/** The registry entry of the SD processing the command (it exists: the SD is selected). */
export function currentSd(ctx: SdCommandContext): ApplicationState & { readonly sd: SecurityDomainState } {
  const app = findApp(ctx.manager.model.state, ctx.sdAid);
  if (app?.sd === undefined) throw new CardException(0x6985, 'the selected Security Domain is no longer in the registry');
  return app as ApplicationState & { readonly sd: SecurityDomainState };
}
