/**
 * `npm run bench:phone`: what the phone side costs over the raw SE terminal below it, each figure
 * beside its floor measured in the same run (alternating rounds, the fastest of each kept):
 * - one APDU through an open OMAPI channel (lock, APDU filter, CLA channel bits) vs the same APDU
 *   sent straight to the terminal on an open logical channel;
 * - a whole OMAPI channel (access decision with the rules cached: the ARA-M's refresh tag read on its
 *   own channel; MANAGE CHANNEL, SELECT, one APDU, close) vs the same four APDUs sent raw;
 * - the same with a cold rule cache (the ARA-M's whole FF40 listing read again);
 * - a wallet's card view (state, ATC, transaction log) through OMAPI;
 * - a PIN block from the TEE process (trusted input typed by the platform, ENTER_PIN over the TEE
 *   Client API's socket) vs the ISO 9564-1 format 4 encipherment alone in this process.
 * The card is the card world's virtual eSE (test/tsm/provisioning/card/fixture.ts) deployed by the
 * TSM's card operations, so its ARA-M holds the deploy's rule.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fromHex } from '../src/bytes/index.ts';
import {
  AraEnforcer, SEService, SigningIdentity, TeePinPad, WalletApp, claOnChannel, manufactureTee, startTee, virtualSeTerminal,
  type SeTerminal,
} from '../src/device/index.ts';
import { encipherPinBlockIso4 } from '../src/emv/index.ts';
import { deploy, cardWorld, visaCard, VISA_STYLE_AID, withIsd } from '../test/tsm/provisioning/card/fixture.ts';
import { writeAccessRule } from '../src/tsm/provisioning/card/index.ts';
import { TEE_KIF_LABEL, enrollTee as issuerEnrollsTee } from '../src/tsm/index.ts';
import { importClear } from '../test/hsm/conformance/fixture.ts';
import type { CardWorld } from '../test/tsm/provisioning/card/fixture.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 300);
const GET_ATC = fromHex('80CA9F3600');

interface Row { readonly name: string; readonly floorName: string; readonly opUs: number; readonly floorUs: number }

/** Microseconds per call of `fn`: runs it for about ROUND_MS and returns the mean. */
async function round(fn: () => Promise<unknown>): Promise<number> {
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < ROUND_MS) {
    await fn();
    n++;
  }
  return ((performance.now() - start) * 1000) / n;
}

/** Alternating rounds of `op` and `floor`; the fastest round of each. */
async function pair(name: string, op: () => Promise<unknown>, floorName: string, floor: () => Promise<unknown>): Promise<Row> {
  for (let i = 0; i < 20; i++) {
    await op();
    await floor();
  }
  let opUs = Infinity;
  let floorUs = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    opUs = Math.min(opUs, await round(op));
    floorUs = Math.min(floorUs, await round(floor));
  }
  const row = { name, floorName, opUs, floorUs };
  print(row);
  return row;
}

function print(r: Row): void {
  const per = (us: number): string => `${(1e6 / us).toFixed(0).padStart(7)}/s ${us.toFixed(1).padStart(8)} µs`;
  console.log(`${r.name.padEnd(46)} ${per(r.opUs)}   ${r.floorName.padEnd(40)} ${per(r.floorUs)}   ×${(r.opUs / r.floorUs).toFixed(2)}`);
}

/** Raw logical channel on the terminal: MANAGE CHANNEL open, SELECT the applet; returns the channel number. */
async function rawOpen(terminal: SeTerminal, aid: Uint8Array): Promise<number> {
  const open = await terminal.transmit(fromHex('0070000001'));
  const channel = open[0]!;
  await terminal.transmit(Uint8Array.of(claOnChannel(0, channel), 0xa4, 0x04, 0x00, aid.length, ...aid, 0x00));
  return channel;
}

/** Manufactures a TEE in `storageDir` and enrolls it with the issuer's HSM (the KIF KEK from a ceremony); its PEK block. */
async function enrollTee(cw: CardWorld, storageDir: string): Promise<{ readonly pinKey: string; readonly keyBlock: string }> {
  const kifKek = new Uint8Array(randomBytes(16));
  const t = cw.world.t;
  await importClear(t, { usage: 'K1', algorithm: 'A', modeOfUse: 'B', exportability: 'N', label: TEE_KIF_LABEL }, kifKek);
  const made = manufactureTee({ storageDir, kifKek });
  const enrolled = await issuerEnrollsTee(t.hsm, t.ctx, { teeId: made.teeId, kbpkBlock: made.kbpkBlock });
  if (enrolled.keyBlock === undefined) throw new Error("a fresh TEE enrolls with a key block");
  return { pinKey: enrolled.pinKey, keyBlock: enrolled.keyBlock };
}

async function main(): Promise<void> {
  const wallet = SigningIdentity.create({ packageName: 'com.opentsm.bench.wallet' });
  const cw = await cardWorld(1);
  const phone = cw.phones[0]!;
  const card = visaCard(cw.world);
  await deploy(cw, phone, card);
  await withIsd(cw, phone, (isd) => writeAccessRule(isd, phone.record.araAid!, { aid: VISA_STYLE_AID, certHash: wallet.certificateHash() }));
  const terminal = virtualSeTerminal('eSE1', phone.se);
  const service = new SEService({ terminals: [terminal], enforcer: new AraEnforcer(), app: wallet.deviceApp() });
  await service.connected;
  const session = await service.getReaders()[0]!.openSession();

  console.log(`phone side — ${ROUNDS} alternating rounds of ${ROUND_MS} ms, fastest kept; virtual eSE in this process`);
  const rows: Row[] = [];
  const channel = await session.openLogicalChannel(VISA_STYLE_AID);
  if (channel === null) throw new Error('no logical channel');
  const rawChannel = await rawOpen(terminal, VISA_STYLE_AID);
  const rawGetAtc = Uint8Array.of(claOnChannel(0x80, rawChannel), ...GET_ATC.subarray(1));
  rows.push(await pair('OMAPI transmit (GET DATA ATC)', () => channel.transmit(GET_ATC), 'terminal transmit, same APDU', () => terminal.transmit(rawGetAtc)));
  await channel.close();

  const rawLifecycle = async (): Promise<void> => {
    const n = await rawOpen(terminal, VISA_STYLE_AID);
    await terminal.transmit(Uint8Array.of(claOnChannel(0x80, n), ...GET_ATC.subarray(1)));
    await terminal.transmit(Uint8Array.of(0x00, 0x70, 0x80, n));
  };
  const omapiLifecycle = async (s = session): Promise<void> => {
    const c = await s.openLogicalChannel(VISA_STYLE_AID);
    await c!.transmit(GET_ATC);
    await c!.close();
  };
  rows.push(await pair('OMAPI channel: rules cached (refresh tag)', () => omapiLifecycle(), 'raw open+SELECT+APDU+close', rawLifecycle));
  rows.push(await pair('OMAPI channel: cold rule cache (FF40 read)', async () => {
    const cold = new SEService({ terminals: [terminal], enforcer: new AraEnforcer(), app: wallet.deviceApp() });
    await cold.connected;
    await omapiLifecycle(await cold.getReaders()[0]!.openSession());
    await cold.shutdown();
  }, 'raw open+SELECT+APDU+close', rawLifecycle));
  const app = new WalletApp({ identity: wallet, seService: service, paymentAid: VISA_STYLE_AID });
  rows.push(await pair('wallet card view (state, ATC, log)', () => app.cardView(), 'raw open+SELECT+APDU+close', rawLifecycle));

  // The TEE: a real child process; the PEK comes from the issuer's HSM through the enrollment.
  const storageDir = mkdtempSync(join(tmpdir(), 'opentsm-bench-tee-'));
  const tee = await (async () => {
    const made = await enrollTee(cw, storageDir);
    const handle = await startTee({ storageDir });
    const pad = await TeePinPad.open(handle.endpoint);
    await pad.provisionPek(made.pinKey, made.keyBlock);
    return { handle, pad, pek: new Uint8Array(randomBytes(16)) };
  })();
  try {
    const pan = card.pan;
    const pin = '48213907';
    const typed = async (): Promise<unknown> => {
      const prompted = tee.handle.touchscreen.nextPrompt();
      const asked = tee.pad.encryptedPinBlock(pan);
      await prompted;
      tee.handle.touchscreen.enter(pin);
      return asked;
    };
    rows.push(await pair('TEE PIN block (process, trusted input)', typed, 'format 4 encipherment in-process', () => Promise.resolve(encipherPinBlockIso4(tee.pek, pin, pan, { random: (n) => new Uint8Array(randomBytes(n)) }))));
  } finally {
    await tee.pad.close();
    await tee.handle.stop();
    rmSync(storageDir, { recursive: true, force: true });
  }
  await service.shutdown();
  await cw.close();
  console.log(`\nsummary: ${rows.map((r) => `${r.name.split(' (')[0]} ×${(r.opUs / r.floorUs).toFixed(1)}`).join(' · ')}`);
}

await main();
