/**
 * INITIALIZE UPDATE and EXTERNAL AUTHENTICATE on the card: pick the key set, run the card-side
 * session of gp/scp, and keep what must survive a power cut in the card state — the sequence counter
 * (taken before the response leaves the card) and the failed-authentication count.
 */
import { responseApdu, SW, type CommandApdu, type ResponseApdu } from '../../apdu/index.ts';
import { CARD_LIFECYCLE, GpError, KEY_TYPES, Scp02CardSession, Scp03CardSession } from '../../gp/index.ts';
import { CardException } from '../runtime/card-exception.ts';
import type { KeySetState, SecurityDomainState } from '../state/card-state.ts';
import { clearChannelState } from './channel-state.ts';
import { updateSd } from './registry.ts';
import { currentSd, type SdCommandContext } from './sd-context.ts';

/** Key identifiers of the secure-channel keys in a key set (GPC 2.3.1 §E.1.4, Amd D §4.1.1). */
const KEY_ID = { ENC: 1, MAC: 2, DEK: 3 } as const;

function scpKeys(set: KeySetState, protocol: 2 | 3): { keyVersion: number; enc: Uint8Array; mac: Uint8Array; dek: Uint8Array } | undefined {
  const type = protocol === 3 ? KEY_TYPES.AES : KEY_TYPES.DES;
  const key = (id: number) => set.keys.find((k) => k.id === id && k.type === type)?.value;
  const enc = key(KEY_ID.ENC);
  const mac = key(KEY_ID.MAC);
  const dek = key(KEY_ID.DEK);
  return enc && mac && dek ? { keyVersion: set.kvn, enc, mac, dek } : undefined;
}

/** GPC 2.3.1 §E.5.1 / Amd D §7.1.1: P1 00 means "the first available key set". */
function chooseKeySet(sd: SecurityDomainState, kvn: number): { set: KeySetState; keys: NonNullable<ReturnType<typeof scpKeys>> } | undefined {
  for (const set of sd.keySets) {
    if (kvn !== 0 && set.kvn !== kvn) continue;
    const keys = scpKeys(set, sd.scp.protocol);
    if (keys !== undefined) return { set, keys };
  }
  return undefined;
}

function asCardException(e: unknown): unknown {
  return e instanceof GpError && e.sw !== undefined ? new CardException(e.sw, e.message) : e;
}

/** INITIALIZE UPDATE (GPC 2.3.1 §E.5.1; Amd D §7.1.1). */
export function initializeUpdate(command: CommandApdu, ctx: SdCommandContext): ResponseApdu {
  const model = ctx.manager.model;
  if (model.state.lifecycle === CARD_LIFECYCLE.TERMINATED) throw new CardException(SW.CONDITIONS_OF_USE_NOT_SATISFIED, 'card is TERMINATED');
  const { sd } = currentSd(ctx);
  clearChannelState(ctx.channel); // a new INITIALIZE UPDATE ends the current session (Amd D §5.6)
  if (sd.authFailures >= ctx.manager.profile.authFailureLimit) {
    throw new CardException(SW.AUTHENTICATION_METHOD_BLOCKED, 'too many failed authentications');
  }
  const chosen = chooseKeySet(sd, command.p1);
  if (chosen === undefined) throw new CardException(SW.REFERENCED_DATA_NOT_FOUND, 'no usable key set with that version');
  const options = { keys: chosen.keys, sdAid: ctx.sdAid, sequenceCounter: chosen.set.counter, i: sd.scp.i, kdd: sd.kdd };
  const session = sd.scp.protocol === 3 ? new Scp03CardSession(options) : new Scp02CardSession(options);
  let data: Uint8Array;
  try {
    data = session.initializeUpdate(command);
  } catch (e) {
    session.close();
    throw asCardException(e);
  }
  ctx.channel.session = session;
  ctx.channel.sessionKvn = chosen.set.kvn;
  persistCounter(ctx); // Amd D §6.2.2.1: the incremented SCP03 counter is stored before the card answers
  return responseApdu(data, SW.OK);
}

/** EXTERNAL AUTHENTICATE (GPC 2.3.1 §E.5.2; Amd D §7.1.2): a failure is counted, and the count persists. */
export function externalAuthenticate(command: CommandApdu, ctx: SdCommandContext): ResponseApdu {
  const model = ctx.manager.model;
  const session = ctx.channel.session;
  if (session === undefined) throw new CardException(SW.CONDITIONS_OF_USE_NOT_SATISFIED, 'EXTERNAL AUTHENTICATE without INITIALIZE UPDATE');
  const { sd } = currentSd(ctx);
  try {
    session.externalAuthenticate(command);
    persistCounter(ctx); // GPC 2.3.1 §E.4.1: SCP02 counts the session once its first C-MAC verifies
  } catch (e) {
    persistCounter(ctx);
    const sw = e instanceof GpError && e.sw !== undefined ? e.sw : SW.SECURITY_STATUS_NOT_SATISFIED;
    if (sw === SW.AUTHENTICATION_FAILED || sw === SW.SECURITY_STATUS_NOT_SATISFIED) {
      // returned, not thrown, so that the failure count is committed
      model.update(updateSd(model.state, ctx.sdAid, (s) => ({ ...s, authFailures: s.authFailures + 1 })));
      return responseApdu(new Uint8Array(0), sw);
    }
    throw asCardException(e);
  }
  if (sd.authFailures !== 0) model.update(updateSd(model.state, ctx.sdAid, (s) => ({ ...s, authFailures: 0 })));
  return responseApdu(new Uint8Array(0), SW.OK);
}

/** Stores the session's sequence counter in its key set when it moved. */
function persistCounter(ctx: SdCommandContext): void {
  const { session, sessionKvn } = ctx.channel;
  if (session === undefined || sessionKvn === undefined) return;
  const model = ctx.manager.model;
  const set = currentSd(ctx).sd.keySets.find((k) => k.kvn === sessionKvn);
  if (set === undefined || set.counter === session.sequenceCounter) return;
  model.update(updateSd(model.state, ctx.sdAid, (s) => setCounter(s, sessionKvn, session.sequenceCounter)));
}

function setCounter(sd: SecurityDomainState, kvn: number, counter: number): SecurityDomainState {
  return { ...sd, keySets: sd.keySets.map((k) => (k.kvn === kvn ? { ...k, counter } : k)) };
}
