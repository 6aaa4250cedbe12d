/**
 * `npm run bench:se`: the virtual SE's card manager under SCP03 at the full security level (C-MAC,
 * C-DECRYPTION, R-MAC, R-ENCRYPTION; SL 33), in process, beside references measured in the same run:
 * - the same command with no secure channel (what the card OS and GP handler cost by themselves);
 * - the bare node:crypto work of one SL 33 round trip (host and card each: one AES-CBC encryption
 *   and one CMAC of the command, one AES-CBC and one CMAC of the response).
 * Over PC/SC too (pcscd with vsmartcard's vpcd must be running, as `npm run test:services` sets it
 * up): the same SL 33 command through libpcsclite, pcscd and the vpcd bridge.
 * Then the memory one personalized card takes, from a fleet built in this process.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { fromHex } from '../src/bytes/index.ts';
import { encodeCommand, type ApduTransport } from '../src/apdu/index.ts';
import { buildGetData, buildSelect, GET_DATA_TAGS, openScp03, plainScp03Keys } from '../src/gp/index.ts';
import { DEFAULT_APPLET_LIBRARY, MemoryCardStore, STRICT_ESE, STRICT_UICC, VirtualSecureElement, manufactureBatch, newCardState } from '../src/se/index.ts';
import type { connectPcsc as ConnectPcscFn } from '../src/cli/transport/pcsc.ts';

type ConnectPcsc = typeof ConnectPcscFn;

const ISD = fromHex('A000000151000000');
const keys = { kvn: 0x30, enc: new Uint8Array(randomBytes(16)), mac: new Uint8Array(randomBytes(16)), dek: new Uint8Array(randomBytes(16)) };

function newCard(): VirtualSecureElement {
  const cplc = new Uint8Array(randomBytes(42));
  return new VirtualSecureElement(new MemoryCardStore(newCardState({ profile: STRICT_ESE, isdKeys: keys, cplc, kdd: new Uint8Array(randomBytes(10)) })));
}

function transport(card: VirtualSecureElement): ApduTransport {
  return { transmit: (c) => Promise.resolve(card.process(c)) };
}

async function rate(label: string, seconds: number, step: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 200; i++) await step();
  let n = 0;
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 100; i++) await step();
    n += 100;
  }
  const perSecond = n / seconds;
  process.stderr.write(`  ${label}: ${Math.round(perSecond)} APDU/s\n`);
  return perSecond;
}

function cryptoFloor(): () => Promise<void> {
  const k = randomBytes(16);
  const iv = Buffer.alloc(16);
  const cmd = randomBytes(32);
  const macIn = randomBytes(64);
  const cbc = (data: Buffer) => {
    const c = createCipheriv('aes-128-cbc', k, iv);
    c.setAutoPadding(false);
    c.update(data);
    c.final();
  };
  // host and card: encrypt + MAC the command, encrypt + MAC the response
  return () => {
    for (let i = 0; i < 4; i++) {
      cbc(cmd);
      cbc(macIn);
    }
    return Promise.resolve();
  };
}

/** APDU/s of GET DATA at SL 33 through pcscd + vpcd (reader "Virtual PCD 00 01"), or why not. */
async function overPcsc(seconds: number): Promise<number | string> {
  const { VpcdBridge } = await import('../src/se/index.ts');
  let connectPcsc: ConnectPcsc;
  try {
    ({ connectPcsc } = await import('../src/cli/transport/pcsc.ts'));
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  const card = newCard();
  const bridge = new VpcdBridge(card, { port: 35964, onEvent: () => undefined });
  bridge.start();
  try {
    let reader: Awaited<ReturnType<typeof connectPcsc>> | undefined;
    const deadline = Date.now() + 10_000;
    while (reader === undefined) {
      try {
        reader = await connectPcsc('Virtual PCD 00 01');
      } catch (e) {
        if (Date.now() > deadline) return e instanceof Error ? e.message : String(e);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    try {
      await reader.transmit(encodeCommand(buildSelect(ISD)));
      const session = await openScp03(reader, plainScp03Keys({ keyVersion: keys.kvn, enc: keys.enc, mac: keys.mac, dek: keys.dek }), { securityLevel: 0x33, sdAid: ISD });
      const getData = buildGetData(GET_DATA_TAGS.KEY_INFORMATION);
      return await rate('GET DATA under SCP03 SL 33 over PC/SC (pcscd + vpcd)', seconds, () => session.transmit(getData));
    } finally {
      await reader.close();
    }
  } finally {
    await bridge.close();
  }
}

async function main(): Promise<void> {
  const seconds = Number(process.env.BENCH_SECONDS ?? 3);
  console.log(`OpenTSM virtual SE benchmark (node ${process.version})\n`);
  const plainCard = newCard();
  const plainGetData = encodeCommand(buildGetData(GET_DATA_TAGS.KEY_INFORMATION));
  plainCard.process(encodeCommand(buildSelect(ISD)));
  const plain = await rate('GET DATA, no secure channel', seconds, () => Promise.resolve(plainCard.process(plainGetData)));

  const card = newCard();
  const t = transport(card);
  await t.transmit(encodeCommand(buildSelect(ISD)));
  const session = await openScp03(t, plainScp03Keys({ keyVersion: keys.kvn, enc: keys.enc, mac: keys.mac, dek: keys.dek }), { securityLevel: 0x33, sdAid: ISD });
  const getData = buildGetData(GET_DATA_TAGS.KEY_INFORMATION);
  const scp = await rate('GET DATA under SCP03 SL 33 (host wrap + card unwrap/wrap + host unwrap)', seconds, () => session.transmit(getData));
  const floor = await rate('crypto floor of one SL 33 round trip (8 AES-CBC passes)', seconds, cryptoFloor());

  console.log('operation                                   APDU/s   vs no SCP   vs crypto floor');
  console.log(`GET DATA, no secure channel              ${plain.toFixed(0).padStart(9)}        1.00×`);
  console.log(`GET DATA, SCP03 SL 33, host+card         ${scp.toFixed(0).padStart(9)}   ${(scp / plain).toFixed(2).padStart(8)}×   ${(floor / scp).toFixed(2).padStart(8)}× slower`);

  const pcsc = await overPcsc(seconds);
  if (typeof pcsc === 'number') console.log(`GET DATA, SCP03 SL 33, over PC/SC       ${pcsc.toFixed(0).padStart(9)}   ${(pcsc / plain).toFixed(2).padStart(8)}×`);
  else console.log(`GET DATA, SCP03 SL 33, over PC/SC        not measured: ${pcsc}`);

  // The fleet: factory-made UICCs as an operator holds them — ISD keys diversified per card, an
  // ARA-M, SCP80 OTA key sets and an SCP81 PSK — each selected and answering commands.
  const fleet = Number(process.env.BENCH_FLEET ?? 10_000);
  globalThis.gc?.();
  const before = process.memoryUsage();
  const batch = manufactureBatch({
    profile: STRICT_UICC,
    count: fleet,
    batchMasterKeys: { enc: new Uint8Array(randomBytes(16)), mac: new Uint8Array(randomBytes(16)), dek: new Uint8Array(randomBytes(16)) },
    transportKek: { algorithm: 'aes', key: new Uint8Array(randomBytes(32)) },
    withAraM: true,
  });
  const states = batch.cards.map((c) => c.state); // the key file is dropped with `batch`
  const cards: VirtualSecureElement[] = [];
  for (let i = 0; i < fleet; i++) {
    const c = new VirtualSecureElement(new MemoryCardStore(states[i]!), { library: DEFAULT_APPLET_LIBRARY });
    c.process(encodeCommand(buildSelect(ISD)));
    c.process(encodeCommand(buildGetData(GET_DATA_TAGS.CPLC)));
    cards.push(c);
    if (i % 1000 === 999) process.stderr.write(`\r  building fleet: ${i + 1}/${fleet}`);
  }
  process.stderr.write('\n');
  globalThis.gc?.();
  const after = process.memoryUsage();
  const perCard = (after.heapUsed + after.external + after.arrayBuffers - before.heapUsed - before.external - before.arrayBuffers) / fleet;
  console.log(`\nmemory: ${fleet} factory-made UICCs (ISD, ARA-M, OTA key sets, PSK) in one process, ${(perCard / 1024).toFixed(1)} KiB per card (heap + external), RSS ${(after.rss / 2 ** 20).toFixed(0)} MiB`);
  console.log(`        a 10,000-card fleet: ~${((perCard * 10_000) / 2 ** 20).toFixed(0)} MiB`);
  if (cards.length !== fleet) throw new Error('unreachable');
}

await main();
