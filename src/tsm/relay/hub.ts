/**
 * The wallet relay as a {@link CardBearer} (docs/relay.md §4): one live connection per SE, a newer
 * authenticated connection replacing an older one; `connect(seId)` gives a transport bound to the
 * connection of that moment, so a transport never silently moves to a newer connection (whose card
 * session starts afresh).
 */
import type { WebSocket } from 'ws';
import type { ApduTransport } from '../../apdu/index.ts';
import { TsmError } from '../errors.ts';
import type { CardBearer } from '../model.ts';
import { RELAY_CLOSE, RelayConnection, type RelayLogger } from './connection.ts';

/** Tuning of a {@link RelayHub}; every field has a default. */
export interface RelayHubOptions {
  /** How long a batch may wait for its responses before the connection is dropped (default 15 000 ms). */
  readonly batchTimeoutMs?: number;
  /** Heartbeat: a ping this often; a connection with no traffic or pong since the last one is dropped (default 20 000 ms). */
  readonly pingIntervalMs?: number;
  /** Batches waiting behind the one in flight, per SE (default 32). */
  readonly maxQueuedBatches?: number;
  /** Most connected SEs; a connection beyond it is closed with 1013 (default 100 000). */
  readonly maxConnections?: number;
  readonly logger?: RelayLogger;
}

/** A transport over the relay: one APDU per `transmit`, or many per `transmitBatch`. */
export interface RelayTransport extends ApduTransport {
  readonly seId: string;
  /** Whether the connection this transport is bound to is still up. */
  readonly connected: boolean;
  /**
   * Sends `commands` as one batch; resolves with one response per command executed. With
   * `stopOnError` (default true) the phone stops after a status word `continuesBatch` refuses.
   */
  transmitBatch(commands: readonly Uint8Array[], options?: { readonly stopOnError?: boolean }): Promise<Uint8Array[]>;
}

/** The relay's SE connections; a {@link CardBearer} for jobs. */
export class RelayHub implements CardBearer {
  readonly #connections = new Map<string, RelayConnection>();
  readonly #listeners = new Set<(seId: string) => void>();
  readonly #options: Required<Omit<RelayHubOptions, 'logger'>> & { readonly logger: RelayLogger | undefined };
  readonly #heartbeat: NodeJS.Timeout;
  #closed = false;

  constructor(options: RelayHubOptions = {}) {
    this.#options = {
      batchTimeoutMs: positive(options.batchTimeoutMs ?? 15_000, 'batchTimeoutMs'),
      pingIntervalMs: positive(options.pingIntervalMs ?? 20_000, 'pingIntervalMs'),
      maxQueuedBatches: positive(options.maxQueuedBatches ?? 32, 'maxQueuedBatches'),
      maxConnections: positive(options.maxConnections ?? 100_000, 'maxConnections'),
      logger: options.logger,
    };
    this.#heartbeat = setInterval(() => this.#beat(), this.#options.pingIntervalMs);
    this.#heartbeat.unref();
  }

  /** How many SEs are connected now. */
  get size(): number {
    return this.#connections.size;
  }

  /** Whether `seId` has a live connection. */
  isConnected(seId: string): boolean {
    return this.#connections.has(seId);
  }

  connect(seId: string): RelayTransport | undefined {
    const connection = this.#connections.get(seId);
    if (connection === undefined) return undefined;
    return {
      seId,
      get connected() {
        return !connection.ended;
      },
      transmit: async (command) => {
        const [response] = await connection.send([command], true);
        return response!;
      },
      transmitBatch: (commands, options) => connection.send(commands, options?.stopOnError ?? true),
    };
  }

  onReachable(listener: (seId: string) => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /**
   * Takes an authenticated phone's socket for `seId` (attachRelay calls it after the token check):
   * the SE's older connection, if any, is closed and its pending batches fail; listeners hear
   * `onReachable(seId)`.
   */
  accept(seId: string, socket: WebSocket): void {
    const previous = this.#connections.get(seId);
    if (this.#closed || (previous === undefined && this.#connections.size >= this.#options.maxConnections)) {
      socket.close(this.#closed ? RELAY_CLOSE.shutdown : RELAY_CLOSE.busy, this.#closed ? 'shutting down' : 'too many connections');
      return;
    }
    previous?.close(RELAY_CLOSE.replaced, 'was replaced by a newer connection');
    const connection = new RelayConnection(seId, socket, {
      batchTimeoutMs: this.#options.batchTimeoutMs,
      maxQueuedBatches: this.#options.maxQueuedBatches,
      logger: this.#options.logger,
      onEnd: (c) => {
        if (this.#connections.get(c.seId) === c) this.#connections.delete(c.seId);
      },
    });
    this.#connections.set(seId, connection);
    this.#options.logger?.info({ seId, replaced: previous !== undefined }, 'relay: SE connected');
    for (const listener of [...this.#listeners]) {
      try {
        listener(seId);
      } catch (e) {
        this.#options.logger?.warn({ seId, err: e instanceof Error ? e.message : String(e) }, 'relay: an onReachable listener threw');
      }
    }
  }

  /** Closes every connection (pending batches fail with ERR_TSM_UNREACHABLE) and stops the heartbeat. */
  close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#heartbeat);
    for (const connection of [...this.#connections.values()]) connection.close(RELAY_CLOSE.shutdown, 'relay shutting down');
    this.#connections.clear();
    return Promise.resolve();
  }

  #beat(): void {
    for (const connection of [...this.#connections.values()]) {
      if (!connection.alive) {
        connection.terminate('did not answer the heartbeat');
        continue;
      }
      connection.alive = false;
      connection.ping();
    }
  }
}

function positive(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new TsmError('ERR_TSM_CONFIG', `relay: ${name}: expected a positive integer`);
  return value;
}
