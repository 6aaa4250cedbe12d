/**
 * The Security Domain applet (GPC 2.3.1 §7, chapter 11): one object per SD (ISD or SSD) with its
 * volatile per-channel state. Each command goes through the same gate — secure channel commands,
 * then unwrapping, then the minimum security level of Table 11-2, then the card life cycle — before
 * its handler runs; the response is protected on the way out.
 */
import { OpenTsmError } from '../../bytes/index.ts';
import { encodeFci, GpError, CARD_LIFECYCLE, hasSecureMessaging } from '../../gp/index.ts';
import { responseApdu, SW, type CommandApdu, type ResponseApdu } from '../../apdu/index.ts';
import type { Applet, AppletContext } from '../runtime/applet.ts';
import { CardException } from '../runtime/card-exception.ts';
import type { CardManager } from './card-manager.ts';
import { clearChannelState, newChannelState, type SdChannelState } from './channel-state.ts';
import { chainStep } from './handlers/command-chain.ts';
import { SD_HANDLERS } from './handlers/index.ts';
import { isIsd, isLocked } from './registry.ts';
import { currentSd, type SdCommandContext } from './sd-context.ts';
import { recognitionData } from './recognition-data.ts';
import { externalAuthenticate, initializeUpdate } from './secure-channel.ts';

const INS_INITIALIZE_UPDATE = 0x50;
const INS_EXTERNAL_AUTHENTICATE = 0x82;
const INS_GET_DATA = [0xca, 0xcb];
const INS_SET_STATUS = 0xf0;

/** GPC 2.3.1 Table 11-2: commands that need an authenticated secure channel. */
const NEEDS_AUTHENTICATION = new Set([0xe4, 0xf2, 0xe6, 0xe8, 0xd8, 0xf0, 0xe2]);

export class SecurityDomainApplet implements Applet {
  /** One SD may serve several channels, each with its own secure channel (GPC 2.3.1 §7.3.1). */
  readonly multiselectable = true;
  readonly #manager: CardManager;
  readonly #aid: Uint8Array;
  readonly #channels = new Map<number, SdChannelState>();

  constructor(manager: CardManager, aid: Uint8Array) {
    this.#manager = manager;
    this.#aid = aid.slice();
  }

  select(_command: CommandApdu, ctx: AppletContext): ResponseApdu {
    this.#channel(ctx.channel, true);
    const sd = currentSd(this.#context(ctx.channel));
    // GPC 2.3.1 §11.9.3.1 Table 11-89: FCI with the SD's AID and its management data / max block length
    const fci = encodeFci({ aid: this.#aid, maxCommandDataLength: 255, managementData: recognitionData(sd.sd.scp) });
    return responseApdu(fci, SW.OK);
  }

  deselect(ctx: AppletContext): void {
    const ch = this.#channels.get(ctx.channel);
    if (ch !== undefined) clearChannelState(ch);
    this.#channels.delete(ctx.channel);
  }

  process(command: CommandApdu, appletCtx: AppletContext): ResponseApdu {
    const ctx = this.#context(appletCtx.channel);
    try {
      const self = currentSd(ctx);
      // GPC 2.3.1 §5.3.2.4: "if a Security Domain is in the lifecycle state LOCKED, it shall reject all received commands"
      if (isLocked(self) && !isIsd(this.#manager.model.state, self.aid)) throw new CardException(SW.CONDITIONS_OF_USE_NOT_SATISFIED, 'Security Domain is LOCKED');
      if (command.ins === INS_INITIALIZE_UPDATE && !hasSecureMessaging(command.cla)) return initializeUpdate(command, ctx);
      if (command.ins === INS_EXTERNAL_AUTHENTICATE) return externalAuthenticate(command, ctx);
      const session = ctx.channel.session;
      // GPC 2.3.1 §11.1.5.1: a chained command is reassembled before its secure messaging is verified
      const step = chainStep(ctx.channel, command, session?.securityLevel !== undefined);
      if (step.kind === 'answer') return step.response;
      const plain = session === undefined ? this.#outsideSession(step.command) : session.unwrapCommand(step.command);
      const authenticated = session?.securityLevel !== undefined || ctx.channel.otaAuthenticated === true;
      if (NEEDS_AUTHENTICATION.has(plain.ins) && !authenticated) {
        throw new CardException(SW.SECURITY_STATUS_NOT_SATISFIED, 'command needs an authenticated secure channel (GPC 2.3.1 Table 11-2)');
      }
      this.#checkCardLifecycle(plain.ins);
      const handler = SD_HANDLERS.get(plain.ins);
      if (handler === undefined) throw new CardException(SW.INS_NOT_SUPPORTED);
      const response = handler(plain, ctx);
      return session === undefined ? response : session.wrapResponse(response);
    } catch (e) {
      throw toCardException(e);
    }
  }

  /**
   * Starts an OTA script on a pseudo-channel (no logical channel of the card OS): a fresh channel
   * state marked authenticated by the verified SCP80 packet (ETSI TS 102 226 RAM). Commands then go
   * through `process` on that channel number; `endOta` forgets everything the script left behind.
   */
  beginOta(channelNo: number): void {
    this.#channel(channelNo, true).otaAuthenticated = true;
  }

  /** Ends an OTA script's pseudo-channel. */
  endOta(channelNo: number): void {
    const ch = this.#channels.get(channelNo);
    if (ch !== undefined) clearChannelState(ch);
    this.#channels.delete(channelNo);
  }

  #outsideSession(command: CommandApdu): CommandApdu {
    if (hasSecureMessaging(command.cla)) throw new CardException(SW.SECURITY_STATUS_NOT_SATISFIED, 'secured command without a secure channel');
    return command;
  }

  /** GPC 2.3.1 §5.1.1.4–5: CARD_LOCKED allows GET DATA and SET STATUS; TERMINATED only GET DATA. */
  #checkCardLifecycle(ins: number): void {
    const lifecycle = this.#manager.model.state.lifecycle;
    if (INS_GET_DATA.includes(ins)) return;
    if (lifecycle === CARD_LIFECYCLE.TERMINATED || (lifecycle === CARD_LIFECYCLE.CARD_LOCKED && ins !== INS_SET_STATUS)) {
      throw new CardException(SW.CONDITIONS_OF_USE_NOT_SATISFIED, 'not allowed in the current card life cycle state');
    }
  }

  #channel(channelNo: number, fresh = false): SdChannelState {
    let ch = this.#channels.get(channelNo);
    if (ch === undefined || fresh) {
      if (ch !== undefined) clearChannelState(ch); // GPC 2.3.1 §10.2.3: reselection ends the session
      ch = newChannelState();
      this.#channels.set(channelNo, ch);
    }
    return ch;
  }

  #context(channelNo: number): SdCommandContext {
    return { manager: this.#manager, sdAid: this.#aid, channelNo, channel: this.#channel(channelNo) };
  }
}

/** Card-side errors from the gp/ parsers carry the status word the card must answer. */
function toCardException(e: unknown): unknown {
  if (e instanceof CardException) return e;
  if (e instanceof GpError) return new CardException(e.sw ?? SW.INCORRECT_DATA, e.message);
  if (e instanceof OpenTsmError) return new CardException(SW.INCORRECT_DATA, e.message); // bytes/tlv/crypto refusals of hostile data
  return e;
}
