/**
 * The admin server's `onDisconnect`: told once, with the PSK identity, when an authenticated agent
 * connection closes — a drop mid-session is heard at once, long before keep-alive would end it; a
 * failed handshake is no disconnect; `dropConnections` and `close` report each connection; a
 * throwing handler goes to `onError` and the server keeps serving.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type tls from 'node:tls';
import { connectPsk, OtaError, runAdminSession, type AdminPeer } from '../../../src/ota/index.ts';
import { AGENT_ID, dialogServer, IDENTITY, KEY, OTHER_KEY, scriptedCard, until } from '../scp81-helpers.ts';

const OPENING = ['POST /scp81 HTTP/1.1', 'Host: 127.0.0.1', 'X-Admin-Protocol: globalplatform-remote-admin/1.0', `X-Admin-From: ${AGENT_ID}`, 'Content-Length: 0', '', ''].join('\r\n');

/** Sends the agent's opening POST on `socket` and resolves with the status line of the answer. */
function openSession(socket: tls.TLSSocket): Promise<string> {
  return new Promise((resolve) => {
    socket.once('data', (d: Buffer) => resolve(d.toString('latin1').split('\r\n')[0] ?? ''));
    socket.write(OPENING);
  });
}

function recorder(): { peers: AdminPeer[]; at: number[]; onDisconnect: (peer: AdminPeer) => void } {
  const peers: AdminPeer[] = [];
  const at: number[] = [];
  return { peers, at, onDisconnect: (peer) => (peers.push(peer), at.push(Date.now())) };
}

describe('SCP81 admin server: onDisconnect', () => {
  it('reports a drop mid-session at once, with the PSK identity, long before keep-alive ends it', async () => {
    const r = recorder();
    const t = await dialogServer(undefined, { onDisconnect: r.onDisconnect, keepAliveMs: 30_000 });
    try {
      const socket = await connectPsk({ host: '127.0.0.1', port: t.server.port, identity: IDENTITY, psk: KEY });
      assert.equal(await openSession(socket), 'HTTP/1.1 200 OK');
      assert.deepEqual(r.peers, []);
      const dropped = Date.now();
      socket.destroy();
      await until(() => r.peers.length > 0);
      assert.deepEqual(r.peers, [{ identity: IDENTITY }]);
      assert.ok(r.at[0]! - dropped < 1000, `heard after ${r.at[0]! - dropped} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(r.peers.length, 1, 'once per connection');
    } finally {
      await t.server.close();
    }
  });

  it('reports the end of a whole session once', async () => {
    const r = recorder();
    const t = await dialogServer(undefined, { onDisconnect: r.onDisconnect });
    try {
      const result = await runAdminSession({ host: '127.0.0.1', port: t.server.port, identity: IDENTITY, psk: KEY, agentId: AGENT_ID, adminUri: '/scp81', execute: scriptedCard().execute });
      assert.equal(result.scripts, 2);
      await until(() => r.peers.length > 0);
      assert.deepEqual(r.peers, [{ identity: IDENTITY }]);
    } finally {
      await t.server.close();
    }
  });

  it('does not report a connection whose handshake failed (wrong PSK): onError has it', async () => {
    const r = recorder();
    const t = await dialogServer(undefined, { onDisconnect: r.onDisconnect });
    try {
      await assert.rejects(connectPsk({ host: '127.0.0.1', port: t.server.port, identity: IDENTITY, psk: OTHER_KEY }), (e: unknown) => e instanceof OtaError && e.code === 'ERR_OTA_TLS');
      await until(() => t.errors.length > 0);
      assert.equal(t.errors[0]?.code, 'ERR_OTA_TLS');
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(r.peers, []);
    } finally {
      await t.server.close();
    }
  });

  it('reports each connection that dropConnections and close end', async () => {
    const r = recorder();
    const t = await dialogServer(undefined, { onDisconnect: r.onDisconnect });
    const sockets = await Promise.all([1, 2, 3].map(() => connectPsk({ host: '127.0.0.1', port: t.server.port, identity: IDENTITY, psk: KEY })));
    for (const s of sockets) s.on('error', () => undefined);
    try {
      await new Promise((resolve) => setTimeout(resolve, 30)); // the server side has all three
      t.server.dropConnections(IDENTITY);
      await until(() => r.peers.length === 3);
      assert.deepEqual(r.peers, [1, 2, 3].map(() => ({ identity: IDENTITY })));
      const last = await connectPsk({ host: '127.0.0.1', port: t.server.port, identity: IDENTITY, psk: KEY });
      last.on('error', () => undefined);
      assert.equal(await openSession(last), 'HTTP/1.1 200 OK');
      await t.server.close();
      await until(() => r.peers.length === 4);
      assert.equal(r.peers.length, 4);
    } finally {
      await t.server.close();
    }
  });

  it('reports a throwing onDisconnect to onError and keeps serving', async () => {
    let calls = 0;
    const t = await dialogServer(undefined, {
      onDisconnect: () => {
        calls++;
        throw new Error('listener bug');
      },
    });
    try {
      const first = await connectPsk({ host: '127.0.0.1', port: t.server.port, identity: IDENTITY, psk: KEY });
      first.destroy();
      await until(() => t.errors.length > 0);
      assert.equal(calls, 1);
      assert.equal(t.errors[0]?.code, 'ERR_OTA_TRANSPORT');
      assert.equal(t.errors[0]?.message, 'SCP81 disconnect handler failed');
      const second = await connectPsk({ host: '127.0.0.1', port: t.server.port, identity: IDENTITY, psk: KEY });
      assert.equal(await openSession(second), 'HTTP/1.1 200 OK');
      second.destroy();
    } finally {
      await t.server.close();
    }
  });
});
