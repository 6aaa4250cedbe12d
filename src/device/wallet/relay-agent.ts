/**
 * The phone's relay agent (docs/relay.md §5): keeps a WebSocket (RFC 6455) to the TSM's wallet relay,
 * runs each APDU batch on its card in order and answers with the responses. It reconnects with
 * bounded, jittered exponential backoff, and nothing the server sends can throw out of the event
 * loop: a bad frame ends the connection with 1008 and a `failure` event.
 */
import { EventEmitter } from 'node:events';
import { WebSocket, type RawData } from 'ws';
import { decodeRelayFrame, encodeRelayFrame, runRelayBatch, RELAY_LIMITS, type ApduTransport, type RelayApdusFrame } from '../../apdu/index.ts';
import { DeviceError } from '../errors.ts';

/** Reconnection policy: delay = random in [d/2, d] with d = min(maxDelayMs, minDelayMs · 2^attempt). */
export interface RelayReconnectOptions {
  /** First delay (default 500 ms). */
  readonly minDelayMs?: number;
  /** Largest delay (default 30 000 ms). */
  readonly maxDelayMs?: number;
  /** Failed attempts in a row before the agent gives up and stops (default: never). */
  readonly maxAttempts?: number;
}

export interface RelayAgentOptions {
  /** `ws://` or `wss://` URL of the relay, e.g. `wss://tsm.example/v1/relay`. */
  readonly url: string;
  readonly seId: string;
  /** The device token the TSM issued for `seId` (RelayTokens.issue). */
  readonly token: string;
  /** The phone's connection to its SE (Open Mobile API channel, virtual SE…). */
  readonly card: ApduTransport;
  /** Trusted CA certificate(s), PEM, for a `wss://` server with a private CA. */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** Reconnection policy, or false to stay down after the first disconnect. */
  readonly reconnect?: RelayReconnectOptions | false;
  /** Drop a connection that carried no frame and no ping for this long (default 45 000 ms: two heartbeats). */
  readonly idleTimeoutMs?: number;
}

/** Events: `connected`; `disconnected` (code, reason); `failure` (DeviceError); `stopped`. */
export interface RelayAgentEvents {
  connected: [];
  disconnected: [code: number, reason: string];
  failure: [error: DeviceError];
  stopped: [];
}

/** The close code of a connection the TSM replaced by a newer one for the same SE (tsm/relay RELAY_CLOSE.replaced). */
const REPLACED = 4000;

/** Batches queued on the phone behind the one running (the TSM sends one at a time). */
const MAX_QUEUED = 4;

/** A phone's agent for the wallet relay. */
export class RelayAgent extends EventEmitter<RelayAgentEvents> {
  readonly #options: RelayAgentOptions;
  readonly #reconnect: Required<RelayReconnectOptions> | false;
  #socket: WebSocket | undefined;
  #running = false;
  #attempts = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  #queued = 0;
  #chain: Promise<void> = Promise.resolve();

  constructor(options: RelayAgentOptions) {
    super();
    if (typeof options.url !== 'string' || !/^wss?:\/\//.test(options.url)) throw new DeviceError('ERR_DEVICE_PARAM', 'relay agent url: expected ws:// or wss://');
    if (typeof options.seId !== 'string' || !/^[\x21-\x7e]{1,64}$/.test(options.seId)) throw new DeviceError('ERR_DEVICE_PARAM', 'relay agent seId: expected 1-64 printable ASCII characters');
    if (typeof options.token !== 'string' || !/^[A-Za-z0-9_-]{1,128}$/.test(options.token)) throw new DeviceError('ERR_DEVICE_PARAM', 'relay agent token: expected base64url');
    this.#options = options;
    this.#reconnect = options.reconnect === false ? false : { minDelayMs: 500, maxDelayMs: 30_000, maxAttempts: Number.POSITIVE_INFINITY, ...options.reconnect };
  }

  /** Whether a relay connection is open now. */
  get connected(): boolean {
    return this.#socket?.readyState === WebSocket.OPEN;
  }

  /** Connects (and keeps reconnecting) until {@link stop}. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#attempts = 0;
    this.#open();
  }

  /** Closes the connection and stops reconnecting; resolves once the socket is closed. */
  stop(): Promise<void> {
    const wasRunning = this.#running;
    this.#running = false;
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#idleTimer);
    const socket = this.#socket;
    const done = new Promise<void>((resolve) => {
      if (socket === undefined || socket.readyState === WebSocket.CLOSED) return resolve();
      socket.once('close', () => resolve());
      if (socket.readyState === WebSocket.CONNECTING) socket.terminate();
      else socket.close(1000, 'agent stopped');
      setTimeout(() => socket.terminate(), 2000).unref();
    });
    return done.then(() => {
      if (wasRunning) this.emit('stopped');
    });
  }

  #open(): void {
    const { url, seId, token, ca } = this.#options;
    const socket = new WebSocket(url, {
      headers: { authorization: `Bearer ${seId}.${token}` },
      maxPayload: RELAY_LIMITS.maxFrameBytes,
      perMessageDeflate: false,
      handshakeTimeout: 10_000,
      ...(ca === undefined ? {} : { ca: ca as string | Buffer | (string | Buffer)[] }),
    });
    this.#socket = socket;
    this.#queued = 0;
    let opened = false;
    socket.on('open', () => {
      opened = true;
      this.#attempts = 0;
      this.#touch(socket);
      this.emit('connected');
    });
    socket.on('ping', () => this.#touch(socket));
    socket.on('message', (data, isBinary) => this.#onMessage(socket, data, isBinary));
    socket.on('error', (e) => {
      if (this.#running) this.#fail('the relay connection failed', e); // after stop(), a cut handshake is expected
    });
    socket.on('close', (code, reason) => {
      clearTimeout(this.#idleTimer);
      if (this.#socket === socket) this.#socket = undefined;
      if (opened) this.emit('disconnected', code, reason.toString('utf8'));
      if (code === REPLACED && this.#running) {
        // another connection for this SE took over (docs/relay.md §5): reconnecting would only start a tug of war
        this.#running = false;
        this.#fail('another connection for this SE replaced this one; stopped');
        this.emit('stopped');
        return;
      }
      this.#scheduleReconnect();
    });
  }

  #touch(socket: WebSocket): void {
    clearTimeout(this.#idleTimer);
    const idle = this.#options.idleTimeoutMs ?? 45_000;
    this.#idleTimer = setTimeout(() => {
      this.#fail(`no frame or ping from the relay for ${idle} ms`);
      socket.terminate();
    }, idle);
    this.#idleTimer.unref();
  }

  #onMessage(socket: WebSocket, data: RawData, isBinary: boolean): void {
    this.#touch(socket);
    let frame: RelayApdusFrame;
    try {
      if (isBinary) throw new DeviceError('ERR_DEVICE_TRANSPORT', 'relay: binary frame');
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      const decoded = decodeRelayFrame(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length));
      if (decoded.kind !== 'apdus') throw new DeviceError('ERR_DEVICE_TRANSPORT', 'relay: the server sent a responses frame');
      if (this.#queued >= MAX_QUEUED) throw new DeviceError('ERR_DEVICE_TRANSPORT', `relay: more than ${MAX_QUEUED} batches queued`);
      frame = decoded;
    } catch (e) {
      this.#fail('the relay sent an invalid frame', e);
      socket.close(1008, 'protocol error');
      return;
    }
    this.#queued++;
    this.#chain = this.#chain.then(() => this.#run(socket, frame)).catch(() => undefined);
  }

  async #run(socket: WebSocket, frame: RelayApdusFrame): Promise<void> {
    this.#queued--;
    if (socket.readyState !== WebSocket.OPEN) return; // the batch belongs to a connection that is gone
    let answer: string;
    try {
      answer = encodeRelayFrame(await runRelayBatch(this.#options.card, frame));
    } catch (e) {
      this.#fail('the card failed during a relay batch', e);
      if (socket.readyState === WebSocket.OPEN) socket.close(1011, 'card failed');
      return;
    }
    if (socket.readyState === WebSocket.OPEN) socket.send(answer);
  }

  #scheduleReconnect(): void {
    if (!this.#running) return;
    const policy = this.#reconnect;
    if (policy === false || this.#attempts >= policy.maxAttempts) {
      this.#running = false;
      this.#fail(policy === false ? 'disconnected; reconnect is off' : `gave up after ${this.#attempts} attempts`);
      this.emit('stopped');
      return;
    }
    const ceiling = Math.min(policy.maxDelayMs, policy.minDelayMs * 2 ** Math.min(this.#attempts, 30));
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.#attempts++;
    this.#retryTimer = setTimeout(() => {
      if (this.#running) this.#open();
    }, delay);
  }

  #fail(message: string, cause?: unknown): void {
    const error = new DeviceError('ERR_DEVICE_TRANSPORT', `relay agent: ${message}`, cause === undefined ? undefined : { cause });
    this.emit('failure', error);
  }
}
