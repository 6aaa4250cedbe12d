/**
 * The SCP81 admin server (the TSM's side): HTTP/1.1 over TLS-PSK (node:https with the PSK options
 * of tls-psk.ts, no certificate). Each POST from an authenticated admin agent is parsed strictly
 * (admin-protocol.ts) and handed to `handle` with the PSK identity the connection proved; its
 * answer goes back as 200 + script or 204. Refusals carry no detail: 400 (protocol), 404 (path),
 * 405 (method), 413 (body), 431 (headers, node:http), 500 (handler); `onError` gets the typed error.
 * `onDisconnect` hears of every authenticated connection that closes (the agent dropped, a timeout,
 * `dropConnections`, `close`), so a caller waiting on that agent need not wait for its own timeout.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { OtaError } from '../errors.ts';
import {
  DEFAULT_ADMIN_LIMITS,
  encodeAdminAnswer,
  parseAgentPost,
  type AdminAnswer,
  type AdminLimits,
  type AgentPost,
} from './admin-protocol.ts';
import { checkOriginForm } from './header-values.ts';
import { handshakeError, PskIdentities, pskServerOptions, type PskServerConfig } from './tls-psk.ts';

/** Who sent a POST: the PSK identity its TLS session authenticated. */
/** The agent behind one connection: the same object for every POST and the close of that connection. */
export interface AdminPeer {
  readonly identity: string;
}

/** The admin server's configuration. */
export interface AdminServerOptions extends PskServerConfig {
  /** Interface to listen on; default 127.0.0.1 (loopback). */
  readonly host?: string;
  /** Port; default 0 (any free port). */
  readonly port?: number;
  /** Path prefix the admin URIs live under (`/scp81`): other paths get 404. */
  readonly adminPath: string;
  /** Answers one POST. An `ERR_OTA_ADMIN` from it becomes 400, anything else 500. */
  readonly handle: (post: AgentPost, peer: AdminPeer) => AdminAnswer | Promise<AdminAnswer>;
  /** Told every refused handshake and request (typed; for the log). */
  readonly onError?: (error: OtaError, peer: AdminPeer | undefined) => void;
  /**
   * Told once when a connection whose TLS-PSK handshake completed closes, for whatever reason (the
   * agent or the network dropped it, keep-alive or request timeout, `dropConnections`, `close`).
   * A connection that never completed its handshake is not reported here (`onError` has it).
   * Called after the socket is gone; what it throws is reported to `onError` (ERR_OTA_TRANSPORT).
   */
  readonly onDisconnect?: (peer: AdminPeer) => void;
  readonly limits?: Partial<AdminLimits>;
  /** Largest request head node:http accepts (431 beyond); default 8 KiB. */
  readonly maxHeaderBytes?: number;
  /** Idle time between an agent's POSTs (the card runs the script meanwhile); default 30 s. */
  readonly keepAliveMs?: number;
  /** Time to receive a whole request; default 30 s. */
  readonly requestTimeoutMs?: number;
}

/** A running admin server. */
export interface AdminServer {
  readonly host: string;
  readonly port: number;
  /** Destroys the open connections (all, or those of one PSK identity). */
  dropConnections(identity?: string): void;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

const REASONS: Readonly<Record<number, string>> = { 400: 'Bad Request', 404: 'Not Found', 405: 'Method Not Allowed', 413: 'Content Too Large', 500: 'Internal Server Error' };

function refuseRequest(res: ServerResponse, status: number): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, REASONS[status], { Connection: 'close', 'Content-Length': 0, ...(status === 405 ? { Allow: 'POST' } : {}) });
  res.end();
}

/** Reads a request body up to `max` bytes; resolves undefined (and stops reading) beyond it. */
function readBody(req: IncomingMessage, max: number): Promise<Uint8Array | undefined> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (!Number.isFinite(declared) || declared > max) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        req.removeAllListeners('data');
        req.pause();
        resolve(undefined);
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

type Report = (error: OtaError, peer: AdminPeer | undefined) => void;

/** node:http's own refusals (malformed request, head too large, too slow): reported, then answered as node would. */
function answerClientError(error: NodeJS.ErrnoException, socket: Socket, peer: AdminPeer | undefined, report: Report): void {
  report(new OtaError('ERR_OTA_ADMIN', 'SCP81 request: not HTTP/1.1 within bounds', { cause: error }), peer);
  const status =
    error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
  if (socket.writable && !socket.destroyed) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  else socket.destroy();
}

interface ServeContext {
  readonly adminPath: string;
  readonly limits: AdminLimits;
  readonly handle: AdminServerOptions['handle'];
  readonly report: Report;
}

/** One request: method, path, bounded body, strict parse, the handler, the encoded answer. */
async function serve(ctx: ServeContext, req: IncomingMessage, res: ServerResponse, peer: AdminPeer): Promise<void> {
  const target = req.url ?? '';
  if (req.method !== 'POST') return refuseRequest(res, 405);
  if (target !== ctx.adminPath && !target.startsWith(`${ctx.adminPath}/`) && !target.startsWith(`${ctx.adminPath}?`)) {
    return refuseRequest(res, 404);
  }
  const body = await readBody(req, ctx.limits.maxResponseBytes);
  if (body === undefined) {
    ctx.report(new OtaError('ERR_OTA_ADMIN', `SCP81 script response: over ${ctx.limits.maxResponseBytes} bytes`), peer);
    return refuseRequest(res, 413);
  }
  let answer: AdminAnswer;
  try {
    const post = parseAgentPost({ method: req.method, target, headers: req.headersDistinct, body }, ctx.limits);
    answer = await ctx.handle(post, peer);
  } catch (e) {
    if (!(e instanceof OtaError)) throw e;
    ctx.report(e, peer);
    return refuseRequest(res, e.code === 'ERR_OTA_ADMIN' ? 400 : 500);
  }
  const out = encodeAdminAnswer(answer, ctx.limits);
  if (res.destroyed) return;
  res.writeHead(out.status, [...out.headers.flat(), ...(out.status === 200 ? ['Content-Length', String(out.body.length)] : [])]);
  res.end(out.body);
}

/** Starts an admin server; resolves once it listens. */
export async function startAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const limits: AdminLimits = { ...DEFAULT_ADMIN_LIMITS, ...options.limits };
  const adminPath = checkOriginForm(options.adminPath, limits.maxUriLength, 'admin path', 'caller');
  const identities = new PskIdentities();
  const sockets = new Set<Socket>();
  const report: Report = (e, peer) => options.onError?.(e, peer);
  const disconnected = (peer: AdminPeer): void => {
    try {
      options.onDisconnect?.(peer);
    } catch (e) {
      report(e instanceof OtaError ? e : new OtaError('ERR_OTA_TRANSPORT', 'SCP81 disconnect handler failed', { cause: e }), peer);
    }
  };

  const server = https.createServer({
    ...pskServerOptions(options, identities),
    maxHeaderSize: options.maxHeaderBytes ?? 8192,
    keepAliveTimeout: options.keepAliveMs ?? 30_000,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    headersTimeout: Math.min(options.requestTimeoutMs ?? 30_000, 10_000),
  });
  // one peer object per connection, so a caller can tell which connection a POST or a close came from
  const peers = new WeakMap<object, AdminPeer>();
  const peerOf = (socket: unknown): AdminPeer | undefined => {
    const identity = identities.of(socket);
    if (identity === undefined || typeof socket !== 'object' || socket === null) return undefined;
    let peer = peers.get(socket);
    if (peer === undefined) {
      peer = Object.freeze({ identity });
      peers.set(socket, peer);
    }
    return peer;
  };
  server.on('secureConnection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      const peer = peerOf(socket);
      if (peer !== undefined) disconnected(peer);
    });
  });
  server.on('tlsClientError', (error, socket) => report(handshakeError(error), peerOf(socket)));
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    // node:https repeats a failed handshake here; it was reported as ERR_OTA_TLS already.
    if (!sockets.has(socket)) return void socket.destroy();
    answerClientError(error, socket, peerOf(socket), report);
  });
  const context: ServeContext = { adminPath, limits, handle: options.handle, report };
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const peer = peerOf(req.socket);
    if (peer === undefined) return refuseRequest(res, 500); // cannot happen: every connection is PSK
    serve(context, req, res, peer).catch((e: unknown) => {
      report(e instanceof OtaError ? e : new OtaError('ERR_OTA_TRANSPORT', 'SCP81 request could not be served', { cause: e }), peer);
      refuseRequest(res, 500);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    host: address.address,
    port: address.port,
    dropConnections(identity?: string): void {
      for (const s of sockets) if (identity === undefined || identities.of(s) === identity) s.destroy();
    },
    close(): Promise<void> {
      return new Promise((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
}
