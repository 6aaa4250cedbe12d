/**
 * An OMAPI Channel (android.se.omapi.Channel; SIMalliance OMAPI v3): the basic channel or one
 * logical channel to one applet, opened by a Session after the access-control enforcer allowed
 * the app that applet. Every command passes the decision's APDU filters; the CLA is moved onto
 * this channel; 61xx/6Cxx are handled below the app.
 */
import { commandApdu, describeSw } from '../../apdu/index.ts';
import { apduAllowed, type ApduAccess } from '../access-control/access-decision.ts';
import { DeviceError } from '../errors.ts';
import { claOnChannel } from '../terminal.ts';
import { checkCommand } from './checks.ts';
import { manageChannelClose, selectDefault, selected, selectNextByName } from './select.ts';
import type { Session } from './session.ts';
import { responseBytes, type TerminalPort } from './terminal-port.ts';

/** What a Session hands a new Channel. */
export interface ChannelInit {
  readonly session: Session;
  readonly port: TerminalPort;
  /** 0: the basic channel; 1–19: a logical channel. */
  readonly number: number;
  /** The AID (or AID prefix) the channel was opened with; undefined: the default application. */
  readonly aid: Uint8Array | undefined;
  /** The SELECT P2 of the open call. */
  readonly p2: number;
  /** The APDU part of the enforcer's decision for this app and applet. */
  readonly access: ApduAccess;
  /** The SELECT answer (data ‖ SW); undefined when no SELECT was sent. */
  readonly selectResponse: Uint8Array | undefined;
  /** Called once when the channel closes (the session forgets it). */
  readonly onClose: (channel: Channel) => void;
}

/**
 * The class byte brought to its basic-channel, first-interindustry coding before the channel bits
 * are set (ISO/IEC 7816-4 §5.4.1): a further-interindustry CLA keeps its SM and chaining bits.
 */
function basicCla(cla: number): number {
  if ((cla & 0x40) === 0) return cla & 0xfc;
  return (cla & 0x80) | ((cla & 0x20) !== 0 ? 0x08 : 0) | (cla & 0x10);
}

/** One open channel to one applet: transmit within the access decision, selectNext, close. */
export class Channel {
  readonly #init: ChannelInit;
  #selectResponse: Uint8Array | undefined;
  #open = true;

  /** @internal Channels come from {@link Session.openBasicChannel} and {@link Session.openLogicalChannel}. */
  constructor(init: ChannelInit) {
    this.#init = init;
    this.#selectResponse = init.selectResponse?.slice();
  }

  /** The session that opened this channel. */
  getSession(): Session {
    return this.#init.session;
  }

  /** Whether this is the basic channel (channel 0). ERR_DEVICE_ILLEGAL_STATE when the service is not connected. */
  isBasicChannel(): boolean {
    this.#connected();
    return this.#init.number === 0;
  }

  /** Whether the channel is open: false once closed, or when the service is not connected (android.se.omapi Channel.isClosed). */
  isOpen(): boolean {
    return this.#open && this.#init.session.getReader().getSEService().isConnected();
  }

  /**
   * The SELECT answer of the open call (or of the last successful {@link selectNext}): data ‖ SW;
   * null when no applet was selected by AID (android.se.omapi Channel.getSelectResponse).
   */
  getSelectResponse(): Uint8Array | null {
    this.#connected();
    return this.#selectResponse === undefined ? null : this.#selectResponse.slice();
  }

  /**
   * Sends one command APDU to the applet and returns its whole response (data ‖ SW1 SW2), whatever
   * the status word (android.se.omapi Channel.transmit). Errors: ILLEGAL_STATE (closed, service not
   * connected), ILLEGAL_ARGUMENT (not a command APDU), SECURITY (MANAGE CHANNEL, SELECT by DF name,
   * or outside the access rule's APDU filters), TRANSPORT (the SE cannot be reached).
   * @example await channel.transmit(hex`80CADF2000`) // → DF20 08 … 90 00
   */
  async transmit(command: Uint8Array): Promise<Uint8Array> {
    this.#live();
    const apdu = checkCommand(command);
    // GP SEAC §3.4.1: the command must match one of the rule's APDU filters (or the rule is "always")
    if (!apduAllowed(this.#init.access, command)) {
      throw new DeviceError('ERR_DEVICE_SECURITY', 'the access rule does not allow this command for this application');
    }
    // android.se.omapi Channel.transmit: "CLA bytes with channel numbers are de-masked"; the service sets this channel's
    const onChannel = commandApdu({ ...apdu, cla: claOnChannel(basicCla(apdu.cla), this.#init.number) });
    const { port } = this.#init;
    const response = await port.exclusive(() => port.exchange(onChannel));
    return responseBytes(response);
  }

  /**
   * Selects the next applet matching the open call's AID on this channel (SELECT P2 next occurrence;
   * android.se.omapi Channel.selectNext). True: a new applet is selected and its answer replaces
   * {@link getSelectResponse}; false (6Axx, e.g. 6A82): no further applet, the current one stays.
   * UNSUPPORTED when the channel was opened without an AID or the SE answers anything else.
   */
  async selectNext(): Promise<boolean> {
    this.#live();
    const { port, aid, number, p2 } = this.#init;
    if (aid === undefined) throw new DeviceError('ERR_DEVICE_UNSUPPORTED', 'selectNext: the channel was opened without an AID');
    const response = await port.exclusive(() => selectNextByName(port, number, aid, p2));
    // AOSP com.android.se.Channel.selectNext: 9XXX/62XX/63XX selected, 6AXX none left, anything else unsupported
    if ((response.sw & 0xff00) === 0x6a00) return false;
    if (!selected(response.sw)) {
      throw new DeviceError('ERR_DEVICE_UNSUPPORTED', `${port.terminal.name}: selectNext is not supported (SELECT answered ${describeSw(response.sw)})`, { sw: response.sw });
    }
    this.#selectResponse = responseBytes(response);
    return true;
  }

  /**
   * Closes the channel; a second call does nothing, and it never throws (android.se.omapi
   * Channel.close). Commands already queued on the terminal complete first. A logical channel is
   * closed on the SE by MANAGE CHANNEL (P1 80); the basic channel gets the default application
   * selected again (AOSP Channel.close → Terminal.selectDefaultApplication).
   */
  async close(): Promise<void> {
    if (!this.#open) return;
    this.#open = false;
    this.#init.onClose(this);
    const { port, number } = this.#init;
    await port.exclusive(async () => {
      try {
        if (number === 0) port.defaultSelectedOnBasic = (await selectDefault(port)) === 0x9000;
        else await manageChannelClose(port, number);
      } catch {
        // the SE is gone or failed: the channel is closed on this side all the same
        if (number === 0) port.defaultSelectedOnBasic = false;
      } finally {
        if (number === 0) port.basicInUse = false;
        else port.openChannels.delete(number);
      }
    });
  }

  #connected(): void {
    if (!this.#init.session.getReader().getSEService().isConnected()) {
      throw new DeviceError('ERR_DEVICE_ILLEGAL_STATE', 'the SE service is not connected');
    }
  }

  #live(): void {
    this.#connected();
    if (!this.#open) throw new DeviceError('ERR_DEVICE_ILLEGAL_STATE', 'the channel is closed');
  }
}
