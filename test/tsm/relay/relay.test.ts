/**
 * The wallet relay over real WebSockets on 127.0.0.1 (issue 6): a phone's RelayAgent in front of a
 * virtual SE, the TSM's RelayHub behind attachRelay; SCP03 opened by the host over the relay
 * transport, exactly as over a direct one.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { commandApdu, encodeCommand, transmit, type ApduTransport } from '../../../src/apdu/index.ts';
import { toHex } from '../../../src/bytes/index.ts';
import { RelayAgent } from '../../../src/device/index.ts';
import { buildGetStatus, buildSelect, openScp03, plainScp03Keys } from '../../../src/gp/index.ts';
import { type RelayTransport } from '../../../src/tsm/index.ts';
import { CardPortTransport, ISD_KEYS, testCard } from '../../se/helpers.ts';
import { ISD } from '../../se/content-helpers.ts';
import { next, rawClient, upgradeStatus, withRelay, type RelayFixture } from './fixture.ts';

const SE = 'se-0001';
const HOST_KEYS = { keyVersion: ISD_KEYS.kvn, enc: ISD_KEYS.enc, mac: ISD_KEYS.mac, dek: ISD_KEYS.dek };
const SELECT_ISD = encodeCommand(buildSelect(ISD));
const SELECT_MISSING = encodeCommand(buildSelect(Uint8Array.of(0xa0, 0, 0, 0, 0x99, 0x99)));

async function agentFor(f: RelayFixture, card: ApduTransport, seId = SE): Promise<{ agent: RelayAgent; transport: RelayTransport }> {
  const reachable = next<string>((l) => f.hub.onReachable(l));
  const agent = new RelayAgent({ url: f.url, seId, token: await f.tokens.issue(seId), card, reconnect: { minDelayMs: 10, maxDelayMs: 50 } });
  const connected = once(agent, 'connected');
  agent.start();
  assert.equal(await reachable, seId);
  await connected;
  const transport = f.hub.connect(seId);
  assert.ok(transport !== undefined);
  return { agent, transport };
}

/** The error `promise` rejects with (handled at once, so a rejection before the test awaits it is no warning). */
async function failure(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  return promise.then(() => assert.fail('expected a rejection'), (e: unknown) => e as Error & { code?: string });
}

const swOf = (r: Uint8Array): string => toHex(r.subarray(r.length - 2));

/** A card whose `transmit` waits until released (a slow SE, or one mid-command when the network drops). */
function heldCard(): ApduTransport & { readonly started: Promise<void>; release(): void } {
  let release!: () => void;
  let started!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const startedP = new Promise<void>((r) => (started = r));
  return {
    started: startedP,
    release: () => release(),
    transmit: async () => {
      started();
      await gate;
      return Uint8Array.of(0x90, 0x00);
    },
  };
}

describe('wallet relay: RelayHub + RelayAgent over WebSockets', () => {
  it('opens SCP03 over the relay and reads the registry as over a direct transport', () =>
    withRelay(async (f) => {
      const card = testCard();
      const { agent, transport } = await agentFor(f, new CardPortTransport(card));
      try {
        assert.equal(agent.connected, true);
        assert.equal(swOf(await transport.transmit(SELECT_ISD)), '9000');
        const session = await openScp03(transport, plainScp03Keys(HOST_KEYS), { securityLevel: 0x03, sdAid: ISD });
        const status = await session.transmit(buildGetStatus({ scope: 'isd' }));
        assert.equal(status.sw, 0x9000);
        assert.ok(status.data.length > 0);
        // the same command on a second card directly gives a registry entry of the same shape
        const direct = new CardPortTransport(testCard());
        await direct.transmit(SELECT_ISD);
        const directSession = await openScp03(direct, plainScp03Keys(HOST_KEYS), { securityLevel: 0x03, sdAid: ISD });
        assert.equal(toHex((await directSession.transmit(buildGetStatus({ scope: 'isd' }))).data), toHex(status.data));
        // the T=0 helper works over the relay too
        assert.equal((await transmit(transport, buildSelect(ISD))).sw, 0x9000);
      } finally {
        await agent.stop();
      }
    }));

  it('runs a batch in order and stops after the first status word that ends it', () =>
    withRelay(async (f) => {
      const cardPort = new CardPortTransport(testCard());
      const { agent, transport } = await agentFor(f, cardPort);
      try {
        const all = await transport.transmitBatch([SELECT_ISD, SELECT_ISD, SELECT_MISSING, SELECT_ISD]);
        assert.deepEqual(all.map(swOf), ['9000', '9000', '6A82']);
        assert.equal(cardPort.log.length, 3, 'the fourth command never reached the card');
        const noStop = await transport.transmitBatch([SELECT_MISSING, SELECT_ISD], { stopOnError: false });
        assert.deepEqual(noStop.map(swOf), ['6A82', '9000']);
        // the sender refuses a batch the codec would refuse: nothing is sent
        await assert.rejects(transport.transmitBatch([]), { code: 'ERR_APDU_RELAY_FRAME' });
        await assert.rejects(transport.transmit(Uint8Array.of(0x00, 0xa4)), { code: 'ERR_APDU_RELAY_FRAME' });
        const big = encodeCommand(commandApdu({ cla: 0x80, ins: 0xe8, p1: 0, p2: 0, data: new Uint8Array(65535), extended: true }));
        await assert.rejects(transport.transmitBatch([big, big]), { code: 'ERR_APDU_RELAY_FRAME', message: /over 262144 bytes/ });
        assert.deepEqual((await transport.transmitBatch([SELECT_ISD])).map(swOf), ['9000'], 'the connection survived the refusals');
      } finally {
        await agent.stop();
      }
    }));

  it('answers 401 to a missing, malformed, wrong or another SE\'s token, and opens for the right one', () =>
    withRelay(async (f) => {
      const good = await f.tokens.issue(SE);
      const other = await f.tokens.issue('se-0002');
      const bad = good.slice(0, -2) + (good.endsWith('AA') ? 'BB' : 'AA');
      for (const auth of [undefined, 'Bearer', `Basic ${SE}.${good}`, `Bearer ${SE}.${bad}`, `Bearer ${SE}.${other}`, `Bearer ${SE}${good}`, `Bearer .${good}`]) {
        assert.equal(await upgradeStatus(rawClient(f.url, auth)), 401, String(auth));
      }
      assert.equal(f.hub.size, 0);
      assert.equal(await upgradeStatus(rawClient(f.url, `Bearer ${SE}.${good}`)), 101);
      // an SE id with dots: the token starts after the last one
      const dotted = 'eid.8949.0001';
      assert.equal(await upgradeStatus(rawClient(f.url, `Bearer ${dotted}.${await f.tokens.issue(dotted)}`)), 101);
    }));

  it('a new connection for an SE replaces the old one, whose pending batch fails with ERR_TSM_UNREACHABLE', () =>
    withRelay(async (f) => {
      const auth = `Bearer ${SE}.${await f.tokens.issue(SE)}`;
      const first = rawClient(f.url, auth);
      await once(first, 'open');
      const firstTransport = f.hub.connect(SE)!;
      const sent = once(first, 'message'); // the first phone receives the batch and never answers
      const pending = failure(firstTransport.transmit(SELECT_ISD));
      await sent;
      const reachable = next<string>((l) => f.hub.onReachable(l));
      const firstClosed = once(first, 'close');
      const second = rawClient(f.url, auth);
      await once(second, 'open');
      assert.equal(await reachable, SE);
      assert.equal((await pending).code, 'ERR_TSM_UNREACHABLE');
      const [code] = (await firstClosed) as [number];
      assert.equal(code, 4000);
      assert.equal(firstTransport.connected, false);
      await assert.rejects(firstTransport.transmit(SELECT_ISD), { code: 'ERR_TSM_UNREACHABLE' }, 'an old transport never moves to the new connection');
      assert.equal(f.hub.size, 1);
      assert.equal(f.hub.connect(SE)!.connected, true);
      second.close();
    }));

  it('a network drop mid-batch fails the batch with ERR_TSM_UNREACHABLE; the agent reconnects and onReachable fires', () =>
    withRelay(async (f) => {
      const card = heldCard();
      const { agent, transport } = await agentFor(f, card);
      try {
        const pending = failure(transport.transmit(SELECT_ISD));
        await card.started;
        const reachable = next<string>((l) => f.hub.onReachable(l));
        const disconnected = once(agent, 'disconnected');
        for (const s of f.sockets) s.destroy(); // the network goes away
        const error = await pending;
        assert.equal(error.code, 'ERR_TSM_UNREACHABLE');
        assert.match(error.message, /se-0001/);
        await disconnected;
        card.release(); // the card finishes; its answer belongs to a connection that is gone
        assert.equal(await reachable, SE);
        const again = f.hub.connect(SE)!;
        assert.deepEqual((await again.transmitBatch([SELECT_ISD])).map(swOf), ['9000']);
      } finally {
        await agent.stop();
      }
    }));

  it('a batch without an answer within the timeout fails with ERR_TSM_UNREACHABLE and the connection is closed (4001)', () =>
    withRelay(async (f) => {
      const phone = rawClient(f.url, `Bearer ${SE}.${await f.tokens.issue(SE)}`);
      await once(phone, 'open');
      const closed = once(phone, 'close');
      await assert.rejects(f.hub.connect(SE)!.transmit(SELECT_ISD), { code: 'ERR_TSM_UNREACHABLE' });
      assert.equal(((await closed) as [number])[0], 4001);
      assert.equal(f.hub.connect(SE), undefined);
    }, { batchTimeoutMs: 100 }));

  it('a phone that breaks the protocol is cut off (1008) and its batch fails', () =>
    withRelay(async (f) => {
      const token = await f.tokens.issue(SE);
      const answers: readonly ((id: number) => string | Buffer)[] = [
        () => 'not json',
        (id) => JSON.stringify({ type: 'responses', id: id + 1, responses: ['9000'] }),
        (id) => JSON.stringify({ type: 'responses', id, responses: ['9000', '9000'] }),
        (id) => JSON.stringify({ type: 'responses', id, responses: ['9000'], extra: 1 }),
        (id) => JSON.stringify({ type: 'apdus', id, apdus: ['00A40400'], stopOnError: true }),
        (id) => JSON.stringify({ type: 'responses', id, responses: ['0000'] }),
        (id) => Buffer.from(JSON.stringify({ type: 'responses', id, responses: ['9000'] })), // binary frame
      ];
      for (const answer of answers) {
        const phone = rawClient(f.url, `Bearer ${SE}.${token}`);
        await once(phone, 'open');
        phone.on('message', (data) => {
          const { id } = JSON.parse((data as Buffer).toString('utf8')) as { id: number };
          phone.send(answer(id));
        });
        const closed = once(phone, 'close');
        await assert.rejects(f.hub.connect(SE)!.transmit(SELECT_ISD), { code: 'ERR_TSM_UNREACHABLE' });
        assert.equal(((await closed) as [number])[0], 1008);
      }
    }));

  it('the heartbeat drops a phone that stops answering pings', () =>
    withRelay(async (f) => {
      const phone = rawClient(f.url, `Bearer ${SE}.${await f.tokens.issue(SE)}`, { autoPong: false });
      await once(phone, 'open');
      assert.equal(f.hub.isConnected(SE), true);
      await once(phone, 'close');
      assert.equal(f.hub.isConnected(SE), false);
    }, { pingIntervalMs: 40 }));

  it('close() fails pending batches with ERR_TSM_UNREACHABLE and refuses new phones', () =>
    withRelay(async (f) => {
      const phone = rawClient(f.url, `Bearer ${SE}.${await f.tokens.issue(SE)}`);
      await once(phone, 'open');
      const transport = f.hub.connect(SE)!;
      const queued = [failure(transport.transmit(SELECT_ISD)), failure(transport.transmit(SELECT_ISD))];
      await f.hub.close();
      for (const p of queued) assert.equal((await p).code, 'ERR_TSM_UNREACHABLE');
      assert.equal(((await once(phone, 'close')) as [number])[0], 1001);
      const late = rawClient(f.url, `Bearer ${SE}.${await f.tokens.issue(SE)}`);
      const [code] = (await once(late, 'close')) as [number];
      assert.equal(code, 1001);
      assert.equal(f.hub.size, 0);
    }));

  it('bounds the batches queued per SE', () =>
    withRelay(async (f) => {
      const phone = rawClient(f.url, `Bearer ${SE}.${await f.tokens.issue(SE)}`);
      await once(phone, 'open');
      const transport = f.hub.connect(SE)!;
      const accepted = [0, 1, 2].map(() => failure(transport.transmit(SELECT_ISD))); // 1 in flight + 2 queued
      await assert.rejects(transport.transmit(SELECT_ISD), { code: 'ERR_TSM_STATE' });
      phone.close();
      for (const p of accepted) assert.equal((await p).code, 'ERR_TSM_UNREACHABLE');
    }, { maxQueuedBatches: 2 }));

  it('leaves upgrades on other paths alone', () =>
    withRelay(async (f) => {
      const other = rawClient(f.url.replace('/v1/relay', '/v1/other'), undefined);
      other.on('error', () => undefined);
      const result = await Promise.race([once(other, 'open').then(() => 'open'), new Promise((r) => setTimeout(() => r('untouched'), 100))]);
      assert.equal(result, 'untouched');
      other.terminate();
    }));

  it('logs connections, ends and refusals with the SE id only: never a token, never APDU data', async () => {
    const lines: string[] = [];
    const logger = {
      info: (fields: Record<string, unknown>, message: string) => void lines.push(JSON.stringify({ ...fields, message })),
      warn: (fields: Record<string, unknown>, message: string) => void lines.push(JSON.stringify({ ...fields, message })),
    };
    const secretData = '00A4040008A0000001510000CC';
    await withRelay(async (f) => {
      const token = await f.tokens.issue(SE);
      const wrong = await f.tokens.issue('se-other');
      assert.equal(await upgradeStatus(rawClient(f.url, `Bearer ${SE}.${wrong}`)), 401);
      const phone = rawClient(f.url, `Bearer ${SE}.${token}`);
      await once(phone, 'open');
      phone.on('message', () => phone.send(JSON.stringify({ type: 'responses', id: 0, responses: ['6F00'] })));
      await assert.rejects(f.hub.connect(SE)!.transmit(Buffer.from(secretData, 'hex')), { code: 'ERR_TSM_UNREACHABLE' });
      const all = lines.join('\n');
      assert.match(all, /upgrade refused/);
      assert.match(all, /protocol violation/);
      assert.match(all, /ERR_APDU_RELAY_FRAME/);
      for (const secret of [token, wrong, secretData, secretData.toLowerCase()]) assert.equal(all.includes(secret), false);
    }, { logger });
  });
});
