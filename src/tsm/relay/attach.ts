/**
 * Attaches the wallet relay to the service's HTTP(S) server (docs/relay.md §2): WebSocket upgrades
 * (RFC 6455 §4) on `/v1/relay` share the API's port and TLS. The upgrade must carry
 * `Authorization: Bearer <seId>.<token>`; anything else is answered 401 and the socket destroyed
 * before a WebSocket exists. Upgrades on other paths are left to other listeners.
 */
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { RELAY_LIMITS } from '../../apdu/index.ts';
import type { RelayLogger } from './connection.ts';
import type { RelayHub } from './hub.ts';
import { parseRelayAuthorization } from './tokens.ts';

/** The relay's path on the service. */
export const RELAY_PATH = '/v1/relay';

/** What {@link attachRelay} needs besides the server and the hub. */
export interface AttachRelayOptions {
  /** Checks a device token (a {@link RelayTokens}). */
  readonly tokens: { verify(seId: string, token: string): Promise<boolean> };
  /** Most upgrades waiting for their token check at once; more are answered 503 (default 256). */
  readonly maxPendingUpgrades?: number;
  readonly logger?: RelayLogger;
}

/** An attached relay: `close()` stops taking upgrades (the hub's connections close with the hub). */
export interface RelayAttachment {
  close(): Promise<void>;
}

/** Takes WebSocket upgrades on {@link RELAY_PATH} of `server` and hands authenticated ones to `hub`. */
export function attachRelay(server: HttpServer | HttpsServer, hub: RelayHub, options: AttachRelayOptions): RelayAttachment {
  const wss = new WebSocketServer({ noServer: true, maxPayload: RELAY_LIMITS.maxFrameBytes, perMessageDeflate: false, clientTracking: false });
  const maxPending = options.maxPendingUpgrades ?? 256;
  let pending = 0;
  let closed = false;
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (pathOf(request.url) !== RELAY_PATH) return;
    socket.on('error', () => socket.destroy());
    if (closed || pending >= maxPending) return refuse(socket, 503, 'Service Unavailable');
    const credentials = parseRelayAuthorization(request.headers.authorization);
    if (credentials === undefined) return refuse(socket, 401, 'Unauthorized');
    pending++;
    options.tokens.verify(credentials.seId, credentials.token).then(
      (ok) => {
        pending--;
        if (!ok) {
          options.logger?.warn({ seId: credentials.seId }, 'relay: upgrade refused (bad token)');
          return refuse(socket, 401, 'Unauthorized');
        }
        if (closed || socket.destroyed) return refuse(socket, 503, 'Service Unavailable');
        wss.handleUpgrade(request, socket, head, (ws) => hub.accept(credentials.seId, ws));
      },
      (e: unknown) => {
        pending--;
        options.logger?.warn({ err: e instanceof Error ? e.message : String(e) }, 'relay: token check failed');
        refuse(socket, 503, 'Service Unavailable');
      },
    );
  };
  server.on('upgrade', onUpgrade);
  return {
    close: () => {
      closed = true;
      server.off('upgrade', onUpgrade);
      return new Promise((resolve) => wss.close(() => resolve()));
    },
  };
}

function pathOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

function refuse(socket: Duplex, status: 401 | 503, text: string): void {
  if (socket.destroyed) return;
  const challenge = status === 401 ? 'WWW-Authenticate: Bearer realm="opentsm-relay"\r\n' : '';
  // as ws aborts a handshake: end with the answer, destroy once it is written
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${text}\r\n${challenge}Connection: close\r\nContent-Length: 0\r\n\r\n`);
}
