/**
 * One phone's live relay connection (docs/relay.md §4): batches go out one at a time, in order; a
 * bounded queue holds the rest. A disconnect, a replacement, a timeout or a protocol violation ends
 * the connection and rejects every pending batch with `ERR_TSM_UNREACHABLE` — the card's state after
 * an unanswered batch is unknown and the secure channel above is lost, so nothing is retried here.
 */
import type { RawData, WebSocket } from 'ws';
import { checkRelayAnswer, decodeRelayFrame, encodeRelayFrame, relayApdusFrame, RELAY_LIMITS, type RelayApdusFrame } from '../../apdu/index.ts';
import { TsmError } from '../errors.ts';

/** The log lines the relay writes (pino's signature); never APDU data, never a token. */
export interface RelayLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

/** WebSocket close codes the TSM uses (RFC 6455 §7.4: 4000–4999 are private). */
export const RELAY_CLOSE = Object.freeze({
  shutdown: 1001,
  protocol: 1008,
  busy: 1013,
  replaced: 4000,
  timeout: 4001,
});

export interface ConnectionOptions {
  readonly batchTimeoutMs: number;
  readonly maxQueuedBatches: number;
  readonly logger: RelayLogger | undefined;
  /** Called once when the connection has ended. */
  readonly onEnd: (connection: RelayConnection) => void;
}

interface Pending {
  readonly frame: RelayApdusFrame;
  /** The frame's JSON text, encoded (and size-checked) before it is queued. */
  readonly text: string;
  readonly resolve: (responses: Uint8Array[]) => void;
  readonly reject: (error: unknown) => void;
}

/** A phone's WebSocket, seen as a queue of APDU batches. */
export class RelayConnection {
  readonly seId: string;
  readonly #socket: WebSocket;
  readonly #options: ConnectionOptions;
  readonly #queue: Pending[] = [];
  #inFlight: Pending | undefined;
  #timer: NodeJS.Timeout | undefined;
  #nextId = 1;
  #ended = false;
  /** Set by any traffic and by a pong; the hub's heartbeat clears it before each ping. */
  alive = true;

  constructor(seId: string, socket: WebSocket, options: ConnectionOptions) {
    this.seId = seId;
    this.#socket = socket;
    this.#options = options;
    socket.on('message', (data, isBinary) => this.#onMessage(data, isBinary));
    socket.on('pong', () => void (this.alive = true));
    socket.on('close', () => this.#end('disconnected'));
    socket.on('error', (e) => this.#options.logger?.warn({ seId, err: e.message }, 'relay: socket error'));
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Sends a batch; resolves with one response per command executed. */
  send(commands: readonly Uint8Array[], stopOnError: boolean): Promise<Uint8Array[]> {
    if (this.#ended) return Promise.reject(unreachable(this.seId, 'is not connected'));
    if (this.#queue.length >= this.#options.maxQueuedBatches) {
      return Promise.reject(new TsmError('ERR_TSM_STATE', `relay: more than ${this.#options.maxQueuedBatches} batches queued for SE ${this.seId}`));
    }
    let frame: RelayApdusFrame;
    let text: string;
    try {
      frame = relayApdusFrame(this.#nextId, commands, stopOnError);
      text = encodeRelayFrame(frame); // over 256 KiB: refused here, before anything is queued
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    this.#nextId = this.#nextId >= RELAY_LIMITS.maxId ? 1 : this.#nextId + 1;
    return new Promise((resolve, reject) => {
      this.#queue.push({ frame, text, resolve, reject });
      this.#pump();
    });
  }

  /** Sends a WebSocket ping (heartbeat). */
  ping(): void {
    if (!this.#ended) this.#socket.ping();
  }

  /** Ends the connection: pending batches fail, the socket closes with `code`. */
  close(code: number, reason: string): void {
    this.#end(reason);
    if (this.#socket.readyState === this.#socket.OPEN || this.#socket.readyState === this.#socket.CONNECTING) {
      this.#socket.close(code, reason);
      // a peer that never answers the close handshake is cut off
      setTimeout(() => this.#socket.terminate(), 2000).unref();
    }
  }

  /** Drops the TCP connection at once (no pong, shutdown). */
  terminate(reason: string): void {
    this.#end(reason);
    this.#socket.terminate();
  }

  #pump(): void {
    if (this.#ended || this.#inFlight !== undefined) return;
    const next = this.#queue.shift();
    if (next === undefined) return;
    this.#inFlight = next;
    this.#timer = setTimeout(() => this.close(RELAY_CLOSE.timeout, `did not answer within ${this.#options.batchTimeoutMs} ms`), this.#options.batchTimeoutMs);
    this.#timer.unref();
    this.#socket.send(next.text, (e) => {
      if (e !== undefined && e !== null) this.terminate('send failed');
    });
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    this.alive = true;
    try {
      if (isBinary) throw new TsmError('ERR_TSM_REQUEST', 'relay: binary frame (the relay speaks JSON text)');
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      const frame = decodeRelayFrame(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length));
      const pending = this.#inFlight;
      if (frame.kind !== 'responses') throw new TsmError('ERR_TSM_REQUEST', 'relay: the phone sent an apdus frame');
      if (pending === undefined) throw new TsmError('ERR_TSM_REQUEST', `relay: responses ${frame.id} with no batch in flight`);
      checkRelayAnswer(pending.frame, frame);
      clearTimeout(this.#timer);
      this.#inFlight = undefined;
      pending.resolve(frame.responses.map((r) => r.slice()));
      this.#pump();
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      this.#options.logger?.warn({ seId: this.seId, code }, 'relay: protocol violation by the phone; closing');
      this.#fail('broke the relay protocol', e);
      this.close(RELAY_CLOSE.protocol, 'protocol error');
    }
  }

  #fail(reason: string, cause?: unknown): void {
    const pending = this.#inFlight === undefined ? this.#queue.splice(0) : [this.#inFlight, ...this.#queue.splice(0)];
    this.#inFlight = undefined;
    clearTimeout(this.#timer);
    for (const p of pending) p.reject(unreachable(this.seId, reason, cause));
  }

  #end(reason: string): void {
    if (this.#ended) return;
    this.#fail(reason);
    this.#ended = true;
    this.#options.logger?.info({ seId: this.seId, reason }, 'relay: connection ended');
    this.#options.onEnd(this);
  }
}

function unreachable(seId: string, reason: string, cause?: unknown): TsmError {
  return new TsmError('ERR_TSM_UNREACHABLE', `relay: SE ${seId} ${reason}`, cause === undefined ? undefined : { cause });
}
