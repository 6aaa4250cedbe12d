/**
 * Puts a virtual card into a real PC/SC stack: pcscd's vpcd driver (vsmartcard) listens on TCP, the
 * card process connects to it, and every PC/SC application (opensc-tool, GlobalPlatformPro, a
 * browser) then sees a card in the reader "Virtual PCD 00 00". Wire format: vsmartcard api.txt.
 */
import { createConnection, type Socket } from 'node:net';
import { assertBytes, assertInt } from '../../bytes/index.ts';
import type { CardPort } from '../runtime/card-port.ts';
import { logVpcdEvent, type VpcdBridgeEvent, type VpcdFault } from './vpcd-events.ts';
import { encodeVpcdFrame, VPCD_CTRL, VPCD_MAX_PAYLOAD, VpcdFrameReader } from './vpcd-frame.ts';

/** Port of the first vpcd reader ("Virtual PCD 00 00") in vsmartcard's default reader.conf. */
export const VPCD_DEFAULT_PORT = 35963;

/** Where and how the bridge connects; every field has a default. */
export interface VpcdBridgeOptions {
  /** pcscd's host (default 127.0.0.1). The link is plain TCP carrying every APDU: keep it on loopback. */
  readonly host?: string;
  /** The vpcd reader's port (default 35963, reader "Virtual PCD 00 00"; 35964 is "… 00 01"). */
  readonly port?: number;
  /** First reconnect delay after a failed attempt (default 100 ms); doubles up to `reconnectMaxMs`. */
  readonly reconnectMinMs?: number;
  /** Longest reconnect delay (default 2000 ms: pcscd polls the reader about once a second). */
  readonly reconnectMaxMs?: number;
  /** An incomplete frame older than this drops the connection (default 5000 ms). */
  readonly frameTimeoutMs?: number;
  /** Longest payload accepted from pcscd (default and maximum 65535, all a 2-byte length can say). */
  readonly maxCommandLength?: number;
  /** Event sink (default: {@link logVpcdEvent}, one line on stderr per connection change or fault). */
  readonly onEvent?: (event: VpcdBridgeEvent) => void;
}

/** Counters for tests and status displays. */
export interface VpcdBridgeStats {
  /** Connections established to pcscd. */
  readonly connections: number;
  /** Command APDUs answered. */
  readonly commands: number;
  /** Frames or connections dropped as hostile or garbled. */
  readonly protocolErrors: number;
}

const SW_NO_PRECISE_DIAGNOSIS = Uint8Array.of(0x6f, 0x00);

/**
 * A TCP client of pcscd's vpcd driver that answers the driver's requests from a {@link CardPort}.
 * It reconnects with exponential backoff when pcscd is absent or restarts, drops a connection
 * that sends a garbled frame (and reconnects), and never throws from a socket callback.
 * @example
 * const bridge = new VpcdBridge(cardOs, { port: 35963 });
 * bridge.start();
 * // … opensc-tool -r 0 -a …
 * await bridge.close();
 */
export class VpcdBridge {
  readonly #card: CardPort;
  readonly #host: string;
  readonly #port: number;
  readonly #minDelay: number;
  readonly #maxDelay: number;
  readonly #frameTimeout: number;
  readonly #maxCommand: number;
  readonly #emit: (event: VpcdBridgeEvent) => void;
  #socket: Socket | undefined;
  #reader: VpcdFrameReader | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #frameTimer: NodeJS.Timeout | undefined;
  #failures = 0;
  #dropped: string | undefined;
  #started = false;
  #closing: Promise<void> | undefined;
  #powered = false;
  #stats = { connections: 0, commands: 0, protocolErrors: 0 };

  constructor(card: CardPort, options: VpcdBridgeOptions = {}) {
    assertBytes(card.atr, undefined, 'card ATR');
    assertInt(card.atr.length, 2, 33, 'card ATR length'); // ISO 7816-3 §8.1: TS, T0 and at most 31 more
    this.#card = card;
    this.#host = options.host ?? '127.0.0.1';
    this.#port = options.port ?? VPCD_DEFAULT_PORT;
    this.#minDelay = options.reconnectMinMs ?? 100;
    this.#maxDelay = options.reconnectMaxMs ?? 2000;
    this.#frameTimeout = options.frameTimeoutMs ?? 5000;
    this.#maxCommand = options.maxCommandLength ?? VPCD_MAX_PAYLOAD;
    assertInt(this.#port, 1, 65535, 'vpcd port');
    assertInt(this.#minDelay, 1, 60_000, 'reconnectMinMs');
    assertInt(this.#maxDelay, this.#minDelay, 600_000, 'reconnectMaxMs');
    assertInt(this.#frameTimeout, 1, 600_000, 'frameTimeoutMs');
    assertInt(this.#maxCommand, 5, VPCD_MAX_PAYLOAD, 'maxCommandLength');
    const sink = options.onEvent ?? logVpcdEvent;
    this.#emit = (event) => {
      try {
        sink(Object.freeze(event));
      } catch {
        // a failing event sink must not take the card offline
      }
    };
  }

  /** True while a TCP connection to pcscd is open. */
  get connected(): boolean {
    return this.#socket !== undefined && this.#reader !== undefined;
  }

  /** Whether pcscd has powered the card on (VPCD_CTRL.ON or RESET since the last OFF). */
  get powered(): boolean {
    return this.#powered;
  }

  /** A snapshot of the counters. */
  get stats(): VpcdBridgeStats {
    return { ...this.#stats };
  }

  /** Starts connecting (and keeps reconnecting until {@link close}). Calling it again does nothing. */
  start(): void {
    if (this.#started || this.#closing !== undefined) return;
    this.#started = true;
    this.#connect();
  }

  /** Stops reconnecting and closes the connection; resolves once the socket is closed. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      clearTimeout(this.#retryTimer);
      this.#clearFrameTimer();
      const socket = this.#socket;
      const done = (): void => {
        this.#emit({ kind: 'closed' });
        resolve();
      };
      if (socket === undefined || socket.destroyed) {
        done();
        return;
      }
      socket.once('close', done);
      socket.destroy();
    });
    return this.#closing;
  }

  #connect(): void {
    const socket = createConnection({ host: this.#host, port: this.#port });
    this.#socket = socket;
    let lastError = 'connection closed';
    socket.on('connect', () => {
      socket.setNoDelay(true);
      this.#failures = 0;
      this.#powered = false;
      this.#reader = new VpcdFrameReader(this.#maxCommand);
      this.#stats.connections++;
      this.#emit({ kind: 'connected', host: this.#host, port: this.#port });
    });
    socket.on('data', (chunk: Buffer) => this.#onData(socket, chunk));
    socket.on('error', (e: Error) => {
      lastError = e.message;
    });
    socket.on('close', () => this.#onClose(lastError));
  }

  #onData(socket: Socket, chunk: Buffer): void {
    const reader = this.#reader;
    if (reader === undefined || socket !== this.#socket || socket.destroyed) return;
    const { frames, fault } = reader.push(chunk);
    for (const frame of frames) {
      if (socket.destroyed) return;
      this.#handleFrame(socket, frame);
    }
    if (fault !== undefined) {
      this.#drop(socket, fault.kind, `announced length ${fault.length}`);
      return;
    }
    if (reader.buffered === 0) {
      this.#clearFrameTimer();
    } else if (this.#frameTimer === undefined) {
      this.#frameTimer = setTimeout(() => {
        this.#frameTimer = undefined;
        this.#drop(socket, 'frame-timeout', `frame incomplete after ${this.#frameTimeout} ms (${reader.buffered} bytes)`);
      }, this.#frameTimeout);
    }
  }

  #onClose(lastError: string): void {
    const reader = this.#reader;
    const dropped = this.#dropped;
    this.#socket = undefined;
    this.#reader = undefined;
    this.#dropped = undefined;
    this.#powered = false;
    this.#clearFrameTimer();
    if (reader !== undefined) {
      if (dropped === undefined && reader.buffered > 0) {
        this.#fault('truncated-frame', `peer closed with ${reader.buffered} bytes of an incomplete frame`);
      }
      this.#emit({ kind: 'disconnected', reason: dropped ?? (this.#closing !== undefined ? 'closed' : lastError) });
    }
    if (this.#closing !== undefined) return;
    // after a working connection, come back at once; after failed attempts, back off exponentially
    let delay = this.#minDelay;
    if (reader === undefined) {
      this.#failures++;
      delay = Math.min(this.#maxDelay, this.#minDelay * 2 ** Math.min(this.#failures - 1, 20));
      this.#emit({ kind: 'retry', attempt: this.#failures, delayMs: delay, error: lastError });
    }
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      if (this.#closing === undefined) this.#connect();
    }, delay);
  }

  /** vsmartcard api.txt: a 1-byte payload is a control, anything longer a command APDU. */
  #handleFrame(socket: Socket, payload: Uint8Array): void {
    if (payload.length > 1) {
      this.#stats.commands++;
      this.#send(socket, this.#process(payload));
      return;
    }
    const control = payload[0]!;
    switch (control) {
      case VPCD_CTRL.OFF:
        this.#powered = false;
        return;
      case VPCD_CTRL.ON:
      case VPCD_CTRL.RESET:
        this.#reset();
        this.#powered = true;
        return;
      case VPCD_CTRL.ATR: {
        const atr = this.#card.atr;
        if (atr.length < 2 || atr.length > 33) this.#fault('bad-atr', `ATR of ${atr.length} bytes`);
        else this.#send(socket, atr);
        return;
      }
      default:
        this.#fault('unknown-control', `control byte ${control.toString(16).padStart(2, '0')}`);
    }
  }

  #process(command: Uint8Array): Uint8Array {
    let response: unknown;
    try {
      response = this.#card.process(command);
    } catch (e) {
      this.#fault('card-error', e instanceof Error ? e.name : typeof e);
      return SW_NO_PRECISE_DIAGNOSIS;
    }
    if (!(response instanceof Uint8Array) || response.length < 2 || response.length > VPCD_MAX_PAYLOAD) {
      const what = response instanceof Uint8Array ? `${response.length} bytes` : typeof response;
      this.#fault('bad-response', `card answered ${what}`);
      return SW_NO_PRECISE_DIAGNOSIS;
    }
    return response;
  }

  #reset(): void {
    try {
      this.#card.reset();
    } catch (e) {
      this.#fault('card-error', `reset: ${e instanceof Error ? e.name : typeof e}`);
    }
  }

  #send(socket: Socket, payload: Uint8Array): void {
    // back-pressure: stop reading while the kernel buffer is full, so a flood cannot grow memory
    if (!socket.write(encodeVpcdFrame(payload)) && !socket.isPaused()) {
      socket.pause();
      socket.once('drain', () => socket.resume());
    }
  }

  #drop(socket: Socket, fault: VpcdFault, detail: string): void {
    this.#fault(fault, detail);
    this.#dropped = `dropped after ${fault}`;
    socket.destroy();
  }

  #fault(fault: VpcdFault, detail: string): void {
    this.#stats.protocolErrors++;
    this.#emit({ kind: 'protocol-error', fault, detail });
  }

  #clearFrameTimer(): void {
    clearTimeout(this.#frameTimer);
    this.#frameTimer = undefined;
  }
}
