/**
 * `npm run bench:relay`: APDU round trips over the wallet relay (a RelayAgent in front of a virtual
 * SE, a RelayHub behind attachRelay on 127.0.0.1, real WebSockets) beside the same commands over a
 * direct in-process transport, in the same run:
 * - direct: SELECT ISD through an in-process ApduTransport (the floor);
 * - relay, one APDU per batch (`transmit`): one WebSocket round trip per command;
 * - relay, batches of 32 (`transmitBatch`): what a job that sends a script gets.
 * Both ends run in this one process, so the figures include the agent's and the hub's work on one
 * event loop; on a phone the agent's half runs elsewhere and the network adds its latency.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { encodeCommand, type ApduTransport } from '../src/apdu/index.ts';
import { fromHex } from '../src/bytes/index.ts';
import { RelayAgent } from '../src/device/index.ts';
import { buildSelect } from '../src/gp/index.ts';
import { MemoryAuditSink, MemoryKeyRecordStore, SoftwareHsm, generateLmk } from '../src/hsm/index.ts';
import { MemoryCardStore, STRICT_ESE, VirtualSecureElement, newCardState } from '../src/se/index.ts';
import { attachRelay, RelayHub, RelayTokens } from '../src/tsm/index.ts';

const ISD = fromHex('A000000151000000');
const SELECT_ISD = encodeCommand(buildSelect(ISD));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);

function newCard(): ApduTransport {
  const keys = { kvn: 0x30, enc: new Uint8Array(randomBytes(16)), mac: new Uint8Array(randomBytes(16)), dek: new Uint8Array(randomBytes(16)) };
  const card = new VirtualSecureElement(new MemoryCardStore(newCardState({ profile: STRICT_ESE, isdKeys: keys, cplc: new Uint8Array(randomBytes(42)), kdd: new Uint8Array(randomBytes(10)) })));
  return { transmit: (c) => Promise.resolve(card.process(c)) };
}

/** Runs `step` (which sends `apdusPerStep` APDUs) for SECONDS after a warm-up; returns APDUs per second. */
async function rate(label: string, apdusPerStep: number, step: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 100; i++) await step();
  let steps = 0;
  const start = performance.now();
  const end = start + SECONDS * 1000;
  while (performance.now() < end) {
    await step();
    steps++;
  }
  const perSecond = (steps * apdusPerStep * 1000) / (performance.now() - start);
  console.log(`${label.padEnd(44)} ${perSecond.toFixed(0).padStart(9)} APDUs/s  (${((1000 * SECONDS) / steps).toFixed(3)} ms per round trip)`);
  return perSecond;
}

async function main(): Promise<void> {
  const hsm = new SoftwareHsm({ lmk: generateLmk(), store: new MemoryKeyRecordStore(), audit: new MemoryAuditSink() });
  const tokens = new RelayTokens(hsm);
  const hub = new RelayHub();
  const server = createServer((_req, res) => res.writeHead(404).end());
  const attachment = attachRelay(server, hub, { tokens });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/v1/relay`;
  const agent = new RelayAgent({ url, seId: 'bench-se', token: await tokens.issue('bench-se'), card: newCard(), reconnect: false });
  const connected = once(agent, 'connected');
  const reachable = new Promise<void>((resolve) => hub.onReachable(() => resolve()));
  agent.start();
  await Promise.all([connected, reachable]);
  const relay = hub.connect('bench-se');
  if (relay === undefined) throw new Error('the agent did not connect');

  const direct = newCard();
  const batch = Array.from({ length: 32 }, () => SELECT_ISD);
  console.log(`wallet relay over WebSockets on 127.0.0.1, SELECT ISD (${SELECT_ISD.length}-byte command), ${SECONDS} s each`);
  const floor = await rate('direct in-process transport', 1, () => direct.transmit(SELECT_ISD));
  const single = await rate('relay, 1 APDU per batch (transmit)', 1, () => relay.transmit(SELECT_ISD));
  const batched = await rate('relay, 32 APDUs per batch (transmitBatch)', 32, () => relay.transmitBatch(batch));
  console.log(`relay/direct: ${(floor / single).toFixed(0)}x slower per single APDU, ${(floor / batched).toFixed(1)}x slower batched`);

  await agent.stop();
  await hub.close();
  await attachment.close();
  server.close();
  hsm.close();
}

await main();
