/**
 * The phone's RelayAgent against hostile or failing peers (a bare ws server on 127.0.0.1): garbage
 * from the server ends the connection with 1008 and a `failure` event — never an exception out of
 * the event loop —, a failing card ends it with 1011, reconnects are bounded, stop() stops.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ApduTransport } from '../../src/apdu/index.ts';
import { RelayAgent, type DeviceError } from '../../src/device/index.ts';

const TOKEN = 'A'.repeat(43);
const SELECT = '00A4040008A000000151000000';
const OK_CARD = { transmit: () => Promise.resolve(Uint8Array.of(0x90, 0x00)) };

async function withServer(body: (url: string, wss: WebSocketServer) => Promise<void>): Promise<void> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  try {
    await body(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/v1/relay`, wss);
  } finally {
    for (const c of wss.clients) c.terminate();
    await new Promise<void>((r) => wss.close(() => r()));
  }
}

function agent(url: string, card: ApduTransport = OK_CARD, extra: Partial<ConstructorParameters<typeof RelayAgent>[0]> = {}): { agent: RelayAgent; failures: DeviceError[] } {
  const failures: DeviceError[] = [];
  const a = new RelayAgent({ url, seId: 'se-1', token: TOKEN, card, reconnect: { minDelayMs: 5, maxDelayMs: 20 }, ...extra });
  a.on('failure', (e) => failures.push(e));
  return { agent: a, failures };
}

const nextConnection = (wss: WebSocketServer): Promise<WebSocket> => once(wss, 'connection').then(([ws]) => ws as WebSocket);

describe('RelayAgent', () => {
  it('answers batches in order, sends its token, and reports connected', () =>
    withServer(async (url, wss) => {
      const seen: string[] = [];
      const a = agent(url, { transmit: (c) => (seen.push(Buffer.from(c).toString('hex')), Promise.resolve(Uint8Array.of(0x6a, 0x82))) });
      const conn = once(wss, 'connection');
      a.agent.start();
      const [ws, request] = (await conn) as [WebSocket, IncomingMessage];
      assert.equal(request.headers.authorization, `Bearer se-1.${TOKEN}`);
      if (!a.agent.connected) await once(a.agent, 'connected');
      ws.send(JSON.stringify({ type: 'apdus', id: 9, apdus: [SELECT, SELECT], stopOnError: true }));
      const [answer] = (await once(ws, 'message')) as [Buffer];
      assert.deepEqual(JSON.parse(answer.toString()), { type: 'responses', id: 9, responses: ['6A82'] });
      ws.send(JSON.stringify({ type: 'apdus', id: 10, apdus: [SELECT, SELECT], stopOnError: false }));
      const [answer2] = (await once(ws, 'message')) as [Buffer];
      assert.deepEqual(JSON.parse(answer2.toString()), { type: 'responses', id: 10, responses: ['6A82', '6A82'] });
      assert.equal(seen.length, 3);
      await a.agent.stop();
      assert.equal(a.agent.connected, false);
      assert.deepEqual(a.failures, []);
    }));

  it('closes with 1008 on garbage from the server, reports a failure and reconnects', () =>
    withServer(async (url, wss) => {
      const a = agent(url);
      const garbage: readonly (string | Buffer)[] = [
        'not json', '{"type":"responses","id":1,"responses":["9000"]}', '{"type":"apdus","id":1,"apdus":["00A4"],"stopOnError":true}',
        '{"type":"apdus","id":1,"apdus":["00A4040000"],"stopOnError":true,"x":1}', Buffer.from([1, 2, 3]), '[]', '"\u0000"',
      ];
      let conn = nextConnection(wss);
      a.agent.start();
      for (const frame of garbage) {
        const ws = await conn;
        conn = nextConnection(wss);
        const closed = once(ws, 'close');
        ws.send(frame);
        const [code] = (await closed) as [number];
        assert.equal(code, 1008, String(frame));
      }
      await conn; // it came back after the last one
      await a.agent.stop();
      assert.equal(a.failures.length, garbage.length, a.failures.map((f) => `${f.message}: ${String((f.cause as Error | undefined)?.message)}`).join('\n'));
      for (const f of a.failures) assert.equal(f.code, 'ERR_DEVICE_TRANSPORT');
    }));

  it('closes with 1011 when the card fails', () =>
    withServer(async (url, wss) => {
      const a = agent(url, { transmit: () => Promise.reject(new Error('SE removed')) }, { reconnect: false });
      const conn = nextConnection(wss);
      a.agent.start();
      const ws = await conn;
      const closed = once(ws, 'close');
      ws.send(JSON.stringify({ type: 'apdus', id: 1, apdus: [SELECT], stopOnError: true }));
      assert.equal(((await closed) as [number])[0], 1011);
      await once(a.agent, 'stopped'); // reconnect is off
      assert.match(a.failures[0]!.message, /card failed/);
    }));

  it('stops when the TSM says another connection replaced it (4000)', () =>
    withServer(async (url, wss) => {
      const a = agent(url);
      const conn = nextConnection(wss);
      a.agent.start();
      const ws = await conn;
      if (!a.agent.connected) await once(a.agent, 'connected');
      const stopped = once(a.agent, 'stopped');
      ws.close(4000, 'was replaced by a newer connection');
      await stopped;
      assert.match(a.failures.at(-1)!.message, /replaced/);
      const again = await Promise.race([nextConnection(wss).then(() => 'reconnected'), new Promise((r) => setTimeout(() => r('stayed down'), 100))]);
      assert.equal(again, 'stayed down');
    }));

  it('gives up after maxAttempts failed connections in a row', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(wss, 'listening');
    const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/v1/relay`;
    await new Promise<void>((r) => wss.close(() => r())); // nobody listens there now
    const a = agent(url, OK_CARD, { reconnect: { minDelayMs: 1, maxDelayMs: 4, maxAttempts: 3 } });
    const stopped = once(a.agent, 'stopped');
    a.agent.start();
    await stopped;
    assert.equal(a.failures.filter((f) => /connection failed/.test(f.message)).length, 4, 'the first try and three retries');
    assert.match(a.failures.at(-1)!.message, /gave up after 3 attempts/);
  });

  it('drops a silent server after idleTimeoutMs and reconnects', () =>
    withServer(async (url, wss) => {
      const a = agent(url, OK_CARD, { idleTimeoutMs: 60 });
      const first = nextConnection(wss);
      a.agent.start();
      await first;
      await nextConnection(wss);
      await a.agent.stop();
      assert.ok(a.failures.some((f) => /no frame or ping/.test(f.message)));
    }));

  it('refuses bad options with ERR_DEVICE_PARAM', () => {
    const base = { url: 'ws://127.0.0.1:1/v1/relay', seId: 'se-1', token: TOKEN, card: OK_CARD };
    for (const bad of [{ url: 'http://x' }, { seId: '' }, { seId: 'a b' }, { token: 'x.y' }, { token: '' }]) {
      assert.throws(() => new RelayAgent({ ...base, ...bad }), { code: 'ERR_DEVICE_PARAM' });
    }
  });
});
