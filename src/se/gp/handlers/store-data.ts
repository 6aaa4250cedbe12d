/**
 * STORE DATA (GPC 2.3.1 §11.11): data for the Security Domain itself, or — inside a personalization
 * session opened by INSTALL [for personalization] — for the application it names (§7.3.2).
 */
import { responseApdu, SW, type CommandApdu, type ResponseApdu } from '../../../apdu/index.ts';
import { concat } from '../../../bytes/index.ts';
import { parseStoreDataCommand, type StoreDataCommand } from '../../../gp/index.ts';
import type { PersonalizationContext } from '../../runtime/applet.ts';
import { CardException } from '../../runtime/card-exception.ts';
import type { ApplicationState } from '../../state/card-state.ts';
import type { SdChannelState } from '../channel-state.ts';
import type { SdCommandContext } from '../sd-context.ts';
import { personalizationTarget } from './hierarchy.ts';
import { applySdData } from './sd-data.ts';

/** SD data blocks received so far on a channel (volatile, like the block counter it goes with). */
const pendingSdData = new WeakMap<SdChannelState, Uint8Array[]>();

/**
 * STORE DATA handler.
 *
 * - Block numbers (P2) are strictly sequential from 00 and restart after the last block (P1 b8) or
 *   after any refused STORE DATA (§11.11.2.2); a gap answers 6A86. The SD's own counter is
 *   `storeDataBlock`, a personalization session's is `personalization.nextBlock`.
 * - Without a personalization session the data is for this SD ({@link applySdData}). A data object
 *   may straddle blocks (§11.11.2.3), so the SD keeps the blocks and stores the objects when the last
 *   block arrives.
 * - In a personalization session the command goes, as received after unwrapping, to the target's
 *   `storeData` with the target's own persistent data and this SD's `decryptSensitive` (SCP02 session
 *   DEK, SCP03 static DEK). An application without `storeData` gets 6985. A target that is itself a
 *   Security Domain stores the SD data objects of {@link applySdData}. A case-3 command (P1 b1 = 0)
 *   whose target returns data gets 6A86 (§11.11.3.1). The session ends with the last block (§11.11.1).
 * - Life cycle: the last block changes no state. GP has no PERSONALIZED state for applications (they
 *   manage their own states, §5.3.1.5), and an SD moves to PERSONALIZED on its own initiative
 *   (§5.3.2.3) — by SET STATUS addressed to itself (§11.10.2.2), which the SP sends once the SD is ready.
 */
export function storeData(command: CommandApdu, ctx: SdCommandContext): ResponseApdu {
  const personalization = ctx.channel.personalization;
  try {
    const request = parseStoreDataCommand(command);
    const target = personalizationTarget(ctx);
    const expected = personalization === undefined ? ctx.channel.storeDataBlock : personalization.nextBlock;
    if (request.blockNumber !== expected) throw new CardException(SW.INCORRECT_P1P2, `STORE DATA: block ${request.blockNumber}, ${expected} expected (§11.11.2.2)`);
    const response = target === undefined || target.sd !== undefined ? storeForSd(request, target?.aid ?? ctx.sdAid, ctx) : forward(command, request, target, ctx);
    if (!isSuccess(response.sw)) {
      resetBlocks(ctx);
      return response;
    }
    if (personalization === undefined) ctx.channel.storeDataBlock = request.last ? 0 : expected + 1;
    else if (request.last) ctx.channel.personalization = undefined; // §11.11.1: the last block ends the session
    else personalization.nextBlock = expected + 1;
    return response;
  } catch (e) {
    resetBlocks(ctx);
    throw e;
  }
}

function isSuccess(sw: number): boolean {
  return sw === SW.OK || (sw >= 0x6200 && sw <= 0x63ff);
}

/** §11.11.2.2: "The Security Domain rejects an erroneous STORE DATA command" → the block counter restarts. */
function resetBlocks(ctx: SdCommandContext): void {
  ctx.channel.storeDataBlock = 0;
  if (ctx.channel.personalization !== undefined) ctx.channel.personalization.nextBlock = 0;
  pendingSdData.delete(ctx.channel);
}

/** Keeps the block; on the last one stores the objects in the SD `sdAid` (this SD or a personalized SSD). */
function storeForSd(request: StoreDataCommand, sdAid: Uint8Array, ctx: SdCommandContext): ResponseApdu {
  const blocks = request.blockNumber === 0 ? [] : (pendingSdData.get(ctx.channel) ?? []);
  blocks.push(request.data);
  pendingSdData.set(ctx.channel, blocks);
  if (request.last) {
    pendingSdData.delete(ctx.channel);
    const { model } = ctx.manager;
    const result = applySdData(model.state, sdAid, concat(...blocks), request);
    model.update(result.state);
    if (result.renamedFrom !== undefined) ctx.manager.forget(result.renamedFrom); // the ISD is selected by its new AID from now on
  }
  return responseApdu(new Uint8Array(0), SW.OK);
}

/** §7.3.2: the SD hands the unwrapped command to the application with its decryption service. */
function forward(command: CommandApdu, request: StoreDataCommand, target: ApplicationState, ctx: SdCommandContext): ResponseApdu {
  const applet = ctx.manager.applet(target);
  if (applet.storeData === undefined) throw new CardException(SW.CONDITIONS_OF_USE_NOT_SATISFIED, 'STORE DATA: the application takes no personalization data');
  const session = ctx.channel.session;
  if (session === undefined) throw new CardException(SW.SECURITY_STATUS_NOT_SATISFIED, 'STORE DATA: no secure channel session');
  const { model } = ctx.manager;
  const aid = target.aid.slice();
  const pctx: PersonalizationContext = {
    channel: ctx.channelNo,
    aid,
    // the SD's handler context does not carry the interface; personalization runs over contact or OTA
    contactless: false,
    get persistent() {
      return model.appletData(aid);
    },
    setPersistent: (next: unknown) => model.stageAppletData(aid, next),
    setApplicationState: (state: number) => model.stageApplicationState(aid, state),
    decryptSensitive: (data: Uint8Array) => session.decryptSensitive(data),
  };
  const response = applet.storeData(command, pctx);
  // §11.11.3.1: case 3 with response data available → 6A86
  if (!request.case4 && response.data.length > 0) throw new CardException(SW.INCORRECT_P1P2, 'STORE DATA: response data for a case 3 command');
  return response;
}
