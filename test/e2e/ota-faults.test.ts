/**
 * Issue 7, "How it is checked: Faults", end to end through the real chain: SmsScp81Trigger (keys in
 * a software HSM, durable counters in SQLite) → SmppBearer → SmscSimulator (its `faults`, seeded
 * rates and `intercept` hook inject the faults) → virtualHandset → the virtual UICC's OTA receiver
 * → its SCP81 admin agent → Scp81Bearer, whose transport runs the APDUs.
 *
 * Each fault gets its own card and network. What every test asserts, besides the fault's own outcome:
 *   - the card stays consistent: its SCP80 counter is the highest counter it accepted, its registry
 *     (applications, life cycles, privileges) unchanged, no internal error;
 *   - the TSM's durable counter only grows and no value goes out twice (the MT log and the store);
 *   - a retry uses a fresh counter; the result is a clear typed error or a later session that works;
 *   - nothing runs twice: the card's receipts (each SMS it took), its admin session requests and
 *     sessions, and INITIALIZE UPDATE as the APDU — it moves the ISD's SCP03 sequence counter by
 *     one each time it runs (GPC Amd D §6.2.2.1), so the card's own state counts what it executed.
 * Every wait is bounded; randomness is seeded.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../src/bytes/index.ts';
import { encodeCommand, parseResponse, SW } from '../../src/apdu/index.ts';
import { buildGetData, GET_DATA_TAGS, initializeUpdateCommand } from '../../src/gp/index.ts';
import { unwrapKeyBlock } from '../../src/crypto/index.ts';
import { smsDeliverTpdu, spi as makeSpi, type AdminSessionResult, type Spi } from '../../src/ota/index.ts';
import { DEFAULT_APPLET_LIBRARY, manufactureBatch, MemoryCardStore, STRICT_UICC, VirtualSecureElement, type OtaReceipt } from '../../src/se/index.ts';
import { closeDatabase, getOtaCounter, migrateToLatest, openDatabase, type StoreDb } from '../../src/store/index.ts';
import { SmscSimulator, type SmscMessage, type SmscSimulatorOptions } from '../../src/cli/fleet/smsc-simulator.ts';
import { virtualHandset } from '../../src/cli/fleet/virtual-handset.ts';
import {
  hsmOtaHostKeys,
  Scp81Bearer,
  SmppBearer,
  SmsScp81Trigger,
  TsmError,
  type Scp81Transport,
  type SmsScp81TriggerOptions,
  type SmsStrayPor,
  type SmsTriggerSent,
} from '../../src/tsm/index.ts';
import { importClear } from '../hsm/conformance/fixture.ts';
import { softwareHsm, type SoftwareUnderTest } from '../hsm/software-setup.ts';
import { MASTERS, KEK } from '../se/ota/factory-host.ts';

const PASSWORD = 'Secr3t!';
const POR_TIMEOUT_MS = 700;
const TRIGGER_INTERVAL_MS = 40;
const IDLE_MS = 250;
const BOUND = { timeout: 30_000 };
const SMSC_ORIGINATOR = { digits: '447700900000', typeOfAddress: 0x91 } as const;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const until = async (check: () => boolean, what: string, ms = 8000): Promise<void> => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
};
const isTsm = (code: TsmError['code'], message?: RegExp) => (e: unknown) => e instanceof TsmError && e.code === code && (message === undefined || message.test(e.message));

/** A manufactured UICC seen through the chain: its SE, what it took, what it opened. */
interface Card {
  readonly seId: string;
  readonly msisdn: string;
  readonly se: VirtualSecureElement;
  /** Every SMS the card took, in order (the OTA receiver's receipts). */
  readonly receipts: OtaReceipt[];
  /** Admin sessions the card's agent ran (one per accepted trigger). */
  readonly sessions: Promise<AdminSessionResult>[];
  readonly sessionErrors: Error[];
  /** The registry as it was at issuance. */
  readonly registry: string;
  /** The TSM's counter key set name for the card's SCP80 keys. */
  readonly keySet: string;
}

/** The TSM side and the network of one test. */
interface Net {
  readonly sim: SmscSimulator;
  readonly sms: SmppBearer;
  readonly trigger: SmsScp81Trigger;
  readonly bearer: Scp81Bearer;
  /** Triggers that got their PoR (onSent), strays passed over, bearer errors, SEs reached. */
  readonly sent: SmsTriggerSent[];
  readonly strays: SmsStrayPor[];
  readonly errors: { error: Error; seId: string | undefined }[];
  readonly reached: string[];
  /** Every trigger call the bearer made, settled or not. */
  readonly triggers: Promise<SmsTriggerSent>[];
  /** Every TP-UD the SMSC took from the TSM, in order. */
  readonly mt: Uint8Array[];
  readonly cards: Map<string, { card: Card; target: () => Parameters<typeof hsmOtaHostKeys>[2]; kic: number; kid: number; spi?: Spi }>;
}

describe('OTA faults end to end: SMS trigger → SMSC → handset → card → admin agent → SCP81', { timeout: 90_000 }, () => {
  let t: SoftwareUnderTest;
  let db: StoreDb;
  let batch: ReturnType<typeof manufactureBatch>;
  let nextCard = 0;
  const nets: Net[] = [];

  before(async () => {
    t = await softwareHsm();
    db = await openDatabase(':memory:');
    await migrateToLatest(db);
    batch = manufactureBatch({ profile: STRICT_UICC, count: 16, batchMasterKeys: MASTERS, transportKek: KEK, date: new Date('2026-11-27T12:00:00Z') });
  });

  after(async () => {
    for (const n of nets) await closeNet(n);
    if (db !== undefined) await closeDatabase(db);
    await t?.close();
  });

  async function closeNet(n: Net): Promise<void> {
    await n.bearer.close();
    await Promise.allSettled([...n.cards.values()].flatMap((c) => c.card.sessions));
    await Promise.allSettled(n.triggers);
    await n.sms.close();
    await n.sim.close();
  }

  /** A network: SMSC simulator (with `sim` options and an intercept hook), SMS bearer, trigger, SCP81 bearer. */
  async function network(
    options: { sim?: Partial<SmscSimulatorOptions>; intercept?: (m: SmscMessage) => readonly Uint8Array[] | undefined; trigger?: Partial<SmsScp81TriggerOptions>; adminPath?: string } = {},
  ): Promise<Net> {
    const mt: Uint8Array[] = [];
    const hook = options.intercept;
    const sim = await SmscSimulator.start({
      systemId: 'tsm',
      password: PASSWORD,
      delayMs: 2,
      ...options.sim,
      intercept: (m) => {
        if (m.direction === 'mt') mt.push(m.userData);
        return hook?.(m);
      },
    });
    const sms = new SmppBearer({ host: '127.0.0.1', port: sim.port, systemId: 'tsm', password: PASSWORD, sourceAddress: '12345', responseTimeoutMs: 3000 });
    await sms.connect();
    const cards: Net['cards'] = new Map();
    const sent: SmsTriggerSent[] = [];
    const strays: SmsStrayPor[] = [];
    const smsTrigger = new SmsScp81Trigger({
      db,
      sms,
      porTimeoutMs: POR_TIMEOUT_MS,
      resolve: (seId) => {
        const c = cards.get(seId);
        return c === undefined ? undefined : { msisdn: c.card.msisdn, hostKeys: hsmOtaHostKeys(t.hsm, t.ctx, c.target()), kic: c.kic, kid: c.kid, ...(c.spi === undefined ? {} : { spi: c.spi }) };
      },
      onSent: (e) => void sent.push(e),
      onStrayPor: (e) => void strays.push(e),
      ...options.trigger,
    });
    const triggers: Promise<SmsTriggerSent>[] = [];
    const errors: Net['errors'] = [];
    const bearer = await Scp81Bearer.start({
      hsm: t.hsm,
      ctx: t.ctx,
      // the real trigger; each call recorded so a test can await its outcome
      trigger: {
        trigger: (seId) => {
          const p = smsTrigger.send(seId);
          triggers.push(p);
          return p.then(() => undefined);
        },
      },
      idleMs: IDLE_MS,
      triggerIntervalMs: TRIGGER_INTERVAL_MS,
      ...(options.adminPath === undefined ? {} : { adminPath: options.adminPath }),
      onError: (error, seId) => void errors.push({ error, seId }),
    });
    smsTrigger.attach(bearer);
    const reached: string[] = [];
    bearer.onReachable((seId) => void reached.push(seId));
    const net: Net = { sim, sms, trigger: smsTrigger, bearer, sent, strays, errors, reached, triggers, mt, cards };
    nets.push(net);
    return net;
  }

  /** The next card of the batch on `net`: keys into the HSM, handset registered, PSK expected (a wrong one if asked). */
  async function addCard(net: Net, options: { spi?: Spi; wrongPsk?: boolean } = {}): Promise<Card> {
    const i = nextCard++;
    const issued = batch.cards[i]!;
    const set = batch.keyFile.cards[i]!.scp80[0]!;
    const kic = unwrapKeyBlock(KEK.key, set.kic.keyBlock).key;
    const kid = unwrapKeyBlock(KEK.key, set.kid.keyBlock).key;
    const kicId = (await importClear(t, { usage: 'D0', algorithm: 'A', modeOfUse: 'B', exportability: 'N', label: `OTA KIc ${i}` }, kic)).id;
    const kidId = (await importClear(t, { usage: 'M6', algorithm: 'A', modeOfUse: 'C', exportability: 'N', label: `OTA KID ${i}` }, kid)).id;
    const scp81 = issued.state.ota!.scp81!;
    const pskValue = options.wrongPsk === true ? scp81.key.map((b) => b ^ 0x5a) : scp81.key;
    const psk = await importClear(t, { usage: 'D0', algorithm: 'A', modeOfUse: 'B', exportability: 'N', label: `SCP81 PSK ${i}`, class: 'protocol-memory' }, pskValue);
    const receipts: OtaReceipt[] = [];
    const sessions: Promise<AdminSessionResult>[] = [];
    const sessionErrors: Error[] = [];
    const se: VirtualSecureElement = new VirtualSecureElement(new MemoryCardStore(issued.state), {
      library: DEFAULT_APPLET_LIBRARY,
      onAdminSessionRequest: (request) => {
        const session = se.startAdminSession(request, { retry: { attempts: 0, delayMs: 10 }, timeoutMs: 8000 });
        session.catch((e: unknown) => void sessionErrors.push(e as Error));
        sessions.push(session);
      },
    });
    // observe the card: every SMS it takes and what its receiver did with it
    const receive = se.receiveSms.bind(se);
    se.receiveSms = (tpdu) => {
      const r = receive(tpdu);
      receipts.push(r.receipt);
      return r;
    };
    const card: Card = { seId: `se-fault-${i}`, msisdn: `4477009010${String(i).padStart(2, '0')}`, se, receipts, sessions, sessionErrors, registry: registry(se), keySet: `kic-${set.kicByte.toUpperCase()}/kid-${set.kidByte.toUpperCase()}` };
    net.sim.registerHandset(card.msisdn, virtualHandset(se));
    net.cards.set(card.seId, { card, target: () => ({ kic: kicId, kid: kidId }), kic: parseInt(set.kicByte, 16), kid: parseInt(set.kidByte, 16), ...(options.spi === undefined ? {} : { spi: options.spi }) });
    net.bearer.expect(card.seId, { identity: new TextDecoder().decode(scp81.identity), keyId: psk.id });
    return card;
  }

  /** The registry projected to what a fault must not change. */
  function registry(se: VirtualSecureElement): string {
    const s = se.state;
    return JSON.stringify({ lifecycle: s.lifecycle, apps: s.applications.map((a) => [toHex(a.aid), a.lifecycle, toHex(a.privileges), toHex(a.sdAid)]), loadFiles: s.loadFiles.map((f) => toHex(f.aid)) });
  }
  const otaCounter = (card: Card): number => card.se.state.ota!.scp80[0]!.counter;
  /** The ISD's SCP03 sequence counter: one per INITIALIZE UPDATE the card ran. */
  const isdScpCounter = (card: Card): number => card.se.state.applications.find((a) => toHex(a.aid) === toHex(card.se.state.isdAid))!.sd!.keySets[0]!.counter;
  const processed = (card: Card) => card.receipts.filter((r) => r.kind === 'processed');
  const accepted = (card: Card) => processed(card).filter((r) => r.status === 0);

  /** Invariants every test ends with. */
  async function consistent(net: Net, card: Card, expect: { initializeUpdates: number; sessions: number }): Promise<void> {
    await Promise.allSettled(card.sessions);
    // the card: registry unchanged, no internal error, its counter the highest packet counter it accepted
    assert.equal(registry(card.se), card.registry, 'the registry is unchanged');
    assert.equal(card.se.stats.internalErrors, 0);
    // nothing twice: one session per accepted trigger; each INITIALIZE UPDATE ran once
    assert.equal(card.sessions.length, expect.sessions, 'admin sessions');
    assert.equal(accepted(card).length, expect.sessions, 'one accepted trigger per session');
    assert.ok(accepted(card).every((r) => r.kind === 'processed' && r.executed === 1), 'each accepted trigger ran its one command');
    assert.ok(processed(card).every((r) => r.kind === 'processed' && (r.status === 0 || r.executed === 0)), 'a refused packet ran nothing');
    assert.equal(isdScpCounter(card), expect.initializeUpdates, 'INITIALIZE UPDATE ran exactly as often as the TSM saw it answered');
    // the TSM: counters that got a PoR strictly increase; the store is at or above them and above the card's
    const mine = net.sent.filter((s) => s.seId === card.seId).map((s) => s.counter);
    for (let k = 1; k < mine.length; k++) assert.ok(mine[k]! > mine[k - 1]!, `counters strictly increase: ${mine.join(', ')}`);
    const stored = (await getOtaCounter(db, card.seId, card.keySet)) ?? 0n;
    assert.ok(mine.every((c) => c <= stored), 'the store is at or above every counter sent');
    assert.ok(BigInt(otaCounter(card)) <= stored, 'the card never holds a counter the TSM did not spend');
    // no packet went out twice from the TSM (each carries its own counter)
    assert.equal(new Set(net.mt.map(toHex)).size, net.mt.length, 'the TSM never sent the same packet twice');
  }

  /** INITIALIZE UPDATE (moves the ISD's SCP03 counter) and GET DATA CPLC through the open session; its idle end. */
  async function useSession(net: Net, card: Card): Promise<void> {
    const transport: Scp81Transport | undefined = net.bearer.connect(card.seId);
    assert.ok(transport !== undefined, 'the session is open');
    const iu = parseResponse(await transport.transmit(encodeCommand(initializeUpdateCommand(0, fromHex('0102030405060708')))));
    assert.equal(iu.sw, SW.OK);
    const cplc = parseResponse(await transport.transmit(encodeCommand(buildGetData(GET_DATA_TAGS.CPLC))));
    assert.equal(cplc.sw, SW.OK);
    assert.equal(toHex(cplc.data), `9F7F2A${toHex(card.se.state.cplc)}`);
    const result = await card.sessions.at(-1)!; // the bearer's idle 204 ends it
    assert.equal(result.scripts, 2, 'the two scripts ran once each');
    await until(() => !net.bearer.isOpen(card.seId), 'the session end');
  }

  /**
   * One admin round: connect (which triggers); with `reach` 'yes' wait for the SE and use its
   * session, 'no' only wait for the trigger's outcome, 'maybe' use a session if one opens. Returns
   * the trigger's outcome and whether a session was used.
   */
  async function round(net: Net, card: Card, reach: 'yes' | 'no' | 'maybe' = 'yes'): Promise<{ trigger: PromiseSettledResult<SmsTriggerSent>; used: boolean }> {
    await sleep(TRIGGER_INTERVAL_MS + 5); // the bearer's trigger interval
    const reachedBefore = net.reached.filter((s) => s === card.seId).length;
    const reachedNow = (): boolean => net.reached.filter((s) => s === card.seId).length > reachedBefore;
    const triggersBefore = net.triggers.length;
    assert.equal(net.bearer.connect(card.seId), undefined, 'no session: connect triggers');
    await until(() => net.triggers.length > triggersBefore, 'the trigger');
    let settled: PromiseSettledResult<SmsTriggerSent> | undefined;
    void Promise.allSettled([net.triggers.at(-1)!]).then(([r]) => void (settled = r));
    let used = false;
    if (reach === 'yes') await until(reachedNow, 'the SE reachable');
    if (reach === 'maybe') {
      await until(() => reachedNow() || settled !== undefined, 'the SE reachable or the trigger’s end', 10_000);
      if (!reachedNow() && settled?.status === 'fulfilled') await until(reachedNow, 'the SE reachable after its PoR');
    }
    if (reach !== 'no' && reachedNow()) {
      await useSession(net, card);
      used = true;
    }
    await until(() => settled !== undefined, 'the trigger’s end', 10_000);
    return { trigger: settled!, used };
  }

  it('a clean round: PoR OK, one session, each APDU once (the baseline the faults are measured against)', BOUND, async () => {
    const net = await network();
    const card = await addCard(net);
    const r = await round(net, card);
    assert.equal(r.trigger.status, 'fulfilled');
    assert.equal(net.sent.length, 1);
    assert.equal(net.sent[0]!.counter, 1n);
    assert.equal(otaCounter(card), 1);
    assert.deepEqual(net.errors, []);
    await consistent(net, card, { initializeUpdates: 1, sessions: 1 });
  });

  it('replayed counter: an old trigger replayed by the network is refused (PoR 02), its PoR passed over; the live trigger runs once', BOUND, async () => {
    let replayInto = -1; // set to the next submit_sm number for the second round
    const net = await network({
      intercept: (m) => (m.direction === 'mt' && m.index === replayInto ? [net.mt[0]!, m.userData] : undefined),
    });
    const card = await addCard(net);
    await round(net, card);
    // 1. the captured first trigger replayed on its own: PoR 02 (CNTR low) — secured, since the CC verified — nothing runs
    const alone = card.se.receiveSms(smsDeliverTpdu({ originator: SMSC_ORIGINATOR, moreMessagesWaiting: false, serviceCentreTimeStamp: fromHex('62117261540000'), userData: net.mt[0]! }));
    assert.equal(alone.receipt.kind, 'processed');
    assert.deepEqual(alone.receipt.kind === 'processed' ? [alone.receipt.status, alone.receipt.executed, alone.receipt.error?.code] : [], [0x02, 0, 'ERR_OTA_COUNTER']);
    assert.equal(otaCounter(card), 1);
    await sleep(20);
    assert.equal(card.sessions.length, 1, 'no session from a replay');
    // 2. replayed just before the next live trigger: the card answers PoR 02 then PoR 00; the TSM
    //    passes over the verified PoR of the other packet and takes its own
    replayInto = net.sim.stats.submitted;
    const r = await round(net, card);
    assert.equal(r.trigger.status, 'fulfilled', r.trigger.status === 'rejected' ? String(r.trigger.reason) : '');
    assert.deepEqual(net.strays.map((s) => [s.counter, s.expected, s.status]), [[1n, 2n, 0x02]]);
    assert.deepEqual(net.sent.map((s) => [s.counter, s.porStatus]), [[1n, 0], [2n, 0]]);
    assert.deepEqual(processed(card).map((p) => p.kind === 'processed' && p.status), [0, 0x02, 0x02, 0]);
    assert.equal(otaCounter(card), 2);
    assert.deepEqual(net.errors, []);
    await consistent(net, card, { initializeUpdates: 2, sessions: 2 });
  });

  it('counter too high ("exactly one higher" SPI): a lost SMS leaves a gap, the next trigger is refused with PoR 03 — a clear ERR_TSM_STATE, nothing runs', BOUND, async () => {
    const spi = makeSpi({ rcCcDs: 'cc', ciphered: true, counter: 'one-higher', por: 'required', porRcCcDs: 'cc', porCiphered: true, porVia: 'submit' });
    const faults = new Map<number, 'lose' | 'duplicate'>();
    const net = await network({ sim: { faults } });
    const card = await addCard(net, { spi });
    await round(net, card); // counter 1: one above the card's 0
    assert.equal(otaCounter(card), 1);
    faults.set(net.sim.stats.submitted, 'lose');
    const lost = await round(net, card, 'no');
    assert.ok(lost.trigger.status === 'rejected' && isTsm('ERR_TSM_UNREACHABLE', /no reply/)(lost.trigger.reason));
    const high = await round(net, card, 'no');
    assert.ok(high.trigger.status === 'rejected' && isTsm('ERR_TSM_STATE', /PoR status 03 \(CNTR high\)/)(high.trigger.reason), String(high.trigger.status === 'rejected' && high.trigger.reason));
    // the card: refused 3 (it holds 1), ran nothing; the TSM: 2 and 3 spent, never reused
    assert.deepEqual(processed(card).map((p) => p.kind === 'processed' && [p.status, p.executed]), [[0, 1], [0x03, 0]]);
    assert.equal(otaCounter(card), 1);
    assert.equal(await getOtaCounter(db, card.seId, net.sent[0]!.keySet), 3n);
    assert.ok(net.errors.some((e) => e.seId === card.seId && isTsm('ERR_TSM_STATE', /PoR status 03/)(e.error)), 'the bearer is told');
    await consistent(net, card, { initializeUpdates: 1, sessions: 1 });
  });

  it('wrong CC on the trigger: the card answers an unsecured PoR 01, runs nothing, keeps its counter; the next trigger (fresh counter) works', BOUND, async () => {
    const net = await network({
      intercept: (m) => {
        if (m.direction !== 'mt' || m.index !== 0) return undefined; // the first trigger
        const ud = m.userData.slice();
        ud[ud.length - 1]! ^= 0x01; // a bit of the ciphered CC/data
        return [ud];
      },
    });
    const card = await addCard(net);
    const bad = await round(net, card, 'no');
    assert.ok(bad.trigger.status === 'rejected' && isTsm('ERR_TSM_STATE', /PoR status 01 \(RC\/CC\/DS failed\)/)(bad.trigger.reason), String(bad.trigger.status === 'rejected' && bad.trigger.reason));
    assert.equal(otaCounter(card), 0, 'no counter moves for a packet whose CC fails');
    assert.equal(card.sessions.length, 0);
    const good = await round(net, card);
    assert.equal(good.trigger.status, 'fulfilled');
    assert.deepEqual(net.sent.map((s) => s.counter), [2n], 'the retry used a fresh counter');
    assert.equal(otaCounter(card), 2);
    await consistent(net, card, { initializeUpdates: 1, sessions: 1 });
  });

  it('wrong CC on the PoR: the trigger fails clearly (the PoR does not verify); the card did run it once, its session works, and no second trigger goes out', BOUND, async () => {
    const net = await network({
      intercept: (m) => {
        if (m.direction !== 'mo' || m.index !== 0) return undefined;
        const ud = m.userData.slice();
        ud[ud.length - 1]! ^= 0x01;
        return [ud];
      },
      trigger: { attempts: 3 },
    });
    const card = await addCard(net);
    const r = await round(net, card);
    assert.ok(r.trigger.status === 'rejected' && isTsm('ERR_TSM_STATE', /the PoR does not verify/)(r.trigger.reason));
    assert.equal(net.mt.length, 1, 'a PoR that fails is not retried');
    assert.equal(otaCounter(card), 1);
    await consistent(net, card, { initializeUpdates: 1, sessions: 1 });
  });

  it('truncated or reordered concatenated parts: the card refuses the packet (nothing runs, no PoR), the trigger times out clearly; a fresh counter under a new reference works', BOUND, async () => {
    let mode: 'reorder' | 'truncate' | undefined;
    let held: Uint8Array | undefined;
    const net = await network({
      adminPath: `/scp81/${'a'.repeat(120)}`, // a long admin URI: the trigger takes two SMS
      intercept: (m) => {
        if (m.direction !== 'mt' || mode === undefined) return undefined;
        const part = m.userData;
        const isFirst = part[1] === 0x00 && part[5] === 0x01; // UDHL, IEI 00 (8-bit reference): 03 ref total seq
        if (mode === 'reorder') {
          if (isFirst) {
            held = part;
            return [];
          }
          return [part, held!];
        }
        return isFirst ? [part] : [part.subarray(0, part.length - 4)]; // truncate: the last part short
      },
    });
    const card = await addCard(net);
    mode = 'reorder';
    const reordered = await round(net, card, 'no');
    assert.ok(reordered.trigger.status === 'rejected' && isTsm('ERR_TSM_UNREACHABLE', /no reply/)(reordered.trigger.reason));
    assert.equal(net.mt.length, 2, 'two parts');
    mode = 'truncate';
    const truncated = await round(net, card, 'no');
    assert.ok(truncated.trigger.status === 'rejected' && isTsm('ERR_TSM_UNREACHABLE', /no reply/)(truncated.trigger.reason));
    assert.ok(card.receipts.every((r) => r.kind !== 'processed'), `nothing processed: ${card.receipts.map((r) => r.kind).join(', ')}`);
    assert.ok(card.receipts.some((r) => r.kind === 'discarded'));
    assert.equal(otaCounter(card), 0);
    mode = undefined;
    const good = await round(net, card);
    assert.equal(good.trigger.status, 'fulfilled');
    assert.equal(net.sent.at(-1)!.counter, 3n, 'counters 1 and 2 were spent on the refused packets');
    assert.equal(net.sent.at(-1)!.submitted.parts, 2);
    assert.equal(otaCounter(card), 3);
    await consistent(net, card, { initializeUpdates: 1, sessions: 1 });
  });

  it('a lost PoR: the trigger fails clearly (timeout) and is not repeated (the card ran it: its session opened); the late PoR is passed over during the next trigger, which uses a fresh counter', BOUND, async () => {
    let late: Uint8Array | undefined;
    const net = await network({
      intercept: (m) => {
        if (m.direction !== 'mo') return undefined;
        if (m.index === 0) {
          late = m.userData; // held back by the network…
          return [];
        }
        if (m.index === 1 && late !== undefined) return [late, m.userData]; // …and delivered just before the next PoR
        return undefined;
      },
      trigger: { attempts: 3 },
    });
    const card = await addCard(net);
    const first = await round(net, card);
    assert.ok(first.trigger.status === 'rejected' && isTsm('ERR_TSM_UNREACHABLE', /no reply from the SE within 700 ms/)(first.trigger.reason));
    assert.ok(net.errors.some((e) => e.seId === card.seId && isTsm('ERR_TSM_UNREACHABLE')(e.error)), "the bearer's onError has the typed error");
    assert.equal(net.mt.length, 1, 'no retry: the SE became reachable, so the card had the trigger');
    const second = await round(net, card);
    assert.equal(second.trigger.status, 'fulfilled');
    assert.deepEqual(net.strays.map((s) => [s.counter, s.expected, s.status]), [[1n, 2n, 0]]);
    assert.deepEqual(net.sent.map((s) => s.counter), [2n]);
    assert.equal(otaCounter(card), 2);
    await consistent(net, card, { initializeUpdates: 2, sessions: 2 });
  });

  it('a lost SMS: no PoR, nothing on the card; without retries the trigger fails clearly and the next connect uses a fresh counter; with attempts 2 the trigger sends again itself', BOUND, async () => {
    const faults = new Map<number, 'lose' | 'duplicate'>();
    const net = await network({ sim: { faults } });
    const card = await addCard(net);
    faults.set(0, 'lose');
    const lost = await round(net, card, 'no');
    assert.ok(lost.trigger.status === 'rejected' && isTsm('ERR_TSM_UNREACHABLE', /no reply/)(lost.trigger.reason));
    assert.equal(card.receipts.length, 0, 'the card saw nothing');
    assert.ok(net.errors.some((e) => e.seId === card.seId && isTsm('ERR_TSM_UNREACHABLE')(e.error)));
    const next = await round(net, card);
    assert.equal(next.trigger.status, 'fulfilled');
    assert.deepEqual(net.sent.map((s) => s.counter), [2n]);
    // the same on a trigger that retries by itself (attempts 2): one call, two packets, fresh counter
    const net2 = await network({ sim: { faults: new Map([[0, 'lose']]) }, trigger: { attempts: 2 } });
    const card2 = await addCard(net2);
    const retried = await round(net2, card2);
    assert.equal(retried.trigger.status, 'fulfilled');
    assert.equal(net2.mt.length, 2);
    assert.deepEqual(net2.sent.map((s) => s.counter), [2n]);
    assert.deepEqual(net2.errors, []);
    assert.equal(otaCounter(card2), 2);
    await consistent(net, card, { initializeUpdates: 1, sessions: 1 });
    await consistent(net2, card2, { initializeUpdates: 1, sessions: 1 });
  });

  it('a duplicated SMS: the card runs the trigger once and refuses the copy (PoR 02); one session; the duplicate PoR is never taken for a later trigger', BOUND, async () => {
    const net = await network({ sim: { faults: new Map([[0, 'duplicate']]) } });
    const card = await addCard(net);
    const r = await round(net, card);
    assert.equal(r.trigger.status, 'fulfilled');
    assert.deepEqual(processed(card).map((p) => p.kind === 'processed' && [p.status, p.executed]), [[0, 1], [0x02, 0]]);
    assert.equal(net.sim.stats.duplicated, 1);
    const again = await round(net, card);
    assert.equal(again.trigger.status, 'fulfilled');
    assert.deepEqual(net.sent.map((s) => s.counter), [1n, 2n]);
    assert.equal(otaCounter(card), 2);
    assert.deepEqual(net.errors, []);
    await consistent(net, card, { initializeUpdates: 2, sessions: 2 });
  });

  it('seeded loss and duplication (30 % each, both ways): every round ends in a session or a clear error; counters never reused; nothing runs twice', BOUND, async () => {
    // the network loses or duplicates PoRs too, drawn from its own seeded generator
    let a = 7;
    const random = (): number => {
      a = (a + 0x6d2b79f5) >>> 0;
      let x = Math.imul(a ^ (a >>> 15), 1 | a);
      x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
      return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
    };
    const net = await network({
      sim: { lossRate: 0.3, duplicateRate: 0.3, seed: 42 },
      intercept: (m) => {
        if (m.direction !== 'mo') return undefined;
        const p = random();
        return p < 0.3 ? [] : p < 0.6 ? [m.userData, m.userData] : undefined;
      },
      trigger: { attempts: 3 },
    });
    const card = await addCard(net);
    let initializeUpdates = 0;
    const outcomes: string[] = [];
    for (let k = 0; k < 6; k++) {
      const r = await round(net, card, 'maybe');
      if (r.used) initializeUpdates++;
      if (r.trigger.status === 'rejected') assert.ok(r.trigger.reason instanceof TsmError && ['ERR_TSM_UNREACHABLE', 'ERR_TSM_STATE'].includes(r.trigger.reason.code), String(r.trigger.reason));
      outcomes.push(`${r.trigger.status === 'fulfilled' ? `ok@${r.trigger.value.counter}` : (r.trigger.reason as TsmError).code}${r.used ? '+session' : ''}`);
    }
    console.log(`seeded faults: ${outcomes.join(' ')}; SMSC ${JSON.stringify(net.sim.stats)}; strays ${net.strays.length}`);
    assert.ok(outcomes.some((o) => o.startsWith('ok')), 'some round got through');
    // every packet the card accepted ran once and opened one session; its counter is the highest accepted
    const acceptedCount = accepted(card).length;
    assert.equal(card.sessions.length, acceptedCount);
    assert.ok(otaCounter(card) <= net.mt.length);
    await consistent(net, card, { initializeUpdates, sessions: acceptedCount });
  });

  it('a TLS handshake with the wrong PSK: ERR_OTA_TLS on the card’s agent, a typed error at the bearer’s onError, no session, nothing ran', BOUND, async () => {
    const net = await network();
    const card = await addCard(net, { wrongPsk: true });
    const r = await round(net, card, 'no');
    assert.equal(r.trigger.status, 'fulfilled', 'the SMS side worked: PoR OK');
    await until(() => card.sessionErrors.length === 1, 'the agent’s failure');
    assert.equal((card.sessionErrors[0] as { code?: string }).code, 'ERR_OTA_TLS');
    await until(() => net.errors.some((e) => (e.error as { code?: string }).code === 'ERR_OTA_TLS'), 'the bearer’s onError');
    assert.deepEqual(net.reached, []);
    assert.equal(net.bearer.isOpen(card.seId), false);
    assert.equal(otaCounter(card), 1, 'the trigger itself was accepted');
    await consistent(net, card, { initializeUpdates: 0, sessions: 1 });
  });
});
