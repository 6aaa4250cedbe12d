/**
 * The relay over TLS (wss://) on an https server with a self-signed certificate: the agent trusts it
 * through its `ca` option, and refuses it without.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:https';
import { RelayAgent } from '../../../src/device/index.ts';
import { attachRelay, RelayHub, RelayTokens } from '../../../src/tsm/index.ts';
import { softwareHsm } from '../../hsm/software-setup.ts';
import { selfSignedCertificate } from '../http/self-signed.ts';

describe('wallet relay over wss://', () => {
  it('connects with the server CA given as `ca`, and not without it', async () => {
    const { cert, key } = selfSignedCertificate();
    const t = await softwareHsm();
    const hub = new RelayHub();
    const tokens = new RelayTokens(t.hsm);
    const server = createServer({ cert, key });
    const attachment = attachRelay(server, hub, { tokens });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `wss://localhost:${(server.address() as { port: number }).port}/v1/relay`;
    const card = { transmit: () => Promise.resolve(Uint8Array.of(0x90, 0x00)) };
    const token = await tokens.issue('se-tls');
    try {
      const untrusting = new RelayAgent({ url, seId: 'se-tls', token, card, reconnect: false });
      const failure = once(untrusting, 'failure');
      untrusting.start();
      const [error] = (await failure) as [Error];
      assert.match(String((error.cause as Error).message), /self[- ]signed|certificate/i);
      await untrusting.stop();

      const agent = new RelayAgent({ url, seId: 'se-tls', token, card, ca: cert, reconnect: false });
      const reachable = new Promise<string>((resolve) => hub.onReachable(resolve));
      const connected = once(agent, 'connected');
      agent.start();
      assert.equal(await reachable, 'se-tls');
      await connected;
      assert.deepEqual((await hub.connect('se-tls')!.transmitBatch([Uint8Array.of(0x00, 0xa4, 0x04, 0x00, 0x00)])).map((r) => Buffer.from(r).toString('hex')), ['9000']);
      await agent.stop();
    } finally {
      await hub.close();
      await attachment.close();
      server.close();
      t.hsm.close();
    }
  });
});
