/**
 * Issue 7, end to end: a payment card deployed to a virtual UICC whose only bearers are SMS and
 * SCP81. The job engine's only CardBearer is the Scp81Bearer; its trigger is the SmsScp81Trigger
 * (SCP80 keys in the HSM, durable counters) over SmppBearer to the fleet's SMSC simulator, whose
 * handset hands the SMS-DELIVER to the card (se.receiveSms) and returns its PoR; the card's admin
 * request starts its agent, which opens TLS-PSK to the bearer; the deploy job (jobs.test.ts's deploy)
 * runs its APDUs as SCP81 scripts, a SELECT of an SD becoming X-Admin-Targeted-Application for the
 * scripts after it, with SCP03 to the ISD and to the SP's SSD inside the TLS-PSK session. Then a tap
 * at a POS over the phone's contactless interface is approved. Every wait is bounded.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { fromHex, toHex } from '../../src/bytes/index.ts';
import { encodeCommand, parseResponse, SW, type ApduTransport } from '../../src/apdu/index.ts';
import { buildGetData, GET_DATA_TAGS, openScp03 } from '../../src/gp/index.ts';
import { unwrapKeyBlock } from '../../src/crypto/index.ts';
import type { AdminSessionResult } from '../../src/ota/index.ts';
import { ARA_M_AID, DEFAULT_APPLET_LIBRARY, manufactureBatch, MemoryCardStore, STRICT_UICC, VirtualSecureElement } from '../../src/se/index.ts';
import { getOtaCounter } from '../../src/store/index.ts';
import { SmscSimulator } from '../../src/cli/fleet/smsc-simulator.ts';
import { virtualHandset } from '../../src/cli/fleet/virtual-handset.ts';
import { hsmOtaHostKeys, Scp81Bearer, SmppBearer, SmsScp81Trigger, type SmsTriggerSent } from '../../src/tsm/index.ts';
import type { CardBearer, SecureElementRecord, ServiceFlavour } from '../../src/tsm/model.ts';
import { importClear, SPECS } from '../hsm/conformance/fixture.ts';
import { MNO, SSD_AID, visaCard } from '../tsm/provisioning/card/fixture.ts';
import { jobsWorld, SERVICE_ID, type JobsWorld } from '../tsm/provisioning/jobs-fixture.ts';
import { CardPortTransport } from '../se/helpers.ts';

const SE = 'se-uicc-ota';
const MSISDN = '447700900123';
const PASSWORD = 'Secr3t!';
const KEK = { algorithm: 'aes' as const, key: new Uint8Array(randomBytes(32)) };

/** A CardBearer that logs every command it carries (what went to the card, in order). */
class LoggingBearer implements CardBearer {
  readonly commands: string[] = [];
  constructor(readonly inner: CardBearer) {}
  connect(seId: string): ApduTransport | undefined {
    const t = this.inner.connect(seId);
    if (t === undefined) return undefined;
    return {
      transmit: (command) => {
        this.commands.push(toHex(command));
        return t.transmit(command);
      },
    };
  }
  onReachable(listener: (seId: string) => void): () => void {
    return this.inner.onReachable(listener);
  }
}

/** Waits (bounded) until the job has ended: it waits for the SE between admin sessions. */
async function finishedIn(w: JobsWorld, jobId: string, ms = 45_000) {
  const end = Date.now() + ms;
  for (;;) {
    const job = await w.settle(jobId);
    if (!['queued', 'running', 'waiting'].includes(job.state) || Date.now() > end) return job;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('OTA end to end: a card deployed to a virtual UICC over SMS and SCP81 only', { timeout: 60_000 }, () => {
  let w: JobsWorld;
  let se: VirtualSecureElement;
  let sim: SmscSimulator;
  let sms: SmppBearer;
  let scp81: Scp81Bearer;
  let logging: LoggingBearer;
  let keySet = '';
  const sent: SmsTriggerSent[] = [];
  const sessions: Promise<AdminSessionResult>[] = [];
  const errors: Error[] = [];

  before(async () => {
    w = await jobsWorld(1, {
      bearer: async (cw) => {
        const t = cw.world.t;
        const mnoCtx = cw.mnoCtx;
        // the UICC: payment package, ARA-M, AES OTA key set and the ISD's SCP81 PSK
        const masters = { enc: new Uint8Array(randomBytes(16)), mac: new Uint8Array(randomBytes(16)), dek: new Uint8Array(randomBytes(16)) };
        const batch = manufactureBatch({ profile: STRICT_UICC, count: 1, withPayment: true, withAraM: true, batchMasterKeys: masters, transportKek: KEK });
        const card = batch.cards[0]!;
        const set = batch.keyFile.cards[0]!.scp80[0]!;
        const kic = unwrapKeyBlock(KEK.key, set.kic.keyBlock).key;
        const kid = unwrapKeyBlock(KEK.key, set.kid.keyBlock).key;
        const kicId = (await importClear(t, { usage: 'D0', algorithm: 'A', modeOfUse: 'B', exportability: 'N', owner: MNO, label: 'OTA KIc' }, kic, mnoCtx)).id;
        const kidId = (await importClear(t, { usage: 'M6', algorithm: 'A', modeOfUse: 'C', exportability: 'N', owner: MNO, label: 'OTA KID' }, kid, mnoCtx)).id;
        const psk = card.state.ota!.scp81!;
        const pskId = (await importClear(t, { usage: 'D0', algorithm: 'A', modeOfUse: 'B', exportability: 'N', owner: MNO, label: 'SCP81 PSK', class: 'protocol-memory' }, psk.key, mnoCtx)).id;
        const isdMasters = {
          enc: (await importClear(t, { ...SPECS.gpMaster, owner: MNO, label: 'UICC ISD master ENC' }, masters.enc, mnoCtx)).id,
          mac: (await importClear(t, { ...SPECS.gpMaster, owner: MNO, label: 'UICC ISD master MAC' }, masters.mac, mnoCtx)).id,
          dek: (await importClear(t, { ...SPECS.gpMaster, owner: MNO, label: 'UICC ISD master DEK' }, masters.dek, mnoCtx)).id,
        };
        const isd = await t.hsm.diversifyGpKeys(isdMasters, fromHex(card.entry.kdd), 'kdf3', { owner: MNO }, mnoCtx);
        se = new VirtualSecureElement(new MemoryCardStore(card.state), {
          library: DEFAULT_APPLET_LIBRARY,
          onAdminSessionRequest: (request) => {
            const session = se.startAdminSession(request, { retry: { attempts: 1, delayMs: 20 }, timeoutMs: 10_000 });
            session.catch((e: unknown) => void errors.push(e as Error));
            sessions.push(session);
          },
        });
        record = {
          seId: SE, mno: MNO, platform: STRICT_UICC.id, status: 'active',
          isd: { aid: card.entry.isdAid, scp: 3, kvn: Number.parseInt(card.entry.isdKvn, 16), keys: { enc: isd.enc.id, mac: isd.mac.id, dek: isd.dek.id } },
          araAid: toHex(ARA_M_AID), createdAt: new Date().toISOString(),
        };
        // the network: SMSC simulator, the handset delivering to the card and returning its PoR
        sim = await SmscSimulator.start({ systemId: 'tsm', password: PASSWORD, delayMs: 2 });
        sim.registerHandset(MSISDN, virtualHandset(se));
        sms = new SmppBearer({ host: '127.0.0.1', port: sim.port, systemId: 'tsm', password: PASSWORD, sourceAddress: '12345', responseTimeoutMs: 3000 });
        await sms.connect();
        const trigger = new SmsScp81Trigger({
          db: cw.world.db,
          sms,
          porTimeoutMs: 5000,
          resolve: (seId) =>
            seId === SE ? { msisdn: MSISDN, hostKeys: hsmOtaHostKeys(t.hsm, mnoCtx, { kic: kicId, kid: kidId }), kic: Number.parseInt(set.kicByte, 16), kid: Number.parseInt(set.kidByte, 16) } : undefined,
          onSent: (e) => void sent.push(e),
        });
        scp81 = await Scp81Bearer.start({ hsm: t.hsm, ctx: mnoCtx, trigger, idleMs: 300, triggerIntervalMs: 50, onError: (e) => void errors.push(e) });
        trigger.attach(scp81);
        scp81.expect(SE, { identity: new TextDecoder().decode(psk.identity), keyId: pskId });
        logging = new LoggingBearer(scp81);
        return logging;
      },
    });
    w.ses.set(SE, record!);
    (w.service.flavours as ServiceFlavour[]).push({ ...w.service.flavours[0]!, platform: STRICT_UICC.id });
  });
  let record: SecureElementRecord | undefined;
  const finished = (jobId: string) => finishedIn(w, jobId);

  after(async () => {
    await w?.engine.close();
    await scp81?.close();
    await Promise.allSettled(sessions);
    await sms?.close();
    await sim?.close();
    await w?.close();
  });

  /** One deploy attempt: its job at the end, the log of what went to the card. */
  async function attempt(key: string, pan: string) {
    const sp = w.cw.spCtx.tenant;
    const from = { commands: logging.commands.length, sent: sent.length, sessions: sessions.length, submitted: sim.stats.submitted };
    const started = Date.now();
    const { instance, job } = await w.provisioning.deploy(sp, { serviceId: SERVICE_ID, seId: SE, card: visaCard(w.cw.world, pan) }, { idempotencyKey: key });
    const done = await finished(job.id);
    const ms = Date.now() - started;
    await Promise.allSettled(sessions); // the bearer's idle 204 ends each admin session
    const commands = logging.commands.slice(from.commands);
    console.log(`deploy over SCP81 (${key}): ${done.state} in ${ms} ms, ${commands.length} APDUs, ${sent.length - from.sent} trigger SMS, ${sessions.length - from.sessions} admin sessions`);
    return { sp, instance, done, commands, from };
  }

  it('deploys to active with only SMS and SCP81: the trigger through the SMSC, PoR OK, the agent on TLS-PSK, SDs targeted by SELECT — and a tap is approved', async () => {
    const { sp, instance, done, commands, from } = await attempt('deploy-ota-1', '4761730000099990');
    assert.equal(done.state, 'succeeded', JSON.stringify(done.error));
    assert.equal((await w.provisioning.instance(sp, instance.instanceId)).state, 'active');
    // the trigger(s): each through the SMSC, delivered to the handset, the card's PoR OK, counters strictly increasing
    assert.ok(sent.length >= 1);
    assert.equal(sim.stats.submitted - from.submitted, sent.length, JSON.stringify(sim.stats));
    assert.ok(sim.stats.delivered >= 1 && sim.stats.handlerErrors === 0, JSON.stringify(sim.stats));
    assert.ok(sent.every((e) => e.porStatus === 0));
    for (let i = 1; i < sent.length; i++) assert.ok(sent[i]!.counter > sent[i - 1]!.counter, 'counters strictly increase');
    keySet = sent[0]!.keySet;
    assert.equal(await getOtaCounter(w.cw.world.db, SE, keySet), sent.at(-1)!.counter);
    // every command the job sent ran once: each admin session's scripts add up to what the bearer carried
    // (MANAGE CHANNEL and other logical channels are answered 6881 by the bearer and never reach the card)
    const results = await Promise.all(sessions.slice(from.sessions));
    const toCard = commands.filter((c) => c.slice(2, 4) !== '70' && (Number.parseInt(c.slice(0, 2), 16) & 0x43) === 0);
    assert.equal(results.reduce((n, r) => n + r.scripts, 0), toCard.length, 'one script per command, none twice');
    assert.deepEqual(errors, []);
    // the card: the SSD and the personalized instance (life cycle 0F) under it, the PPSE entry, the access rule
    const ssd = se.state.applications.find((a) => toHex(a.aid) === SSD_AID);
    assert.ok(ssd !== undefined, 'the SSD was created');
    const app = se.state.applications.find((a) => toHex(a.aid) === instance.aid);
    assert.equal(app?.lifecycle, 0x0f, 'personalized');
    assert.equal(toHex(app.sdAid), SSD_AID);
    // the tap: the POS terminal over the phone's contactless interface
    se.reset();
    const outcome = await w.cw.world.terminal.transact(new CardPortTransport(se), { amount: 1500, currency: 978, country: 250, date: '261127' });
    assert.equal(outcome.kind, 'approved', JSON.stringify(outcome));
  });

  it('the bearer’s next connect after the session ended: a new trigger with a higher counter, a new admin session, GET DATA and SCP03 (ISD keys in the HSM) through it', async () => {
    assert.equal(scp81.isOpen(SE), false);
    const reached: string[] = [];
    const off = scp81.onReachable((seId) => void reached.push(seId));
    try {
      await new Promise((r) => setTimeout(r, 60)); // the trigger interval
      assert.equal(scp81.connect(SE), undefined, 'no session: connect triggers');
      const end = Date.now() + 10_000;
      while (reached.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
      assert.deepEqual(reached, [SE]);
      const transport = scp81.connect(SE);
      assert.ok(transport !== undefined);
      const cplc = parseResponse(await transport.transmit(encodeCommand(buildGetData(GET_DATA_TAGS.CPLC))));
      assert.equal(cplc.sw, SW.OK);
      assert.equal(toHex(cplc.data), `9F7F2A${toHex(se.state.cplc)}`);
      // SCP03 inside the session with the ISD keys held in the HSM (the agent's SD is the ISD: no SELECT)
      const t = w.cw.world.t;
      const hostKeys = await t.hsm.scp03HostKeys(record!.isd.keys, record!.isd.kvn, w.cw.mnoCtx);
      const scp = await openScp03(transport, hostKeys, { securityLevel: 0x33, sdAid: fromHex(record!.isd.aid) });
      const info = await scp.transmit(buildGetData(GET_DATA_TAGS.KEY_INFORMATION));
      assert.equal(info.sw, SW.OK);
      scp.close();
    } finally {
      off();
    }
    assert.equal(sessions.length, 2);
    assert.equal((await sessions[1]!).scripts, 4, 'GET DATA, INITIALIZE UPDATE, EXTERNAL AUTHENTICATE, GET DATA: each once');
    assert.equal(sent.length, 2);
    assert.ok(sent[1]!.counter > sent[0]!.counter, 'counters strictly increase');
    assert.equal(sent[1]!.keySet, keySet);
    assert.equal(sent[1]!.porStatus, 0);
    assert.equal(await getOtaCounter(w.cw.world.db, SE, keySet), sent[1]!.counter);
    assert.equal(sim.stats.submitted, 2);
    assert.deepEqual(errors, []);
  });

});
