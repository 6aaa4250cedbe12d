/**
 * SmsScp81Trigger end to end on loopback, every wait bounded: a software HSM holds the card's KIc,
 * KID and SCP81 PSK; counters come from a migrated SQLite store; the trigger goes through
 * SmppBearer to the fleet's SMSC simulator, whose handset wraps it in an SMS-DELIVER for a
 * manufactured virtual UICC (STRICT_UICC, AES OTA keys) and answers with the card's PoR; the card's
 * onAdminSessionRequest starts its admin agent, the Scp81Bearer sees the SE reachable and a SELECT
 * ISD and a GET DATA CPLC run through it. A second trigger uses a higher counter; an unknown SE spends no counter; a
 * PoR the card refuses (wrong KID) is ERR_TSM_STATE. Then, against a scripted SMS bearer: a verified
 * PoR of another packet is passed over, and `attempts` sends again with a fresh counter only while
 * the SE has not become reachable (test/e2e/ota-faults.test.ts runs the same faults through the SMSC).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../../src/bytes/index.ts';
import { encodeCommand, parseResponse, SW } from '../../../src/apdu/index.ts';
import { buildGetData, buildSelect, GET_DATA_TAGS } from '../../../src/gp/index.ts';
import { unwrapKeyBlock } from '../../../src/crypto/index.ts';
import type { AdminSessionResult } from '../../../src/ota/index.ts';
import { DEFAULT_APPLET_LIBRARY, manufactureBatch, MemoryCardStore, STRICT_UICC, VirtualSecureElement } from '../../../src/se/index.ts';
import { closeDatabase, getOtaCounter, migrateToLatest, openDatabase, type StoreDb } from '../../../src/store/index.ts';
import { SmscSimulator } from '../../../src/cli/fleet/smsc-simulator.ts';
import { virtualHandset } from '../../../src/cli/fleet/virtual-handset.ts';
import { buildResponsePacket, encodeResponseScript } from '../../../src/ota/index.ts';
import {
  counterBytes,
  DEFAULT_TRIGGER_SPI,
  hsmOtaHostKeys,
  Scp81Bearer,
  SmppBearer,
  SmsScp81Trigger,
  TsmError,
  type MoSms,
  type SmsStrayPor,
  type SmsSubmitted,
  type SmsTriggerSent,
} from '../../../src/tsm/index.ts';
import { importClear } from '../../hsm/conformance/fixture.ts';
import { softwareHsm, type SoftwareUnderTest } from '../../hsm/software-setup.ts';
import { MASTERS, KEK } from '../../se/ota/factory-host.ts';

const SE = 'se-ota-0001';
const MSISDN = '447700900777';
const PASSWORD = 'Secr3t!';
const ISD = STRICT_UICC.isdAid;
const BOUND = { timeout: 20_000 };

const until = async (check: () => boolean, what: string, ms = 8000): Promise<void> => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('SmsScp81Trigger: SMS through the SMSC wakes the card’s agent, the SCP81 bearer reaches it', BOUND, () => {
  let t: SoftwareUnderTest;
  let db: StoreDb;
  let sim: SmscSimulator;
  let sms: SmppBearer;
  let bearer: Scp81Bearer;
  let trigger: SmsScp81Trigger;
  let se: VirtualSecureElement;
  let kicByte: number;
  let kidByte: number;
  let kicId: string;
  let kidId: string;
  let wrongKidId: string;
  const sent: SmsTriggerSent[] = [];
  const sessions: Promise<AdminSessionResult>[] = [];
  const reached: string[] = [];
  const errors: Error[] = [];
  let useWrongKid = false;

  before(async () => {
    const batch = manufactureBatch({ profile: STRICT_UICC, count: 1, batchMasterKeys: MASTERS, transportKek: KEK, date: new Date('2026-11-27T12:00:00Z') });
    const card = batch.cards[0]!;
    const set = batch.keyFile.cards[0]!.scp80[0]!;
    kicByte = parseInt(set.kicByte, 16);
    kidByte = parseInt(set.kidByte, 16);
    t = await softwareHsm();
    const kicKey = unwrapKeyBlock(KEK.key, set.kic.keyBlock).key;
    const kidKey = unwrapKeyBlock(KEK.key, set.kid.keyBlock).key;
    kicId = (await importClear(t, { usage: 'D0', algorithm: 'A', modeOfUse: 'B', exportability: 'N', label: 'OTA KIc' }, kicKey)).id;
    kidId = (await importClear(t, { usage: 'M6', algorithm: 'A', modeOfUse: 'C', exportability: 'N', label: 'OTA KID' }, kidKey)).id;
    wrongKidId = (await importClear(t, { usage: 'M6', algorithm: 'A', modeOfUse: 'C', exportability: 'N', label: 'wrong KID' }, kidKey.map((b) => b ^ 0x5a))).id;
    const scp81 = card.state.ota!.scp81!;
    const psk = await importClear(t, { usage: 'D0', algorithm: 'A', modeOfUse: 'B', exportability: 'N', label: 'SCP81 PSK', class: 'protocol-memory' }, scp81.key);

    db = await openDatabase(':memory:');
    await migrateToLatest(db);

    se = new VirtualSecureElement(new MemoryCardStore(card.state), {
      library: DEFAULT_APPLET_LIBRARY,
      onAdminSessionRequest: (request) => {
        const session = se.startAdminSession(request, { retry: { attempts: 0, delayMs: 10 }, timeoutMs: 5000 });
        session.catch(() => undefined); // awaited by the test that expects it
        sessions.push(session);
      },
    });
    sim = await SmscSimulator.start({ systemId: 'tsm', password: PASSWORD, delayMs: 2 });
    // the handset: the SMSC's TP-UD in an SMS-DELIVER to the card; the card's PoR (SMS-SUBMIT TP-UD) back
    sim.registerHandset(MSISDN, virtualHandset(se));
    sms = new SmppBearer({ host: '127.0.0.1', port: sim.port, systemId: 'tsm', password: PASSWORD, sourceAddress: '12345', responseTimeoutMs: 3000 });
    await sms.connect();

    trigger = new SmsScp81Trigger({
      db,
      sms,
      porTimeoutMs: 5000,
      resolve: (seId) =>
        seId === SE ? { msisdn: MSISDN, hostKeys: hsmOtaHostKeys(t.hsm, t.ctx, { kic: kicId, kid: useWrongKid ? wrongKidId : kidId }), kic: kicByte, kid: kidByte } : undefined,
      onSent: (e) => void sent.push(e),
    });
    bearer = await Scp81Bearer.start({ hsm: t.hsm, ctx: t.ctx, trigger, idleMs: 300, triggerIntervalMs: 1, onError: (e) => void errors.push(e) });
    trigger.attach(bearer);
    bearer.expect(SE, { identity: new TextDecoder().decode(scp81.identity), keyId: psk.id });
    bearer.onReachable((seId) => void reached.push(seId));
  });

  after(async () => {
    await bearer?.close();
    await Promise.allSettled(sessions);
    await sms?.close();
    await sim?.close();
    if (db !== undefined) await closeDatabase(db);
    await t?.close();
  });

  async function reach(n: number): Promise<void> {
    assert.equal(bearer.connect(SE), undefined, 'no session yet: connect triggers');
    await until(() => reached.length === n, `the SE reachable (#${n})`);
    assert.deepEqual(errors, []);
    const transport = bearer.connect(SE);
    assert.ok(transport !== undefined);
    // the agent runs each script on its SD, already the target (docs/scp81.md): the SELECT gets an answer
    // through the bearer (the virtual SE's SD answers 6A82, SELECT not being dispatched there); GET DATA CPLC is the SD's
    const select = parseResponse(await transport.transmit(encodeCommand(buildSelect(ISD))));
    assert.ok(select.sw === SW.OK || select.sw === 0x6a82, `SELECT ISD: SW ${select.sw.toString(16)}`);
    const cplc = parseResponse(await transport.transmit(encodeCommand(buildGetData(GET_DATA_TAGS.CPLC))));
    assert.equal(cplc.sw, SW.OK);
    assert.equal(toHex(cplc.data), `9F7F2A${toHex(se.state.cplc)}`);
    const result = await sessions[n - 1]!; // the bearer's idle 204 ends the session
    assert.equal(result.scripts, 2);
    await until(() => !bearer.isOpen(SE) && sent.length === n, 'the session end and the PoR');
  }

  it('the first trigger: counter 1, PoR OK; the card opens its session, SELECT ISD runs through the bearer', async () => {
    await reach(1);
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.counter, 1n);
    assert.equal(sent[0]!.porStatus, 0);
    assert.equal(sent[0]!.submitted.parts, 1);
    assert.equal(await getOtaCounter(db, SE, sent[0]!.keySet), 1n);
    assert.equal(sessions.length, 1);
  });

  it('a second trigger uses a higher counter and works again', async () => {
    await reach(2);
    assert.equal(sent.length, 2);
    assert.equal(sent[1]!.counter, 2n);
    assert.equal(sent[1]!.keySet, sent[0]!.keySet);
    assert.equal(sent[1]!.porStatus, 0);
  });

  it('an unknown SE: ERR_TSM_NOT_FOUND, no counter spent', async () => {
    await assert.rejects(trigger.send('se-unknown'), (e: unknown) => e instanceof TsmError && e.code === 'ERR_TSM_NOT_FOUND');
    assert.equal(await getOtaCounter(db, 'se-unknown', sent[0]!.keySet), undefined);
  });

  it('a packet the card refuses (wrong KID): ERR_TSM_STATE from the PoR, no session; the counter still moved on', async () => {
    useWrongKid = true;
    try {
      await assert.rejects(trigger.send(SE), (e: unknown) => e instanceof TsmError && e.code === 'ERR_TSM_STATE' && /PoR/.test(e.message) && !e.message.includes(MSISDN));
    } finally {
      useWrongKid = false;
    }
    assert.equal(await getOtaCounter(db, SE, sent[0]!.keySet), 3n);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(sessions.length, 2, 'nothing opened');
    // the next trigger (through the bearer, which loads the PSK first) goes on above it
    await reach(3);
    assert.equal(sent.at(-1)!.counter, 4n);
    assert.equal(sent.at(-1)!.porStatus, 0);
  });

  it('counterBytes: 5 bytes, big-endian, bounded', () => {
    assert.equal(toHex(counterBytes(0x0102030405n)), '0102030405');
    assert.throws(() => counterBytes(1n << 40n), (e: unknown) => e instanceof TsmError && e.code === 'ERR_TSM_REQUEST');
  });
});

describe('SmsScp81Trigger faults, against a scripted SMS bearer', BOUND, () => {
  const KIC = fromHex('000102030405060708090A0B0C0D0E0F');
  const KID = fromHex('101112131415161718191A1B1C1D1E1F');
  const KEY_BYTE = 0x12; // key set 1, AES (CBC for KIc, CMAC for KID)
  const SE2 = 'se-ota-scripted';
  let t: SoftwareUnderTest;
  let db: StoreDb;
  let ids: { kic: string; kid: string };

  before(async () => {
    t = await softwareHsm();
    ids = {
      kic: (await importClear(t, { usage: 'D0', algorithm: 'A', modeOfUse: 'B', exportability: 'N', label: 'OTA KIc' }, KIC)).id,
      kid: (await importClear(t, { usage: 'M6', algorithm: 'A', modeOfUse: 'C', exportability: 'N', label: 'OTA KID' }, KID)).id,
    };
    db = await openDatabase(':memory:');
    await migrateToLatest(db);
  });

  after(async () => {
    if (db !== undefined) await closeDatabase(db);
    await t?.close();
  });

  /** The card's PoR for counter `n` (status, the trigger's 9000), secured as the default SPI asks. */
  const por = (n: bigint, status = 0): MoSms => ({
    kind: 'sms-mo',
    msisdn: MSISDN,
    udhi: true,
    userData: buildResponsePacket(
      { kic: KIC, kid: KID },
      { spi: DEFAULT_TRIGGER_SPI, kic: KEY_BYTE, kid: KEY_BYTE, tar: new Uint8Array(3), counter: counterBytes(n), status, data: status === 0 ? encodeResponseScript({ length: 'definite', executed: 1, responses: [fromHex('9000')] }) : new Uint8Array(0) },
      { unsecured: false },
    ),
  });
  const submitted: SmsSubmitted = { kind: 'sms-submitted', reference: 1, parts: 1, messageIds: ['1'] };
  type Exchange = SmppBearer['exchange'];

  /** A trigger whose SMS bearer runs `script(call, counter, accept)` for each exchange. */
  function scripted(
    script: (call: number, counter: bigint, accept: (mo: MoSms) => boolean | Promise<boolean>) => Promise<MoSms>,
    options: { attempts?: number; strays?: SmsStrayPor[]; sent?: SmsTriggerSent[] } = {},
  ) {
    let calls = 0;
    const exchange: Exchange = async (_msisdn, _packet, o) => {
      const counter = (await getOtaCounter(db, SE2, 'kic-12/kid-12'))!;
      return { submitted, reply: await script(calls++, counter, o.accept ?? (() => true)) };
    };
    const trigger = new SmsScp81Trigger({
      db,
      sms: { submit: () => Promise.reject(new Error('not used')), exchange },
      address: { host: '127.0.0.1', port: 4433, adminUri: '/scp81' },
      resolve: (seId) => (seId === SE2 ? { msisdn: MSISDN, hostKeys: hsmOtaHostKeys(t.hsm, t.ctx, ids), kic: KEY_BYTE, kid: KEY_BYTE } : undefined),
      ...(options.attempts === undefined ? {} : { attempts: options.attempts }),
      onStrayPor: (e) => void options.strays?.push(e),
      onSent: (e) => void options.sent?.push(e),
    });
    return { trigger, calls: () => calls };
  }

  it('a verified PoR echoing another counter (a replayed packet’s PoR 02, a late one) is passed over; its own PoR is taken', async () => {
    const strays: SmsStrayPor[] = [];
    const { trigger } = scripted(
      async (_call, counter, accept) => {
        assert.equal(await accept(por(counter - 1n, 0x02)), false, 'the PoR of the replayed packet');
        assert.equal(await accept(por(counter + 5n)), false, 'a PoR of no packet of ours');
        const own = por(counter);
        assert.equal(await accept(own), true);
        return own;
      },
      { strays },
    );
    await trigger.send(SE2); // spends 1: the stray (counter 0) cannot be ours
    const sent = await trigger.send(SE2);
    assert.equal(sent.counter, 2n);
    assert.equal(sent.porStatus, 0);
    assert.deepEqual(strays.slice(2).map((s) => [s.expected, s.counter, s.status]), [[2n, 1n, 0x02], [2n, 7n, 0]]);
  });

  it('a PoR that does not verify is not passed over: ERR_TSM_STATE at once', async () => {
    const { trigger } = scripted(async (_call, counter, accept) => {
      const bad = por(counter);
      bad.userData[bad.userData.length - 1]! ^= 1;
      assert.equal(await accept(bad), true);
      return bad;
    });
    await assert.rejects(trigger.send(SE2), (e: unknown) => e instanceof TsmError && e.code === 'ERR_TSM_STATE' && /does not verify/.test(e.message));
  });

  it('an error status names the status: PoR status 03 (CNTR high)', async () => {
    const { trigger } = scripted(async (_call, counter, accept) => {
      const high = por(counter, 0x03);
      assert.equal(await accept(high), true);
      return high;
    });
    await assert.rejects(trigger.send(SE2), (e: unknown) => e instanceof TsmError && e.code === 'ERR_TSM_STATE' && e.message.endsWith('PoR status 03 (CNTR high)'));
  });

  it('attempts 2: no PoR in time → one more packet with a fresh counter; attempts 1 (the default): the timeout is the error', async () => {
    const noPor = () => Promise.reject(new TsmError('ERR_TSM_UNREACHABLE', 'SMS bearer: no reply from the SE within 10 ms'));
    const sent: SmsTriggerSent[] = [];
    const counters: bigint[] = [];
    const retrying = scripted(
      (call, counter) => {
        counters.push(counter);
        return call === 0 ? noPor() : Promise.resolve(por(counter));
      },
      { attempts: 2, sent },
    );
    const result = await retrying.trigger.send(SE2);
    assert.equal(retrying.calls(), 2);
    assert.equal(counters[1], counters[0]! + 1n, 'a fresh counter');
    assert.equal(result.counter, counters[1]);
    assert.deepEqual(sent.map((s) => s.counter), [counters[1]]);
    const once = scripted(() => noPor());
    await assert.rejects(once.trigger.send(SE2), (e: unknown) => e instanceof TsmError && e.code === 'ERR_TSM_UNREACHABLE');
    assert.equal(once.calls(), 1);
    const always = scripted(() => noPor(), { attempts: 3 });
    await assert.rejects(always.trigger.send(SE2), (e: unknown) => e instanceof TsmError && e.code === 'ERR_TSM_UNREACHABLE');
    assert.equal(always.calls(), 3, 'bounded');
  });

  it('no retry once the SE became reachable (the card ran the trigger; only its PoR was lost), nor for a PoR error', async () => {
    const listeners: ((seId: string) => void)[] = [];
    const source = { address: { host: '127.0.0.1', port: 4433, adminUri: '/scp81' }, onReachable: (l: (seId: string) => void) => (listeners.push(l), () => undefined) };
    const reached = scripted(
      () => {
        for (const l of listeners) l(SE2); // the agent connected meanwhile
        return Promise.reject(new TsmError('ERR_TSM_UNREACHABLE', 'SMS bearer: no reply from the SE within 10 ms'));
      },
      { attempts: 3 },
    );
    reached.trigger.attach(source);
    await assert.rejects(reached.trigger.send(SE2), (e: unknown) => e instanceof TsmError && e.code === 'ERR_TSM_UNREACHABLE');
    assert.equal(reached.calls(), 1);
    const refused = scripted(async (_call, counter, accept) => {
      const low = por(counter, 0x02);
      await accept(low);
      return low;
    }, { attempts: 3 });
    await assert.rejects(refused.trigger.send(SE2), (e: unknown) => e instanceof TsmError && e.code === 'ERR_TSM_STATE');
    assert.equal(refused.calls(), 1);
  });

  it('attempts must be 1..10', () => {
    for (const attempts of [0, 11, 1.5]) {
      assert.throws(() => scripted(() => Promise.reject(new Error('unused')), { attempts }), (e: unknown) => e instanceof TsmError && e.code === 'ERR_TSM_CONFIG');
    }
  });
});
