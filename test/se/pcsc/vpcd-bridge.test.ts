/**
 * The vpcd bridge against a fake vpcd driver on a loopback port: the control bytes and APDUs of
 * vsmartcard api.txt, reconnection when "pcscd" is absent or restarts, hostile frames (dropped and
 * logged, never a crash), and a clean close().
 */
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { BytesError, concat, hex, toHex } from '../../../src/bytes/index.ts';
import type { CardPort } from '../../../src/se/runtime/card-port.ts';
import { VpcdBridge, type VpcdBridgeOptions } from '../../../src/se/pcsc/vpcd-bridge.ts';
import { formatVpcdEvent, type VpcdBridgeEvent } from '../../../src/se/pcsc/vpcd-events.ts';
import { FakeVpcd, freePort, until, within } from './fake-vpcd.ts';

const ATR = hex`3B 80 80 01 01`;
const CTRL_OFF = hex`00`;
const CTRL_ON = hex`01`;
const CTRL_RESET = hex`02`;
const CTRL_ATR = hex`04`;

/** A card that answers data reversed ‖ 9000, and counts resets. */
class EchoCard implements CardPort {
  readonly atr = ATR;
  resets = 0;
  commands: string[] = [];
  reset(): Uint8Array {
    this.resets++;
    return this.atr;
  }
  process(command: Uint8Array): Uint8Array {
    this.commands.push(toHex(command));
    return concat(command.slice(4).reverse(), hex`9000`);
  }
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setUp(options: VpcdBridgeOptions = {}, card: CardPort = new EchoCard()) {
  const fake = await FakeVpcd.listen();
  const events: VpcdBridgeEvent[] = [];
  const bridge = new VpcdBridge(card, { port: fake.port, reconnectMinMs: 10, reconnectMaxMs: 80, onEvent: (e) => events.push(e), ...options });
  cleanups.push(() => fake.stop(), () => bridge.close());
  bridge.start();
  const peer = await fake.connection(0);
  await until(() => bridge.connected, 2000, 'the bridge to see the connection');
  const faults = () => events.flatMap((e) => (e.kind === 'protocol-error' ? [e.fault] : []));
  return { fake, bridge, peer, events, faults, card };
}

describe('VpcdBridge: the vpcd protocol', { timeout: 20_000 }, () => {
  it('answers get-ATR with the ATR and APDUs with the card response', async () => {
    const { peer, card } = await setUp();
    assert.equal(toHex(await peer.request(CTRL_ATR)), toHex(ATR));
    assert.equal(toHex(await peer.request(hex`80 CA 00 00 03 01 02 03`)), '030201039000');
    assert.deepEqual((card as EchoCard).commands, ['80CA000003010203']);
  });

  it('power on and reset reset the card without a reply; power off only powers down', async () => {
    const { peer, bridge, card } = await setUp();
    const echo = card as EchoCard;
    const resetsAtStart = echo.resets;
    peer.send(CTRL_ON);
    peer.send(CTRL_RESET);
    peer.send(CTRL_OFF);
    // the next request's reply is the first frame: the controls got none
    assert.equal(toHex(await peer.request(CTRL_ATR)), toHex(ATR));
    assert.equal(peer.frames.length, 1);
    assert.equal(echo.resets - resetsAtStart, 2);
    assert.equal(bridge.powered, false);
    peer.send(CTRL_ON);
    await until(() => bridge.powered, 1000, 'power on');
  });

  it('answers pipelined requests in order, from one TCP write', async () => {
    const { peer } = await setUp();
    peer.raw(hex`0001 04  0005 00010203 04  0001 04  0006 0001020300 AB`);
    await until(() => peer.frames.length >= 4, 2000, 'four replies');
    assert.deepEqual(peer.frames.map(toHex), [toHex(ATR), '049000', toHex(ATR), 'AB009000']);
  });

  it('answers a maximal 65535-byte command', async () => {
    const { peer, card } = await setUp();
    // extended case 4: header, Lc 00 FFF6, 65526 data bytes, Le 0000
    const command = concat(hex`80 E8 00 00 00 FF F6`, new Uint8Array(0xfff6).fill(0x11), hex`00 00`);
    assert.equal(command.length, 0xffff);
    const reply = await peer.request(command, 5000);
    assert.equal(reply.length, 0xffff - 4 + 2);
    assert.equal(toHex(reply.subarray(-4)), 'FF009000');
    assert.equal((card as EchoCard).commands.length, 1);
  });

  it('ignores an unknown control byte (like vsmartcard vicc) and keeps the connection', async () => {
    const { peer, faults } = await setUp();
    peer.send(hex`03`);
    assert.equal(toHex(await peer.request(CTRL_ATR)), toHex(ATR));
    assert.deepEqual(faults(), ['unknown-control']);
    assert.equal(peer.closed, false);
  });

  it('answers 6F00 when the card breaks its contract (throws, or returns no status word)', async () => {
    let mode: 'throw' | 'short' = 'throw';
    const card: CardPort = {
      atr: ATR,
      reset: () => ATR,
      process: () => {
        if (mode === 'throw') throw new TypeError('applet bug');
        return hex`90`;
      },
    };
    const { peer, faults } = await setUp({}, card);
    assert.equal(toHex(await peer.request(hex`00 B0 00 00 00`)), '6F00');
    mode = 'short';
    assert.equal(toHex(await peer.request(hex`00 B0 00 00 00`)), '6F00');
    assert.deepEqual(faults(), ['card-error', 'bad-response']);
  });

  it('never logs APDU contents', async () => {
    const { peer, events } = await setUp();
    await peer.request(hex`80 D8 00 81 10 404142434445464748494A4B4C4D4E4F`);
    peer.send(hex`03`);
    peer.raw(hex`0000`);
    await peer.whenClosed();
    const lines = events.map((e) => formatVpcdEvent(e) ?? '').join('\n');
    assert.doesNotMatch(lines, /4041|D800/i);
  });
});

describe('VpcdBridge: hostile and garbled frames', { timeout: 20_000 }, () => {
  it('drops the connection on a zero-length frame, then reconnects', async () => {
    const { fake, peer, faults, bridge } = await setUp();
    peer.raw(hex`0000`);
    await peer.whenClosed();
    assert.deepEqual(faults(), ['empty-frame']);
    const again = await fake.connection(1);
    assert.equal(toHex(await again.request(CTRL_ATR)), toHex(ATR));
    assert.equal(bridge.stats.connections, 2);
  });

  it('drops a frame longer than maxCommandLength without buffering it', async () => {
    const { fake, peer, faults } = await setUp({ maxCommandLength: 261 });
    peer.raw(concat(hex`0106`, new Uint8Array(262)));
    await peer.whenClosed();
    assert.deepEqual(faults(), ['frame-too-long']);
    await fake.connection(1);
  });

  it('reports a frame cut short by the peer closing', async () => {
    const { fake, peer, faults, events } = await setUp();
    peer.raw(hex`012C 00A40400`);
    await new Promise((r) => setTimeout(r, 20));
    peer.socket.end();
    await fake.connection(1);
    assert.deepEqual(faults(), ['truncated-frame']);
    assert.ok(events.some((e) => e.kind === 'disconnected'));
  });

  it('drops a frame that stays incomplete past frameTimeoutMs', async () => {
    const { fake, peer, faults } = await setUp({ frameTimeoutMs: 100 });
    peer.raw(hex`0010 00A4`);
    await peer.whenClosed();
    assert.deepEqual(faults(), ['frame-timeout']);
    await fake.connection(1);
  });

  it('survives 256 KiB of random bytes and still serves the next connection', async () => {
    const { fake, peer, bridge } = await setUp();
    for (let i = 0; i < 4; i++) peer.raw(randomBytes(65536));
    // random lengths either complete frames (answered) or stall or fault: end the stream either way
    await new Promise((r) => setTimeout(r, 50));
    peer.socket.end();
    const next = await fake.connection(1);
    assert.equal(toHex(await next.request(CTRL_ATR)), toHex(ATR));
    assert.ok(bridge.connected);
  });
});

describe('VpcdBridge: connection life cycle', { timeout: 20_000 }, () => {
  it('retries with exponential backoff until pcscd listens', async () => {
    const port = await freePort();
    const events: VpcdBridgeEvent[] = [];
    const bridge = new VpcdBridge(new EchoCard(), { port, reconnectMinMs: 10, reconnectMaxMs: 40, onEvent: (e) => events.push(e) });
    cleanups.push(() => bridge.close());
    bridge.start();
    bridge.start(); // a second start is a no-op
    await until(() => events.filter((e) => e.kind === 'retry').length >= 4, 3000, 'four retries');
    const delays = events.flatMap((e) => (e.kind === 'retry' ? [e.delayMs] : []));
    assert.deepEqual(delays.slice(0, 4), [10, 20, 40, 40]);
    const fake = await FakeVpcd.listen(port);
    cleanups.push(() => fake.stop());
    const peer = await fake.connection(0);
    assert.equal(toHex(await peer.request(CTRL_ATR)), toHex(ATR));
  });

  it('reconnects when pcscd restarts', async () => {
    const { fake, bridge, events } = await setUp();
    await fake.stop();
    await until(() => !bridge.connected, 2000, 'the disconnect');
    await until(() => events.some((e) => e.kind === 'retry'), 2000, 'a failed attempt');
    await fake.restart();
    const peer = await fake.connection(1);
    assert.equal(toHex(await peer.request(CTRL_ATR)), toHex(ATR));
    assert.equal(bridge.stats.connections, 2);
  });

  it('close() ends the connection, stops reconnecting, and is idempotent', async () => {
    const { fake, bridge, peer, events } = await setUp();
    await within(Promise.all([bridge.close(), bridge.close()]), 2000, 'close');
    await peer.whenClosed();
    assert.equal(bridge.connected, false);
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(fake.peers.length, 1, 'no reconnection after close()');
    assert.deepEqual(events.filter((e) => e.kind === 'closed').length, 1);
    bridge.start(); // start after close does nothing
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(fake.peers.length, 1);
  });

  it('close() during backoff cancels the pending retry', async () => {
    const port = await freePort();
    const events: VpcdBridgeEvent[] = [];
    const bridge = new VpcdBridge(new EchoCard(), { port, reconnectMinMs: 1000, onEvent: (e) => events.push(e) });
    bridge.start();
    await until(() => events.some((e) => e.kind === 'retry'), 2000, 'a failed attempt');
    const started = Date.now();
    await within(bridge.close(), 500, 'close during backoff');
    assert.ok(Date.now() - started < 500);
  });

  it('refuses bad options and a card without a usable ATR', () => {
    const card = new EchoCard();
    assert.throws(() => new VpcdBridge(card, { port: 0 }), BytesError);
    assert.throws(() => new VpcdBridge(card, { reconnectMinMs: 100, reconnectMaxMs: 50 }), BytesError);
    assert.throws(() => new VpcdBridge(card, { maxCommandLength: 70000 }), BytesError);
    assert.throws(() => new VpcdBridge({ ...card, atr: hex`3B`, reset: () => hex`3B`, process: () => hex`9000` }), BytesError);
  });
});
