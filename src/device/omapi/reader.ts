/**
 * An OMAPI Reader (android.se.omapi.Reader; SIMalliance OMAPI v3): one SE slot of the phone as the
 * app sees it — `SIM1`, `eSE1`, `SD1` — on which it opens sessions.
 */
import { DeviceError } from '../errors.ts';
import type { SeTerminal } from '../terminal.ts';
import type { SEService } from './se-service.ts';
import { Session } from './session.ts';
import { TerminalPort } from './terminal-port.ts';

/** One SE slot as an app sees it; sessions are opened on it. */
export class Reader {
  readonly #service: SEService;
  readonly #port: TerminalPort;
  readonly #uiccBasicChannel: boolean;
  readonly #sessions = new Set<Session>();

  /** @internal Readers come from {@link SEService.getReaders}. */
  constructor(service: SEService, terminal: SeTerminal, options: { uiccBasicChannel: boolean }) {
    this.#service = service;
    this.#port = TerminalPort.of(terminal);
    this.#uiccBasicChannel = options.uiccBasicChannel;
  }

  /** The reader name: `SIM1`…, `eSE1`…, `SD1`… (android.se.omapi Reader.getName). */
  getName(): string {
    return this.#port.terminal.name;
  }

  /** The service this reader belongs to. */
  getSEService(): SEService {
    return this.#service;
  }

  /** Whether an SE is in this reader. ERR_DEVICE_ILLEGAL_STATE when the service is not connected. */
  isSecureElementPresent(): boolean {
    this.#connected();
    return this.#port.terminal.isPresent();
  }

  /**
   * Opens a session on this reader's SE (android.se.omapi Reader.openSession). ILLEGAL_STATE when the
   * service is not connected; TRANSPORT (IOException) when no SE is present or it cannot be reached.
   */
  async openSession(): Promise<Session> {
    this.#connected();
    const terminal = this.#port.terminal;
    if (!terminal.isPresent()) throw new DeviceError('ERR_DEVICE_TRANSPORT', `${terminal.name}: the Secure Element is not present`);
    let atr: Uint8Array | undefined;
    try {
      atr = terminal.atr();
    } catch (e) {
      throw new DeviceError('ERR_DEVICE_TRANSPORT', `${terminal.name}: the Secure Element cannot be reached`, { cause: e });
    }
    await Promise.resolve(); // a session is set up asynchronously, as over the platform's binder
    this.#connected();
    const session = new Session({
      reader: this, port: this.#port, atr: atr?.slice(), uiccBasicChannel: this.#uiccBasicChannel,
      onClose: (s) => this.#sessions.delete(s),
    });
    this.#sessions.add(session);
    return session;
  }

  /** Closes every session opened on this reader, and so all their channels; it never throws. */
  async closeSessions(): Promise<void> {
    await Promise.all([...this.#sessions].map((s) => s.close()));
  }

  #connected(): void {
    if (!this.#service.isConnected()) throw new DeviceError('ERR_DEVICE_ILLEGAL_STATE', 'the SE service is not connected');
  }
}
