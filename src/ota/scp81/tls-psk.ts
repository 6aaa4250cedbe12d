/**
 * SCP81's TLS: TLS 1.2 with PSK cipher suites only (GPC Amd B; SGP.02 names the same two), on
 * node:tls. The server looks each PSK up by the identity the client sends (`PskStore`, synchronous);
 * the client offers one identity and key. No certificates, no TLS session resumption (GPC Amd B:
 * one full handshake per session [M]). A failed handshake gives `ERR_OTA_TLS` with one fixed
 * message on both sides: which check failed (unknown identity or wrong key) is not told.
 */
import { constants } from 'node:crypto';
import tls from 'node:tls';
import { assertBytes } from '../../bytes/index.ts';
import { guard, OtaError } from '../errors.ts';
import { checkFieldValue, refuse } from './header-values.ts';
import { checkPskIdentity, PSK_LENGTHS, type PskStore } from './psk-store.ts';

/**
 * The cipher suites, by OpenSSL name: TLS_PSK_WITH_AES_128_GCM_SHA256 (0x00A8) and
 * TLS_PSK_WITH_AES_128_CBC_SHA256 (0x00AE), both of RFC 5487, over TLS 1.2 (RFC 5246). node:tls
 * needs PSK suites listed explicitly: its default list has none.
 */
export const SCP81_CIPHERS = ['PSK-AES128-GCM-SHA256', 'PSK-AES128-CBC-SHA256'] as const;
export type Scp81Cipher = (typeof SCP81_CIPHERS)[number];

/** The one fixed handshake-failure message (no oracle on which check failed). */
export const HANDSHAKE_FAILED = 'SCP81 TLS-PSK handshake failed';

function cipherList(ciphers: readonly Scp81Cipher[] | undefined): string {
  const list = ciphers ?? SCP81_CIPHERS;
  if (list.length === 0 || list.some((c) => !SCP81_CIPHERS.includes(c))) {
    refuse('caller', 'cipher suites', `expected some of ${SCP81_CIPHERS.join(', ')}`);
  }
  return list.join(':');
}

/** What a PSK server needs. */
export interface PskServerConfig {
  /** The PSK per identity, looked up synchronously during each handshake. */
  readonly psk: PskStore;
  /** The PSK identity hint sent in ServerKeyExchange (RFC 4279 §2); optional. */
  readonly identityHint?: string;
  readonly ciphers?: readonly Scp81Cipher[];
}

/** A server's record of which PSK identity each connection authenticated as. */
export class PskIdentities {
  readonly #bySocket = new WeakMap<tls.TLSSocket, string>();

  /** Called from `pskCallback`: the identity the client claimed on this socket. */
  claim(socket: tls.TLSSocket, identity: string): void {
    this.#bySocket.set(socket, identity);
  }

  /** The identity a socket claimed (authenticated once its handshake completed), if any. */
  of(socket: unknown): string | undefined {
    return socket instanceof tls.TLSSocket ? this.#bySocket.get(socket) : undefined;
  }
}

/**
 * `tls.createServer` options for SCP81: TLS 1.2 only, the PSK suites, no session tickets, and a
 * `pskCallback` that answers from `config.psk` (null refuses the identity).
 */
export function pskServerOptions(config: PskServerConfig, identities: PskIdentities): tls.TlsOptions {
  const ciphers = cipherList(config.ciphers);
  const hint = config.identityHint === undefined ? undefined : checkFieldValue(config.identityHint, 128, 'PSK identity hint', 'caller');
  return {
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.2',
    ciphers,
    honorCipherOrder: true,
    secureOptions: constants.SSL_OP_NO_TICKET,
    ...(hint === undefined ? {} : { pskIdentityHint: hint }),
    pskCallback: (socket: tls.TLSSocket, identity: string) => {
      identities.claim(socket, identity);
      const key = config.psk.get(identity);
      return key === undefined ? null : key;
    },
  };
}

/** What a PSK client offers: one identity and its key. */
export interface PskClientConfig {
  readonly identity: string;
  readonly psk: Uint8Array;
  readonly ciphers?: readonly Scp81Cipher[];
}

/**
 * `tls.connect` (or https Agent) options for SCP81's client side: TLS 1.2 only, the PSK suites, the
 * identity and key whatever hint the server sends. A PSK suite carries no certificate: the PSK
 * itself authenticates the server, so the certificate identity check has nothing to do.
 */
export function pskClientOptions(config: PskClientConfig): tls.ConnectionOptions {
  const identity = checkPskIdentity(config.identity);
  const key = config.psk;
  guard(() => assertBytes(key, PSK_LENGTHS, 'SCP81 PSK'));
  return {
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.2',
    ciphers: cipherList(config.ciphers),
    pskCallback: () => ({ identity, psk: key }),
    checkServerIdentity: () => undefined,
  };
}

/** A raw SCP81 TLS server and the identity each of its connections authenticated as. */
export interface PskServer {
  readonly server: tls.Server;
  readonly identities: PskIdentities;
}

/**
 * A raw TLS-PSK server (no HTTP): `onSecure` gets each authenticated socket and its identity;
 * `onError` gets each failed handshake as `ERR_OTA_TLS` with the identity the client claimed.
 */
export function createPskServer(
  config: PskServerConfig & { onError?: (error: OtaError, identity: string | undefined) => void },
  onSecure: (socket: tls.TLSSocket, identity: string) => void,
): PskServer {
  const identities = new PskIdentities();
  const server = tls.createServer(pskServerOptions(config, identities), (socket) => onSecure(socket, identities.of(socket)!));
  server.on('tlsClientError', (error, socket) => {
    config.onError?.(handshakeError(error), identities.of(socket));
  });
  return { server, identities };
}

/** The `ERR_OTA_TLS` for a failed handshake, the TLS error as its cause. */
export function handshakeError(cause: unknown): OtaError {
  return new OtaError('ERR_OTA_TLS', HANDSHAKE_FAILED, { cause });
}

/**
 * Connects a raw TLS-PSK client socket; resolves once the handshake is done (the caller then
 * listens for its 'error'). Rejects with `ERR_OTA_TLS` when the handshake fails,
 * `ERR_OTA_TRANSPORT` when there is no connection at all.
 */
export function connectPsk(
  config: PskClientConfig & { host: string; port: number; timeoutMs?: number },
): Promise<tls.TLSSocket> {
  const options = pskClientOptions(config);
  return new Promise((resolve, reject) => {
    let connected = false;
    const socket = tls.connect({ ...options, host: config.host, port: config.port });
    socket.setTimeout(config.timeoutMs ?? 10_000, () => socket.destroy(new Error('TLS connection timed out')));
    const fail = (e: Error): void => {
      socket.destroy();
      reject(connected ? handshakeError(e) : new OtaError('ERR_OTA_TRANSPORT', 'SCP81 connection failed', { cause: e }));
    };
    socket.once('connect', () => (connected = true));
    socket.once('error', fail);
    socket.once('secureConnect', () => {
      socket.setTimeout(0);
      socket.off('error', fail); // from here on the caller listens for 'error'
      resolve(socket);
    });
  });
}
