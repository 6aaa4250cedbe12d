/**
 * The platform's side of one SE terminal, shared by every SEService of the phone (as AOSP's one
 * `Terminal` per SE sits under every app's binding): the lock that keeps commands of different
 * channels from interleaving, which logical channels are open, whether the basic channel is taken.
 */
import { ApduError, commandApdu, encodeResponse, transmit, type CommandApdu, type ResponseApdu } from '../../apdu/index.ts';
import { DeviceError } from '../errors.ts';
import type { SeTerminal } from '../terminal.ts';

/** The most response data one command may return (an extended-length answer). */
const MAX_RESPONSE = 65536;
/** GET RESPONSE commands allowed for one command (256 × 256 bytes covers {@link MAX_RESPONSE}). */
const MAX_GET_RESPONSES = 256;

const PORTS = new WeakMap<SeTerminal, TerminalPort>();

/** The platform state of one terminal (one per SeTerminal object, shared by every SEService over it). */
export class TerminalPort {
  readonly terminal: SeTerminal;
  /** Logical channel numbers (1–19) this platform has open on the SE. */
  readonly openChannels = new Set<number>();
  /** The basic channel is held by an OMAPI Channel. */
  basicInUse = false;
  /** The default application is selected on the basic channel (AOSP Terminal.mDefaultApplicationSelectedOnBasicChannel). */
  defaultSelectedOnBasic = true;
  #tail: Promise<unknown> = Promise.resolve();

  private constructor(terminal: SeTerminal) {
    this.terminal = terminal;
  }

  /** The one port of `terminal`. */
  static of(terminal: SeTerminal): TerminalPort {
    let port = PORTS.get(terminal);
    if (port === undefined) {
      port = new TerminalPort(terminal);
      PORTS.set(terminal, port);
    }
    return port;
  }

  /**
   * Runs `work` alone on this terminal: calls queue in order, so the commands of one call (a MANAGE
   * CHANNEL and its SELECT, a command and its GET RESPONSEs) never interleave with another's
   * (android.se.omapi Channel.transmit: "only one APDU will be sent at a time").
   */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(work);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /**
   * One command and its whole response: 61xx answered by GET RESPONSE and 6Cxx by a resend with
   * Le = xx on the same channel (apdu/ transmit), as android.se.omapi Channel.transmit requires of
   * the implementation. Call inside {@link exclusive}. A failure of the link is ERR_DEVICE_TRANSPORT
   * (OMAPI IOException) naming the reader, never the command.
   */
  async exchange(command: CommandApdu): Promise<ResponseApdu> {
    try {
      return await transmit(this.terminal, command, { maxGetResponses: MAX_GET_RESPONSES, maxResponseLength: MAX_RESPONSE });
    } catch (e) {
      const cause = e instanceof ApduError && e.cause instanceof DeviceError ? e.cause : e;
      if (cause instanceof DeviceError) throw cause;
      const why = e instanceof ApduError && e.code !== 'ERR_APDU_TRANSPORT' ? 'the Secure Element answered a malformed response' : 'the exchange with the Secure Element failed';
      throw new DeviceError('ERR_DEVICE_TRANSPORT', `${this.terminal.name}: ${why}`, { cause });
    }
  }
}

/** The response as OMAPI returns it: data ‖ SW1 SW2. */
export function responseBytes(response: ResponseApdu): Uint8Array {
  return encodeResponse(response);
}

/** A command APDU from fields (the service's own commands; they are always well formed). */
export function serviceCommand(cla: number, ins: number, p1: number, p2: number, data?: Uint8Array, ne?: number): CommandApdu {
  return commandApdu({ cla, ins, p1, p2, data, ne });
}
