/**
 * An OMAPI Session (android.se.omapi.Session; SIMalliance OMAPI v3): one app's connection to the SE
 * of one reader. It opens the basic channel or logical channels, each only after the access-control
 * enforcer allowed the app the applet, and closes them all when it closes.
 */
import type { ApduAccess } from '../access-control/access-decision.ts';
import { DeviceError } from '../errors.ts';
import { Channel } from './channel.ts';
import { checkAid, checkP2 } from './checks.ts';
import type { Reader } from './reader.ts';
import { checkSelectAnswer, manageChannelClose, manageChannelOpen, selectByName } from './select.ts';
import { responseBytes, type TerminalPort } from './terminal-port.ts';

/** AOSP SecureElementService.UICC_TERMINAL: reader names of UICC slots start with it. */
const UICC_PREFIX = 'SIM';

/** What a Reader hands a new Session. */
export interface SessionInit {
  readonly reader: Reader;
  readonly port: TerminalPort;
  readonly atr: Uint8Array | undefined;
  /** The app may open the basic channel of a UICC (a carrier-privileged or system app). */
  readonly uiccBasicChannel: boolean;
  readonly onClose: (session: Session) => void;
}

/** One app's session on one reader's SE: opens channels (each gated by the enforcer), closes them with itself. */
export class Session {
  readonly #init: SessionInit;
  readonly #channels = new Set<Channel>();
  #closed = false;

  /** @internal Sessions come from {@link Reader.openSession}. */
  constructor(init: SessionInit) {
    this.#init = init;
  }

  /** The reader this session was opened on. */
  getReader(): Reader {
    return this.#init.reader;
  }

  /** The SE's Answer To Reset as read when the session opened, or null (android.se.omapi Session.getATR). */
  getATR(): Uint8Array | null {
    return this.#init.atr === undefined ? null : this.#init.atr.slice();
  }

  /** Whether the session is closed. */
  isClosed(): boolean {
    return this.#closed;
  }

  /** Closes every channel of this session, then the session; a second call does nothing, and it never throws. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.closeChannels();
    this.#init.onClose(this);
  }

  /** Closes every channel this session opened; the session stays open. */
  async closeChannels(): Promise<void> {
    await Promise.all([...this.#channels].map((c) => c.close()));
  }

  /**
   * Opens the basic channel and selects `aid` on it (no AID: the default application stays
   * selected); `p2` is the SELECT P2 (android.se.omapi Session.openBasicChannel). Null when the basic
   * channel is in use, when the default application is not selected there any more (no AID), or on a
   * UICC (`SIM…`) unless the service allows it (`uiccBasicChannel`; AOSP Terminal: "openBasicChannel
   * is not allowed"). Errors as {@link openLogicalChannel}.
   */
  async openBasicChannel(aid?: Uint8Array | null, p2 = 0x00): Promise<Channel | null> {
    const admitted = this.#admit(aid, p2, () => this.#init.uiccBasicChannel || !this.#isUicc());
    if (admitted === null) return null;
    const { port } = this.#init;
    return this.#settle(await port.exclusive(async () => {
      this.#open();
      const access = await this.#decide(admitted.aid);
      if (port.basicInUse) return null;
      if (admitted.aid === undefined && !port.defaultSelectedOnBasic) return null;
      let selectResponse: Uint8Array | undefined;
      if (admitted.aid !== undefined) {
        const answer = await selectByName(port, 0, admitted.aid, p2);
        // ISO/IEC 7816-4 §11.2.2: a SELECT that finds nothing (6A82) leaves the current selection; any other answer may not
        if (answer.sw !== 0x6a82) port.defaultSelectedOnBasic = false;
        checkSelectAnswer(port, answer.sw);
        selectResponse = responseBytes(answer);
      }
      port.basicInUse = true;
      return this.#adopt(0, admitted.aid, p2, access, selectResponse);
    }));
  }

  /**
   * Opens a logical channel (MANAGE CHANNEL open from the basic channel, the SE choosing the number)
   * and selects `aid` on it with SELECT P2 `p2` (android.se.omapi Session.openLogicalChannel; no AID:
   * the SE's default application for the new channel, no SELECT sent). Null when the SE has no free
   * logical channel, or when no AID is given on a UICC (AOSP SecureElementService).
   *
   * Errors: ILLEGAL_STATE (session closed, service not connected); UNSUPPORTED (P2 not 00/04/08/0C,
   * or refused by the applet); ILLEGAL_ARGUMENT (AID not 5–16 bytes); TRANSPORT (SE absent or
   * failing); SECURITY (the enforcer denies the app this applet: nothing is opened);
   * NO_SUCH_ELEMENT (SELECT 6A82/6999/6985: the new channel is closed again).
   */
  async openLogicalChannel(aid?: Uint8Array | null, p2 = 0x00): Promise<Channel | null> {
    const noAid = aid === undefined || aid === null || (aid instanceof Uint8Array && aid.length === 0);
    const admitted = this.#admit(aid, p2, () => !(this.#isUicc() && noAid));
    if (admitted === null) return null;
    const { port } = this.#init;
    return this.#settle(await port.exclusive(async () => {
      this.#open();
      const access = await this.#decide(admitted.aid);
      const number = await manageChannelOpen(port);
      if (number === undefined) return null;
      port.openChannels.add(number);
      let selectResponse: Uint8Array | undefined;
      if (admitted.aid !== undefined) {
        try {
          const answer = await selectByName(port, number, admitted.aid, p2);
          checkSelectAnswer(port, answer.sw);
          selectResponse = responseBytes(answer);
        } catch (e) {
          await manageChannelClose(port, number).catch(() => undefined);
          port.openChannels.delete(number);
          throw e;
        }
      }
      return this.#adopt(number, admitted.aid, p2, access, selectResponse);
    }));
  }

  /**
   * The checks every open call makes before anything else, in AOSP's order: session open, the UICC
   * rule (`allowed` false → null), P2, AID, SE present.
   */
  #admit(aid: Uint8Array | null | undefined, p2: number, allowed: () => boolean): { aid: Uint8Array | undefined } | null {
    this.#open();
    if (!allowed()) return null;
    checkP2(p2);
    const checked = checkAid(aid);
    const { port, reader } = this.#init;
    if (!port.terminal.isPresent()) throw new DeviceError('ERR_DEVICE_TRANSPORT', `${reader.getName()}: the Secure Element is not present`);
    return { aid: checked };
  }

  /**
   * The enforcer's decision for this app and `aid`, asked BEFORE any command of the open call is
   * sent (AOSP Terminal.setUpChannelAccess), while the terminal is held: the enforcer's own ARA-M
   * reads do not interleave with other channels' commands.
   */
  async #decide(aid: Uint8Array | undefined): Promise<ApduAccess> {
    const { port, reader } = this.#init;
    const service = reader.getSEService();
    const decision = await service.enforcer.decide(port.terminal, aid, service.app).catch((e: unknown) => {
      // AOSP: an enforcer that cannot read the rules denies (SecurityException); I/O and argument errors keep their kind
      if (e instanceof DeviceError && ['ERR_DEVICE_SECURITY', 'ERR_DEVICE_TRANSPORT', 'ERR_DEVICE_ILLEGAL_ARGUMENT'].includes(e.code)) throw e;
      throw new DeviceError('ERR_DEVICE_SECURITY', `${reader.getName()}: the access rules could not be read`, { cause: e });
    });
    // GP SEAC §3.2.1: APDU access "never" denies the channel itself
    if (decision.apdu === 'never') throw new DeviceError('ERR_DEVICE_SECURITY', `${reader.getName()}: access denied to this applet (${decision.reason})`);
    return decision.apdu;
  }

  /** A channel opened while the session was being closed is closed again (the session's close did not see it). */
  async #settle(channel: Channel | null): Promise<Channel | null> {
    if (channel === null || !this.#closed) return channel;
    await channel.close();
    throw new DeviceError('ERR_DEVICE_ILLEGAL_STATE', 'the session was closed while the channel opened');
  }

  #adopt(number: number, aid: Uint8Array | undefined, p2: number, access: ApduAccess, selectResponse: Uint8Array | undefined): Channel {
    const channel = new Channel({
      session: this, port: this.#init.port, number, aid, p2, access, selectResponse,
      onClose: (c) => this.#channels.delete(c),
    });
    this.#channels.add(channel);
    return channel;
  }

  #isUicc(): boolean {
    return this.#init.reader.getName().startsWith(UICC_PREFIX);
  }

  #open(): void {
    if (!this.#init.reader.getSEService().isConnected()) throw new DeviceError('ERR_DEVICE_ILLEGAL_STATE', 'the SE service is not connected');
    if (this.#closed) throw new DeviceError('ERR_DEVICE_ILLEGAL_STATE', 'the session is closed');
  }
}
