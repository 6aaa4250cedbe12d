import { parseCommand, encodeResponse, responseApdu, SW, type CommandApdu, type ResponseApdu } from '../../apdu/index.ts';
import { equalCt } from '../../bytes/index.ts';
import type { AppletContext, AppletDirectory, CardTransactions, SelectableEntry } from './applet.ts';
import { CardException } from './card-exception.ts';
import { decodeCla } from './cla.ts';

/** Card-OS settings that differ between card products (from the card profile). */
export interface CardOsOptions {
  readonly atr: Uint8Array;
  /** Logical channels supported, basic channel included (1 = basic only; ISO 7816-4 allows up to 20). */
  readonly channels: number;
  /** Status word for a command on a channel with no selected application (Java Card RE: 6999). */
  readonly noApplicationSw: number;
  /** Status word when SELECT names no selectable application (GPC 2.3.1 §11.9.2.3: 6A82). */
  readonly selectNotFoundSw: number;
}

interface ChannelState {
  selected: SelectableEntry | undefined;
}

/** Counters a test can read to prove the card never failed internally. */
export interface CardOsStats {
  commands: number;
  /** Exceptions other than CardException caught from applets: each one is a bug. */
  internalErrors: number;
  lastInternalError: unknown;
}

/**
 * The card operating system: ISO 7816-4 command dispatch over logical channels. It answers every
 * input with a status word and never throws: malformed APDUs get 6700, unsupported classes 6E00,
 * closed channels 6881, and an unexpected exception inside an applet gets 6F00 (and is counted in
 * `stats.internalErrors`). Each command runs in one persistent-state transaction.
 */
export class CardOs {
  readonly stats: CardOsStats = { commands: 0, internalErrors: 0, lastInternalError: undefined };
  readonly #options: CardOsOptions;
  readonly #directory: AppletDirectory;
  readonly #tx: CardTransactions;
  #channels: (ChannelState | undefined)[] = [];
  #contactless = false;

  constructor(options: CardOsOptions, directory: AppletDirectory, transactions: CardTransactions) {
    this.#options = options;
    this.#directory = directory;
    this.#tx = transactions;
    this.reset();
  }

  /** Answer to reset (ISO 7816-3 §8). */
  get atr(): Uint8Array {
    return this.#options.atr.slice();
  }

  /** Cold or warm reset: closes every logical channel, deselects everything, reselects the implicit application on channel 0. */
  reset(contactless = this.#contactless): Uint8Array {
    this.#contactless = contactless;
    for (let c = 0; c < this.#channels.length; c++) this.#deselect(c);
    this.#channels = [{ selected: this.#directory.implicit(0, contactless) }];
    return this.atr;
  }

  /** Processes one command APDU and returns the response APDU bytes (data ‖ SW1 SW2). Never throws. */
  process(command: Uint8Array): Uint8Array {
    this.stats.commands++;
    return encodeResponse(this.#processParsed(command));
  }

  /** The instance selected on `channel`, if any (for tests and tooling). */
  selectedOn(channel: number): Uint8Array | undefined {
    return this.#channels[channel]?.selected?.aid;
  }

  #processParsed(bytes: Uint8Array): ResponseApdu {
    let apdu: CommandApdu;
    try {
      apdu = parseCommand(bytes);
    } catch {
      return status(SW.WRONG_LENGTH); // ISO 7816-4 §5.1: Lc/Le inconsistent with the command length
    }
    const cla = decodeCla(apdu.cla);
    if (cla === undefined) return status(SW.CLA_NOT_SUPPORTED);
    if (cla.channel >= this.#options.channels) return status(SW.LOGICAL_CHANNEL_NOT_SUPPORTED);
    const channel = this.#channels[cla.channel];
    if (channel === undefined) return status(SW.LOGICAL_CHANNEL_NOT_SUPPORTED);
    this.#tx.begin();
    try {
      const response = this.#dispatch(apdu, cla.channel, cla.proprietary, channel);
      this.#tx.commit();
      return response;
    } catch (e) {
      this.#tx.rollback();
      if (e instanceof CardException) return status(e.sw);
      this.stats.internalErrors++;
      this.stats.lastInternalError = e;
      return status(SW.NO_PRECISE_DIAGNOSIS);
    }
  }

  #dispatch(apdu: CommandApdu, channelNo: number, proprietary: boolean, channel: ChannelState): ResponseApdu {
    if (!proprietary && apdu.ins === 0x70) return this.#manageChannel(apdu, channelNo);
    if (!proprietary && apdu.ins === 0xa4 && apdu.p1 === 0x04) return this.#selectByName(apdu, channelNo, channel);
    const selected = channel.selected;
    if (selected === undefined) return status(this.#options.noApplicationSw);
    return selected.applet.process(apdu, this.#context(selected, channelNo));
  }

  /** ISO 7816-4 §11.1.2 MANAGE CHANNEL: P1 00 open (P2 00: card assigns), P1 80 close P2. */
  #manageChannel(apdu: CommandApdu, from: number): ResponseApdu {
    if (this.#options.channels <= 1) return status(SW.FUNCTION_NOT_SUPPORTED);
    if (apdu.data.length !== 0) return status(SW.WRONG_LENGTH);
    if (apdu.p1 === 0x80) {
      const target = apdu.p2 === 0 ? from : apdu.p2;
      if (target === 0 || target >= this.#options.channels || this.#channels[target] === undefined) return status(SW.INCORRECT_P1P2);
      this.#deselect(target);
      this.#channels[target] = undefined;
      return status(SW.OK);
    }
    if (apdu.p1 !== 0x00) return status(SW.INCORRECT_P1P2);
    let target = apdu.p2;
    if (target === 0) {
      target = this.#channels.findIndex((c, i) => i > 0 && c === undefined);
      if (target < 0) target = this.#channels.length;
      if (target >= this.#options.channels) return status(SW.FUNCTION_NOT_SUPPORTED); // no free channel
      if (apdu.ne === undefined) return status(SW.WRONG_LENGTH);
    } else if (target >= this.#options.channels || this.#channels[target] !== undefined) {
      return status(SW.INCORRECT_P1P2);
    }
    // ISO 7816-4 §11.1.2: opened from the basic channel → implicit application; otherwise the origin's.
    const origin = from === 0 ? this.#directory.implicit(target, this.#contactless) : this.#channels[from]?.selected;
    const selected = origin !== undefined && this.#canSelectOn(origin, target) ? origin : undefined;
    this.#channels[target] = { selected };
    return apdu.p2 === 0 ? responseApdu(Uint8Array.of(target), SW.OK) : status(SW.OK);
  }

  /** ISO 7816-4 §11.2.2 SELECT by DF name; P2 b2b1 00 first/only, 10 next occurrence. */
  #selectByName(apdu: CommandApdu, channelNo: number, channel: ChannelState): ResponseApdu {
    const occurrence = apdu.p2 & 0x03;
    if (occurrence !== 0x00 && occurrence !== 0x02) return status(SW.INCORRECT_P1P2);
    const candidates = this.#directory.selectable(apdu.data, channelNo, this.#contactless);
    let start = 0;
    const current = channel.selected;
    if (occurrence === 0x02 && current !== undefined) {
      const at = candidates.findIndex((c) => equalCt(c.aid, current.aid));
      start = at + 1;
    }
    const target = candidates.slice(start).find((c) => this.#canSelectOn(c, channelNo, channel));
    if (target === undefined) return status(this.#options.selectNotFoundSw);
    this.#deselect(channelNo);
    channel.selected = undefined;
    const response = target.applet.select(apdu, this.#context(target, channelNo));
    channel.selected = target;
    return response;
  }

  /** A non-multiselectable instance may be active on one channel only (Java Card 3 RE §4.2). */
  #canSelectOn(entry: SelectableEntry, channelNo: number, own?: ChannelState): boolean {
    if (entry.applet.multiselectable === true) return true;
    return this.#channels.every((c, i) => c === undefined || c === own || i === channelNo || c.selected?.applet !== entry.applet);
  }

  #deselect(channelNo: number): void {
    const selected = this.#channels[channelNo]?.selected;
    if (selected?.applet.deselect === undefined) return;
    try {
      selected.applet.deselect(this.#context(selected, channelNo));
    } catch (e) {
      this.stats.internalErrors++;
      this.stats.lastInternalError = e;
    }
  }

  #context(entry: SelectableEntry, channel: number): AppletContext {
    const tx = this.#tx;
    return {
      channel,
      aid: entry.aid,
      contactless: this.#contactless,
      get persistent() {
        return tx.appletData(entry.aid);
      },
      setPersistent: (next: unknown) => tx.stageAppletData(entry.aid, next),
      setApplicationState: (state: number) => tx.stageApplicationState(entry.aid, state),
      shareable: (serverAid: Uint8Array, parameter: number) => this.#shareable(entry.aid, serverAid, parameter, channel),
    };
  }

  /**
   * Java Card 3.1 `JCSystem.getAppletShareableInterfaceObject`: the server is looked up among the
   * instances SELECT could reach now (a LOCKED one answers through the locked stand-in, which shares
   * nothing) and asked with its own context, in the caller's transaction.
   */
  #shareable(clientAid: Uint8Array, serverAid: Uint8Array, parameter: number, channel: number): unknown {
    const server = this.#directory.selectable(serverAid, channel, this.#contactless).find((e) => e.aid.length === serverAid.length && equalCt(e.aid, serverAid));
    if (server?.applet.getShareable === undefined) return undefined;
    return server.applet.getShareable(clientAid.slice(), parameter, this.#context(server, channel));
  }
}

function status(sw: number): ResponseApdu {
  return responseApdu(new Uint8Array(0), sw);
}

