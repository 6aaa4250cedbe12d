/**
 * A fake of pcscd's vpcd driver for unit tests of the bridge: a TCP server on a loopback port that
 * speaks the vsmartcard framing (2-byte big-endian length, payload) to the card process.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { once } from 'node:events';

/** Resolves when `check()` holds, polling every 5 ms; rejects after `ms`. */
export async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Rejects after `ms` unless `promise` settles first. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** One accepted connection from the bridge, with its received bytes split into frames. */
export class VpcdPeer {
  readonly socket: Socket;
  readonly frames: Uint8Array[] = [];
  closed = false;
  #pending = new Uint8Array(0);

  constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
    });
  }

  /** Writes raw bytes (a frame, a broken frame, garbage). */
  raw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Sends one framed payload. */
  send(payload: Uint8Array): void {
    if (payload.length > 0xffff) throw new RangeError(`a vpcd payload has at most 65535 bytes, not ${payload.length}`);
    const frame = new Uint8Array(2 + payload.length);
    frame[0] = payload.length >> 8;
    frame[1] = payload.length & 0xff;
    frame.set(payload, 2);
    this.raw(frame);
  }

  /** Sends one framed payload and resolves with the next frame the bridge sends back. */
  async request(payload: Uint8Array, ms = 2000): Promise<Uint8Array> {
    const before = this.frames.length;
    this.send(payload);
    await until(() => this.frames.length > before || this.closed, ms, 'a reply frame');
    const reply = this.frames[before];
    if (reply === undefined) throw new Error('connection closed before a reply');
    return reply;
  }

  /** Resolves when the bridge has closed this connection. */
  async whenClosed(ms = 2000): Promise<void> {
    await until(() => this.closed, ms, 'the bridge to close the connection');
  }

  #onData(chunk: Buffer): void {
    const data = new Uint8Array(this.#pending.length + chunk.length);
    data.set(this.#pending);
    data.set(chunk, this.#pending.length);
    let at = 0;
    while (data.length - at >= 2) {
      const length = (data[at]! << 8) | data[at + 1]!;
      if (data.length - at - 2 < length) break;
      this.frames.push(data.slice(at + 2, at + 2 + length));
      at += 2 + length;
    }
    this.#pending = data.slice(at);
  }
}

/** The fake driver: accepts bridge connections on 127.0.0.1 and hands them out in order. */
export class FakeVpcd {
  readonly peers: VpcdPeer[] = [];
  #server: Server | undefined;
  #port = 0;

  /** Starts listening on `port` (0: any free port). */
  static async listen(port = 0): Promise<FakeVpcd> {
    const fake = new FakeVpcd();
    await fake.restart(port);
    return fake;
  }

  get port(): number {
    return this.#port;
  }

  /** Listens again on the same port (or `port`), like pcscd coming back after a restart. */
  async restart(port = this.#port): Promise<void> {
    const server = createServer((socket) => this.peers.push(new VpcdPeer(socket)));
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    this.#server = server;
    this.#port = (server.address() as AddressInfo).port;
  }

  /** Resolves with the `index`-th connection (0-based) once the bridge has made it. */
  async connection(index: number, ms = 3000): Promise<VpcdPeer> {
    await until(() => this.peers.length > index, ms, `bridge connection #${index}`);
    return this.peers[index]!;
  }

  /** Stops listening and drops every connection, like pcscd exiting. */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const peer of this.peers) peer.socket.destroy();
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** A loopback port nobody listens on (bound, read, released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
