/**
 * A relay server as the relay tests run it: a bare node http server on 127.0.0.1 (port 0) with
 * attachRelay, a RelayHub and RelayTokens on the software HSM; the raw TCP sockets are kept so a
 * test can cut the network.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocket } from 'ws';
import { attachRelay, RelayHub, RelayTokens, type RelayAttachment, type RelayHubOptions } from '../../../src/tsm/index.ts';
import { softwareHsm, type SoftwareUnderTest } from '../../hsm/software-setup.ts';

export interface RelayFixture {
  readonly url: string;
  readonly server: Server;
  readonly hub: RelayHub;
  readonly tokens: RelayTokens;
  readonly attachment: RelayAttachment;
  readonly t: SoftwareUnderTest;
  /** Every TCP socket the server accepted. */
  readonly sockets: Set<Socket>;
  close(): Promise<void>;
}

export async function relayFixture(options: RelayHubOptions = {}): Promise<RelayFixture> {
  const t = await softwareHsm();
  const tokens = new RelayTokens(t.hsm);
  const hub = new RelayHub(options);
  const server = createServer((_req, res) => res.writeHead(404).end());
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const attachment = attachRelay(server, hub, { tokens, ...(options.logger === undefined ? {} : { logger: options.logger }) });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    url: `ws://127.0.0.1:${address.port}/v1/relay`,
    server, hub, tokens, attachment, t, sockets,
    close: async () => {
      await hub.close();
      await attachment.close();
      for (const s of sockets) s.destroy();
      server.close();
      await once(server, 'close');
      t.hsm.close();
    },
  };
}

/** Runs `body` on a fresh fixture and closes it. */
export async function withRelay(body: (f: RelayFixture) => Promise<void>, options: RelayHubOptions = {}): Promise<void> {
  const f = await relayFixture(options);
  try {
    await body(f);
  } finally {
    await f.close();
  }
}

/** A raw WebSocket client (no agent) with the given Authorization header. */
export function rawClient(url: string, authorization: string | undefined, options: { autoPong?: boolean } = {}): WebSocket {
  return new WebSocket(url, { headers: authorization === undefined ? {} : { authorization }, autoPong: options.autoPong ?? true });
}

/** Resolves with the HTTP status of a refused upgrade, or 101 when it opened (and closes it). */
export function upgradeStatus(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => {
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.on('open', () => {
      resolve(101);
      ws.close();
    });
    ws.on('error', () => resolve(-1));
  });
}

/** The next value `subscribe` delivers. */
export function next<T>(subscribe: (listener: (value: T) => void) => () => void): Promise<T> {
  return new Promise((resolve) => {
    const off = subscribe((value) => {
      off();
      resolve(value);
    });
  });
}
