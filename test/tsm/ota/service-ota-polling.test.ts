/**
 * The TSM service with an SCP81 admin server and no SMSC (TsmServiceOptions.ota without `smpp`): the
 * UICC's agent comes by itself (GPC Amd B polling). Until a job waits for the card its polls are
 * refused at the handshake (the server holds no PSK for it); once the deploy wants the card the
 * bearer loads its PSK (the PSK-only trigger, no SMS), the next poll opens a session, and the deploy
 * runs to `active` over the polled sessions. Every wait is bounded.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { fromHex, toHex } from '../../../src/bytes/index.ts';
import type { AdminSessionResult } from '../../../src/ota/index.ts';
import { DEFAULT_APPLET_LIBRARY, manufactureBatch, MemoryCardStore, STRICT_UICC, VirtualSecureElement, type AdminSessionRequest } from '../../../src/se/index.ts';
import { DEMO_PRODUCTS } from '../../../src/cli/demo/cards.ts';
import { otaServiceWorld, type OtaServiceWorld } from './service-ota-fixture.ts';

const UICC = 'se-uicc-poll';

describe('TsmService with an SCP81 server and no SMSC: a polling UICC agent is served once a job wants its card', { timeout: 60_000 }, () => {
  let w: OtaServiceWorld;
  let se: VirtualSecureElement;
  let request: AdminSessionRequest;

  before(async () => {
    w = await otaServiceWorld({ scp81: { idleMs: 200, triggerIntervalMs: 50 } });
    const masters = { enc: new Uint8Array(randomBytes(16)), mac: new Uint8Array(randomBytes(16)), dek: new Uint8Array(randomBytes(16)) };
    const uicc = manufactureBatch({ profile: STRICT_UICC, count: 1, withPayment: true, withAraM: true, batchMasterKeys: masters, transportKek: { algorithm: 'aes', key: w.parties.manufacturerKek } });
    se = new VirtualSecureElement(new MemoryCardStore(uicc.cards[0]!.state), { library: DEFAULT_APPLET_LIBRARY });
    await w.registerFromKeyFile(uicc, UICC);
    const entry = uicc.keyFile.cards[0]!;
    request = { kind: 'admin-session-request', sdAid: fromHex(entry.isdAid), ...w.tsm.ota!.scp81.address, agentId: entry.scp81!.identity };
  });

  after(() => w?.close());

  /** One poll: an admin session, or the handshake refused (no PSK held for the card). */
  const poll = (): Promise<AdminSessionResult | 'refused'> =>
    se.startAdminSession(request, { retry: { attempts: 1, delayMs: 10 }, timeoutMs: 10_000 }).catch((e: unknown) => {
      assert.equal((e as { code?: string }).code, 'ERR_OTA_TLS', String(e));
      return 'refused' as const;
    });

  it('no SMS bearer: the service runs the SCP81 server only; a poll before any job is refused at the handshake', async () => {
    assert.equal(w.tsm.ota!.sms, undefined);
    assert.equal(await poll(), 'refused');
  });

  it('a deploy through the SP API: its card polls, the bearer holds the PSK for it, the deploy runs to active over the polled sessions', async () => {
    const serviceId = await w.createService(STRICT_UICC.id);
    const { instance, job } = await w.deploy(serviceId, UICC, 'ota-poll-1');
    const results: (AdminSessionResult | 'refused')[] = [];
    const end = Date.now() + 45_000;
    let state = job.state;
    while (!['succeeded', 'failed'].includes(state) && Date.now() < end) {
      results.push(await poll());
      state = (await w.jobIn(job.jobId, ['queued', 'running', 'waiting', 'succeeded', 'failed'])).state;
      await new Promise((r) => setTimeout(r, 50));
    }
    const done = await w.jobIn(job.jobId, ['succeeded', 'failed'], 1_000);
    assert.equal(done.state, 'succeeded', JSON.stringify(done.error));
    assert.equal(w.tsm.ota!.router.routeOf(UICC), 'scp81');
    const sessions = results.filter((r): r is AdminSessionResult => r !== 'refused');
    assert.ok(sessions.reduce((n, r) => n + r.scripts, 0) > 0, `polls: ${results.length}`);
    assert.equal((await w.call<{ state: string }>(w.tokens.sp, 'GET', `/v1/sp/instances/${instance.instanceId}`)).state, 'active');
    const app = se.state.applications.find((a) => toHex(a.aid) === toHex(DEMO_PRODUCTS[0].aid));
    assert.equal(app?.lifecycle, 0x0f, 'personalized');
    console.log(`deploy over polled SCP81 sessions: ${results.length} polls, ${sessions.length} sessions, ${results.length - sessions.length} refused`);
  });
});
