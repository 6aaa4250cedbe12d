/**
 * The relay on the service's own Fastify server (the way the lead wires it in app.ts): WebSocket
 * upgrades on /v1/relay share the API's port, the API still answers, and closing the app after the
 * hub leaves nothing open.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { RelayAgent } from '../../../src/device/index.ts';
import { attachRelay, RelayHub, RelayTokens } from '../../../src/tsm/index.ts';
import { withApp } from '../http/fixture.ts';
import { upgradeStatus, rawClient } from './fixture.ts';

describe('wallet relay on the Fastify app', () => {
  it('shares the API port: a phone connects and runs a batch; /openapi.json still answers', () =>
    withApp(async (f) => {
      const hub = new RelayHub();
      const tokens = new RelayTokens(f.t.hsm);
      const attachment = attachRelay(f.app.server, hub, { tokens });
      try {
        await f.app.listen({ port: 0, host: '127.0.0.1' });
        const { port } = f.app.server.address() as { port: number };
        const url = `ws://127.0.0.1:${port}/v1/relay`;
        assert.equal(await upgradeStatus(rawClient(url, 'Bearer se-9.AAAA')), 401);
        const card = { transmit: () => Promise.resolve(Uint8Array.of(0x90, 0x00)) };
        const agent = new RelayAgent({ url, seId: 'se-9', token: await tokens.issue('se-9'), card, reconnect: false });
        const reachable = new Promise<string>((resolve) => hub.onReachable(resolve));
        const connected = once(agent, 'connected');
        agent.start();
        assert.equal(await reachable, 'se-9');
        await connected;
        const responses = await hub.connect('se-9')!.transmitBatch([Uint8Array.of(0x00, 0xa4, 0x04, 0x00, 0x00)]);
        assert.deepEqual(responses.map((r) => Buffer.from(r).toString('hex')), ['9000']);
        const api = await fetch(`http://127.0.0.1:${port}/openapi.json`);
        assert.equal(api.status, 200);
        await api.arrayBuffer();
        await agent.stop();
      } finally {
        await hub.close();
        await attachment.close();
      }
    }));
});
