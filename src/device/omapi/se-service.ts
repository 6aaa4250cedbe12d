/**
 * The OMAPI entry point (android.se.omapi.SEService; SIMalliance OMAPI v3) for one device app over
 * the phone's SE terminals. It connects asynchronously, like the platform binding it models: every
 * call before the connection completes, or after {@link SEService.shutdown}, is
 * ERR_DEVICE_ILLEGAL_STATE. Every channel it opens is gated by the access-control enforcer.
 */
import type { AccessControlEnforcer, DeviceApp } from '../access-control/access-decision.ts';
import { DeviceError } from '../errors.ts';
import type { SeTerminal } from '../terminal.ts';
import { Reader } from './reader.ts';

/** android.se.omapi SEService.getVersion (Android 11 and later). */
const OMAPI_VERSION = '3.3';

export interface SEServiceOptions {
  /** The phone's SE slots, in the order getReaders lists them; names unique. */
  readonly terminals: readonly SeTerminal[];
  /** The phone's access-control enforcer (GP SEAC §4). */
  readonly enforcer: AccessControlEnforcer;
  /** The calling app: its package name and signing certificates. */
  readonly app: DeviceApp;
  /** The app may open the basic channel of a UICC (carrier privilege or a system app). Default false. */
  readonly uiccBasicChannel?: boolean;
  /** Called once the service is connected (android.se.omapi SEService.OnConnectedListener). */
  readonly onConnected?: () => void;
}

type State = 'connecting' | 'connected' | 'shut';

/** One app's Open Mobile API service: its readers, and the connection every other object checks. */
export class SEService {
  readonly enforcer: AccessControlEnforcer;
  readonly app: DeviceApp;
  /** Resolves when the service is connected; rejects (ILLEGAL_STATE) if it is shut down first. */
  readonly connected: Promise<void>;
  readonly #readers: readonly Reader[];
  #state: State = 'connecting';

  /**
   * Starts connecting; the service is usable from the next turn of the event loop.
   * @example const se = new SEService({ terminals, enforcer, app }); await se.connected;
   */
  constructor(options: SEServiceOptions) {
    const { terminals, enforcer, app } = options;
    const list: unknown = terminals;
    if (!Array.isArray(list)) throw new DeviceError('ERR_DEVICE_PARAM', 'SEService: terminals must be an array');
    const names = new Set(terminals.map((t) => t.name));
    if (names.size !== terminals.length) throw new DeviceError('ERR_DEVICE_PARAM', 'SEService: terminal names must be unique');
    if (typeof enforcer?.decide !== 'function') throw new DeviceError('ERR_DEVICE_PARAM', 'SEService: an access-control enforcer is required');
    if (typeof app?.packageName !== 'string' || !Array.isArray(app.certificates)) throw new DeviceError('ERR_DEVICE_PARAM', 'SEService: the calling app is required');
    this.enforcer = enforcer;
    this.app = app;
    const uiccBasicChannel = options.uiccBasicChannel === true;
    this.#readers = Object.freeze(terminals.map((t) => new Reader(this, t, { uiccBasicChannel })));
    this.connected = new Promise<void>((resolve, reject) => {
      setImmediate(() => {
        if (this.#state !== 'connecting') {
          reject(new DeviceError('ERR_DEVICE_ILLEGAL_STATE', 'the SE service was shut down before it connected'));
          return;
        }
        this.#state = 'connected';
        resolve();
        options.onConnected?.();
      });
    });
    this.connected.catch(() => undefined); // a caller that never awaits it must not see an unhandled rejection
  }

  /** Whether the service is connected (false before the connection completes and after shutdown). */
  isConnected(): boolean {
    return this.#state === 'connected';
  }

  /** Every reader, whether or not an SE is present in it (android.se.omapi SEService.getReaders). */
  getReaders(): Reader[] {
    this.#connected();
    return [...this.#readers];
  }

  /**
   * The reader of UICC slot `slot` (1-based): `SIM<slot>` (android.se.omapi SEService.getUiccReader,
   * API 30). ILLEGAL_ARGUMENT when the slot is below 1 or has no reader.
   */
  getUiccReader(slot: number): Reader {
    this.#connected();
    if (!Number.isInteger(slot) || slot < 1) throw new DeviceError('ERR_DEVICE_ILLEGAL_ARGUMENT', 'UICC slot: 1 or more');
    const reader = this.#readers.find((r) => r.getName() === `SIM${slot}`);
    if (reader === undefined) throw new DeviceError('ERR_DEVICE_ILLEGAL_ARGUMENT', `no reader SIM${slot}`);
    return reader;
  }

  /** The OMAPI specification version this implementation follows. */
  getVersion(): string {
    this.#connected();
    return OMAPI_VERSION;
  }

  /**
   * Closes every session and channel of this service and disconnects it: from the call on,
   * {@link isConnected} is false and every other call is ILLEGAL_STATE. Never throws.
   */
  async shutdown(): Promise<void> {
    const wasConnected = this.#state === 'connected';
    this.#state = 'shut';
    if (wasConnected) await Promise.all(this.#readers.map((r) => r.closeSessions()));
  }

  #connected(): void {
    if (this.#state !== 'connected') {
      throw new DeviceError('ERR_DEVICE_ILLEGAL_STATE', this.#state === 'shut' ? 'the SE service is shut down' : 'the SE service is not connected yet');
    }
  }
}
