/**
 * The TSM service with its OTA bearers (TsmServiceOptions.ota; src/tsm/ota-bearers.ts): a TsmService
 * started with an SCP81 admin server and an SMS bearer bound to the fleet's SMSC simulator. The MNO
 * imports a UICC batch and registers the SE through its API straight from the factory's key file
 * entry (tars, scp80, scp81 verbatim) with the MSISDN; the bank deploys through the SP API. The
 * bearer router sends the UICC over SCP81: the trigger SMS (sealed with the HSM's KIc/KID, MSISDN
 * unsealed from the registry) reaches the card through the SMSC, its agent opens TLS-PSK with the PSK
 * the registry imported, and the deploy runs to `active`. An eSE of the same MNO goes to the relay.
 * No MSISDN, PSK or PAN in the service's log. Every wait is bounded.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { toHex } from '../../../src/bytes/index.ts';
import type { AdminSessionResult } from '../../../src/ota/index.ts';
import { DEFAULT_APPLET_LIBRARY, manufactureBatch, MemoryCardStore, STRICT_ESE, STRICT_UICC, VirtualSecureElement, type ManufacturedBatch } from '../../../src/se/index.ts';
import { getOtaCounter } from '../../../src/store/index.ts';
import type { SmsTriggerSent } from '../../../src/tsm/index.ts';
import { SmscSimulator } from '../../../src/cli/fleet/smsc-simulator.ts';
import { virtualHandset } from '../../../src/cli/fleet/virtual-handset.ts';
import { DEMO_PRODUCTS, DEMO_SSD, demoCard } from '../../../src/cli/demo/cards.ts';
import { otaServiceWorld, type OtaServiceWorld } from './service-ota-fixture.ts';

const MSISDN = '447700900321';
const PASSWORD = 'Pa55w0rd';
const UICC = 'se-uicc-svc';
const ESE = 'se-ese-svc';
const UICC_NO_MSISDN = 'se-uicc-nomsisdn';

describe('TsmService with OTA bearers: a UICC registered from its key file over the MNO API, deployed to active over SMS + SCP81', { timeout: 60_000 }, () => {
  let w: OtaServiceWorld;
  let sim: SmscSimulator;
  let se: VirtualSecureElement;
  let uicc: ManufacturedBatch;
  let serviceIds: { uicc: string; ese: string };
  const sent: SmsTriggerSent[] = [];
  const sessions: Promise<AdminSessionResult>[] = [];
  const sessionErrors: unknown[] = [];

  before(async () => {
    sim = await SmscSimulator.start({ systemId: 'tsm', password: PASSWORD, delayMs: 2 });
    w = await otaServiceWorld({
      scp81: { idleMs: 300, triggerIntervalMs: 50 },
      smpp: { host: '127.0.0.1', port: sim.port, systemId: 'tsm', password: PASSWORD, sourceAddress: '12345', responseTimeoutMs: 3000 },
      porTimeoutMs: 5000,
      onTriggerSent: (e) => void sent.push(e),
    });
    const masters = () => ({ enc: new Uint8Array(randomBytes(16)), mac: new Uint8Array(randomBytes(16)), dek: new Uint8Array(randomBytes(16)) });
    const kek = { algorithm: 'aes' as const, key: w.parties.manufacturerKek };
    uicc = manufactureBatch({ profile: STRICT_UICC, count: 2, withPayment: true, withAraM: true, batchMasterKeys: masters(), transportKek: kek });
    se = new VirtualSecureElement(new MemoryCardStore(uicc.cards[0]!.state), {
      library: DEFAULT_APPLET_LIBRARY,
      onAdminSessionRequest: (request) => {
        const session = se.startAdminSession(request, { retry: { attempts: 1, delayMs: 20 }, timeoutMs: 10_000 });
        session.catch((e: unknown) => void sessionErrors.push(e));
        sessions.push(session);
      },
    });
    sim.registerHandset(MSISDN, virtualHandset(se));
    await w.registerFromKeyFile(uicc, UICC, { msisdn: MSISDN });
    await w.registerFromKeyFile(uicc, UICC_NO_MSISDN, { card: 1 });
    const ese = manufactureBatch({ profile: STRICT_ESE, count: 1, withPayment: true, withAraM: true, batchMasterKeys: masters(), transportKek: kek });
    await w.registerFromKeyFile(ese, ESE);
    serviceIds = { uicc: await w.createService(STRICT_UICC.id), ese: await w.createService(STRICT_ESE.id) };
  });

  after(async () => {
    await w?.close();
    await Promise.allSettled(sessions);
    await sim?.close();
  });

  it('runs the SCP81 admin server on loopback and is bound to the SMSC', () => {
    const ota = w.tsm.ota!;
    assert.equal(ota.scp81.address.host, '127.0.0.1');
    assert.ok(ota.scp81.address.port > 0);
    assert.equal(ota.sms?.state, 'bound');
  });

  it('deploys through the SP API to active over SMS + SCP81 only: trigger via the SMSC with the registry\'s keys and MSISDN, PoR OK, TLS-PSK with the imported PSK, SDs targeted', async () => {
    const { instance, job } = await w.deploy(serviceIds.uicc, UICC, 'ota-svc-1');
    const done = await w.jobIn(job.jobId, ['succeeded', 'failed']);
    await Promise.allSettled(sessions); // the bearer's idle 204 ends each admin session
    assert.equal(done.state, 'succeeded', JSON.stringify(done.error));
    assert.equal(w.tsm.ota!.router.routeOf(UICC), 'scp81');
    assert.equal((await w.call<{ state: string }>(w.tokens.sp, 'GET', `/v1/sp/instances/${instance.instanceId}`)).state, 'active');
    // the trigger(s): through the SMSC to the registered MSISDN, PoR OK, counters strictly increasing and stored
    assert.ok(sent.length >= 1);
    assert.ok(sent.every((e) => e.seId === UICC && e.porStatus === 0));
    for (let i = 1; i < sent.length; i++) assert.ok(sent[i]!.counter > sent[i - 1]!.counter);
    const set = uicc.keyFile.cards[0]!.scp80[0]!;
    assert.equal(sent[0]!.keySet, `kic-${set.kicByte}/kid-${set.kidByte}`);
    assert.equal(await getOtaCounter(w.db, UICC, sent[0]!.keySet), sent.at(-1)!.counter);
    assert.equal(sim.stats.submitted, sent.length);
    assert.equal(sim.stats.handlerErrors, 0, JSON.stringify(sim.stats));
    // the card's agent: its sessions (TLS-PSK with the PSK the registry imported) ran the job's scripts
    const results = await Promise.all(sessions);
    assert.ok(results.length >= 1 && results.reduce((n, r) => n + r.scripts, 0) > 0);
    assert.deepEqual(sessionErrors, []);
    // the card: the bank's SSD and the personalized instance (GP life cycle 0F) under it
    const app = se.state.applications.find((a) => toHex(a.aid) === toHex(DEMO_PRODUCTS[0].aid));
    assert.equal(app?.lifecycle, 0x0f, 'personalized');
    assert.equal(toHex(app.sdAid), DEMO_SSD.aid);
  });

  it('an eSE of the same MNO goes to the relay (no phone connected: its job waits), never to SCP81', async () => {
    const triggers = sent.length;
    const { job } = await w.deploy(serviceIds.ese, ESE, 'ota-svc-ese');
    const waiting = await w.jobIn(job.jobId, ['waiting'], 10_000);
    assert.equal(waiting.state, 'waiting');
    assert.equal(w.tsm.ota!.router.routeOf(ESE), 'relay');
    assert.equal(sent.length, triggers, 'no trigger SMS for the eSE');
    assert.equal(w.tsm.ota!.scp81.isOpen(ESE), false);
  });

  it('a UICC registered without an MSISDN goes to SCP81 but cannot be woken: no SMS, the job waits, the reason logged by code', async () => {
    const submitted = sim.stats.submitted;
    const { job } = await w.deploy(serviceIds.uicc, UICC_NO_MSISDN, 'ota-svc-nomsisdn');
    assert.equal((await w.jobIn(job.jobId, ['waiting'], 10_000)).state, 'waiting');
    assert.equal(w.tsm.ota!.router.routeOf(UICC_NO_MSISDN), 'scp81');
    const end = Date.now() + 10_000;
    const logged = () => w.logs.find((l) => l.includes('"scp81 bearer"') && l.includes(UICC_NO_MSISDN));
    while (logged() === undefined && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    assert.match(logged() ?? '', /ERR_TSM_NOT_FOUND/);
    assert.equal(sim.stats.submitted, submitted, 'no SMS sent');
  });

  it('keeps the MSISDN, the PSK and the PAN out of the service log', () => {
    const psk = toHex(uicc.cards[0]!.state.ota!.scp81!.key);
    const text = w.logs.join('\n');
    assert.ok(w.logs.length > 0);
    assert.ok(!text.includes(MSISDN), 'MSISDN in the log');
    assert.ok(!text.toUpperCase().includes(psk), 'PSK in the log');
    assert.ok(!text.includes(PASSWORD), 'SMPP password in the log');
    assert.ok(!text.includes(demoCard(0).pan), 'PAN in the log');
  });
});
