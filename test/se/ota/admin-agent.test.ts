/**
 * The card's SCP81 admin agent, triggered by a secured SMS: a factory UICC (its OTA keys from the key
 * file, its PSK from the card state), an admin server on loopback (src/ota's startAdminServer and
 * ScriptDialog) holding the card's PSK. The trigger goes in an SCP80 packet to the ISD's TAR; the
 * card records the request; the agent's session runs the server's scripts on the ISD and the
 * responses reach the server; a bad CC runs nothing and opens nothing; a wrong PSK fails the
 * handshake and leaves the card as it was.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KEK, hostOf, type Host, MASTERS, FULL, OTA_SERVER, SCTS } from './factory-host.ts';
import { counterBytes } from '../../../src/se/ota/index.ts';
import { concat, fromHex, toHex } from '../../../src/bytes/index.ts';
import { encodeCommand, parseResponse, type ApduTransport } from '../../../src/apdu/index.ts';
import { buildSelect, LOCKED_BIT, openScp03, plainScp03Keys, SECURITY_DOMAIN_LIFECYCLE } from '../../../src/gp/index.ts';
import { ssd } from '../keys-fixtures.ts';
import { dialogServer, type TestServer } from '../../ota/scp81-helpers.ts';
import {
  adminAnswer,
  adminTrigger,
  buildAdminTriggerCommand,
  buildCommandPacket,
  encodeCommandScript,
  MemoryPskStore,
  OtaError,
  parseAdminTriggerData,
  encodeAdminTriggerData,
  parseResponseScript,
  parseSmsSubmit,
  smsDeliverTpdu,
  startAdminServer,
  unwrapResponsePacket,
  type AdminAnswer,
  type AdminServer,
  type AdminTrigger,
  type AgentPost,
  type OtaKeys,
} from '../../../src/ota/index.ts';
import {
  DEFAULT_APPLET_LIBRARY,
  encodeCardState,
  manufactureBatch,
  MemoryCardStore,
  STRICT_UICC,
  VirtualSecureElement,
  type AdminSessionRequest,
} from '../../../src/se/index.ts';

const ISD_TAR = fromHex('000000');
const BOUND = { timeout: 15_000 };
const SESSION = { retry: { attempts: 0, delayMs: 10 }, timeoutMs: 5000 } as const;

/** Two expanded-format scripts (ETSI TS 102 226, indefinite): GET DATA CPLC; GET STATUS ISD + GET STATUS apps. */
const SCRIPTS = [fromHex('AE80' + '2205' + '80CA9F7F00' + '0000'), fromHex('AE80' + '2208' + '80F28002024F0000' + '2208' + '80F24002024F0000' + '0000')];


/** The trigger in a secured SMS-DELIVER to the ISD's TAR (one SMS). */
function triggerSms(host: Host, trigger: AdminTrigger, counter: number, keys: OtaKeys = host.keys): Uint8Array {
  const data = encodeCommandScript([{ kind: 'c-apdu', apdu: buildAdminTriggerCommand(trigger) }], { length: 'definite' });
  const userData = concat(fromHex('027000'), buildCommandPacket(keys, { spi: FULL, kic: host.kic, kid: host.kid, tar: ISD_TAR, counter: counterBytes(counter), data }));
  return smsDeliverTpdu({ originator: OTA_SERVER, moreMessagesWaiting: false, serviceCentreTimeStamp: SCTS, userData });
}

/** The PoR's status and the trigger command's status word. */
function porOf(host: Host, submit: Uint8Array | undefined, counter: number): { status: number; sw: string | undefined } {
  assert.ok(submit !== undefined, 'no PoR SMS');
  const p = unwrapResponsePacket(host.keys, parseSmsSubmit(submit).userData, { spi: FULL, kic: host.kic, kid: host.kid, tar: ISD_TAR, counter: counterBytes(counter) });
  if (p.status !== 0) return { status: p.status, sw: undefined };
  return { status: p.status, sw: toHex(parseResponseScript(p.data).responses[0]!) };
}

/** The card's PSK at a dialog server handing out SCRIPTS (test/ota/scp81-helpers.ts). */
function adminServer(identity: string, key: Uint8Array, targetedApplication?: Uint8Array): Promise<TestServer> {
  return dialogServer(SCRIPTS, { keepAliveMs: 2000, requestTimeoutMs: 2000 }, { identity, key, base: '/scp81/s/5e1d', ...(targetedApplication === undefined ? {} : { targetedApplication }) });
}

/**
 * The server side of an interactive SCP81 session: each C-APDU the host transmits goes out as a
 * one-command script; the card's report answers it. `end()` makes the next answer 204.
 */
class ScriptBridge implements ApduTransport {
  /** X-Admin-Targeted-Application of the next scripts (undefined: the agent's own SD). */
  target: Uint8Array | undefined;
  #reply: ((rapdu: Uint8Array) => void) | undefined;
  #command: ((next: Uint8Array | undefined) => void) | undefined;
  #queued: (Uint8Array | undefined)[] = [];
  #n = 0;

  transmit(command: Uint8Array): Promise<Uint8Array> {
    return new Promise((resolve) => {
      this.#reply = resolve;
      this.#push(command);
    });
  }

  end(): void {
    this.#push(undefined);
  }

  #push(next: Uint8Array | undefined): void {
    const waiting = this.#command;
    this.#command = undefined;
    if (waiting === undefined) this.#queued.push(next);
    else waiting(next);
  }

  async answer(post: AgentPost): Promise<AdminAnswer> {
    if (post.report !== undefined) {
      const rapdu = parseResponseScript(post.report.body).responses[0]!;
      this.#reply?.(rapdu);
    }
    const next = this.#queued.length > 0 ? this.#queued.shift() : await new Promise<Uint8Array | undefined>((r) => (this.#command = r));
    if (next === undefined) return adminAnswer({ script: undefined, nextUri: undefined, targetedApplication: undefined });
    const script = encodeCommandScript([{ kind: 'c-apdu', apdu: next }], { length: 'indefinite' });
    return adminAnswer({ script, nextUri: `/scp81/i/${this.#n++}`, targetedApplication: this.target });
  }
}

describe('the card’s SCP81 admin agent, triggered by a secured SMS', () => {
  let host: Host;
  let se: VirtualSecureElement;
  let identity: string;
  let psk: Uint8Array;
  let counter = 0;
  const told: AdminSessionRequest[] = [];
  const servers: AdminServer[] = [];

  before(() => {
    const batch = manufactureBatch({ profile: STRICT_UICC, count: 1, batchMasterKeys: MASTERS, transportKek: KEK, date: new Date('2026-11-27T12:00:00Z') });
    const card = batch.cards[0]!;
    host = hostOf(batch.keyFile.cards[0]!);
    se = new VirtualSecureElement(new MemoryCardStore(card.state), { library: DEFAULT_APPLET_LIBRARY, onAdminSessionRequest: (r) => told.push(r) });
    const scp81 = se.state.ota!.scp81!;
    identity = new TextDecoder().decode(scp81.identity);
    psk = scp81.key.slice();
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  it('the trigger parameters round-trip; a bad one is refused', () => {
    const t = adminTrigger({ host: 'tsm.example', port: 8443, adminUri: '/scp81/admin', agentId: '//se-id/iccid/1' });
    assert.deepEqual(parseAdminTriggerData(encodeAdminTriggerData(t)), t);
    assert.equal(toHex(buildAdminTriggerCommand(adminTrigger({}))), '80EC8001');
    assert.throws(() => adminTrigger({ port: 80 }), (e: unknown) => e instanceof OtaError && e.code === 'ERR_OTA_PARAM');
    assert.throws(() => parseAdminTriggerData(fromHex('8A05414243')), (e: unknown) => e instanceof OtaError && e.code === 'ERR_OTA_PARSE');
    assert.throws(() => parseAdminTriggerData(fromHex('9901FF')), (e: unknown) => e instanceof OtaError && e.code === 'ERR_OTA_PARSE');
  });

  it('SMS trigger → request recorded → session: two scripts run on the ISD, their responses reach the server, 204', BOUND, async () => {
    const s = await adminServer(identity, psk);
    servers.push(s.server);
    const r = se.receiveSms(triggerSms(host, adminTrigger({ host: '127.0.0.1', port: s.server.port, adminUri: '/scp81/admin' }), ++counter));
    assert.deepEqual(porOf(host, r.submit, counter), { status: 0, sw: '9000' });
    assert.equal(s.posts.length, 0, 'nothing connects before the session starts');
    const [request, ...more] = se.adminSessionRequests;
    assert.equal(more.length, 0);
    assert.ok(request !== undefined);
    assert.deepEqual({ host: request.host, port: request.port, adminUri: request.adminUri, agentId: request.agentId }, {
      host: '127.0.0.1',
      port: s.server.port,
      adminUri: '/scp81/admin',
      agentId: identity,
    });
    await Promise.resolve();
    assert.equal(told.at(-1), request);

    const result = await se.startAdminSession(request, SESSION);
    assert.deepEqual(result, { exchanges: 3, scripts: 2, resumes: 0, lastUnreported: false });
    assert.equal(se.adminSessionRequests.length, 0);
    assert.equal(s.dialog.state, 'done');
    assert.deepEqual(s.posts, ['/scp81/admin', '/scp81/s/5e1d/0', '/scp81/s/5e1d/1']);
    const [cplc, status] = s.dialog.reports.map((rep) => parseResponseScript(rep!.body));
    assert.equal(cplc!.length, 'indefinite');
    assert.equal(toHex(cplc!.responses[0]!), toHex(concat(fromHex('9F7F2A'), se.state.cplc, fromHex('9000'))));
    assert.equal(status!.executed, 2);
    assert.ok(status!.responses.every((x) => toHex(x).endsWith('9000')));
    assert.ok(toHex(status!.responses[0]!).startsWith('E3'), 'GET STATUS ISD answers an E3 entry');
    assert.ok(toHex(status!.responses[1]!).includes('4F0E325041592E5359532E4444463031'), 'GET STATUS lists the PPSE');
    assert.equal(se.stats.internalErrors, 0);
  });

  it('a trigger with a bad CC: PoR 01, nothing recorded, nothing opened', BOUND, async () => {
    const s = await adminServer(identity, psk);
    servers.push(s.server);
    const wrong = { kic: host.keys.kic, kid: host.keys.kid.map((b) => b ^ 0x01) };
    const before = encodeCardState(se.state);
    const told0 = told.length;
    const r = se.receiveSms(triggerSms(host, adminTrigger({ host: '127.0.0.1', port: s.server.port, adminUri: '/scp81/admin' }), counter + 1, wrong));
    assert.equal(r.receipt.kind, 'processed');
    assert.ok(r.receipt.kind === 'processed' && r.receipt.status === 0x01 && r.receipt.executed === 0);
    assert.equal(se.adminSessionRequests.length, 0);
    await new Promise((res) => setTimeout(res, 50));
    assert.equal(told.length, told0);
    assert.equal(s.posts.length, 0);
    assert.deepEqual(encodeCardState(se.state), before);
  });

  it('a trigger without a server, on a card without defaults: 6985, nothing recorded', () => {
    const r = se.receiveSms(triggerSms(host, adminTrigger({ adminUri: '/scp81/admin' }), ++counter));
    assert.deepEqual(porOf(host, r.submit, counter), { status: 0, sw: '6985' });
    assert.equal(se.adminSessionRequests.length, 0);
  });

  it('a script for an application the card does not have: reported unknown-application, nothing runs, the dialog ends', BOUND, async () => {
    const s = await adminServer(identity, psk, fromHex('A0000000FFFFFF01'));
    servers.push(s.server);
    se.receiveSms(triggerSms(host, adminTrigger({ host: '127.0.0.1', port: s.server.port, adminUri: '/scp81/admin' }), ++counter));
    const before = encodeCardState(se.state);
    const result = await se.startAdminSession(se.adminSessionRequests[0]!, SESSION);
    assert.equal(result.scripts, 1);
    assert.equal(s.dialog.state, 'failed');
    assert.equal(s.dialog.reports[0]?.status, 'unknown-application');
    assert.equal(parseResponseScript(s.dialog.reports[0].body).executed, 0);
    assert.deepEqual(encodeCardState(se.state), before);
  });

  it('a wrong PSK at the server: the session fails with ERR_OTA_TLS, the card state is unchanged', BOUND, async () => {
    const s = await adminServer(identity, psk.map((b) => b ^ 0xff));
    servers.push(s.server);
    se.receiveSms(triggerSms(host, adminTrigger({ host: '127.0.0.1', port: s.server.port, adminUri: '/scp81/admin' }), ++counter));
    const request = se.adminSessionRequests[0]!;
    const before = encodeCardState(se.state);
    await assert.rejects(se.startAdminSession(request, SESSION), (e: unknown) => e instanceof OtaError && e.code === 'ERR_OTA_TLS');
    assert.deepEqual(encodeCardState(se.state), before);
    assert.equal(s.posts.length, 0);
    assert.equal(s.dialog.state, 'open');
  });
});

describe('SCP03 inside the SCP81 session', () => {
  it('the server opens SCP03 (C-MAC/C-DEC/R-MAC/R-ENC) with the ISD across scripts and runs GET STATUS in it', BOUND, async () => {
    const batch = manufactureBatch({ profile: STRICT_UICC, count: 1, batchMasterKeys: MASTERS, transportKek: KEK, date: new Date('2026-11-27T12:00:00Z') });
    const host = hostOf(batch.keyFile.cards[0]!);
    const se = new VirtualSecureElement(new MemoryCardStore(batch.cards[0]!.state), { library: DEFAULT_APPLET_LIBRARY });
    const scp81 = se.state.ota!.scp81!;
    const identity = new TextDecoder().decode(scp81.identity);
    const store = new MemoryPskStore();
    store.put(identity, scp81.key, 60_000);
    const bridge = new ScriptBridge();
    const server = await startAdminServer({ psk: store, adminPath: '/scp81', handle: (post) => bridge.answer(post), keepAliveMs: 3000, requestTimeoutMs: 3000 });
    try {
      se.receiveSms(triggerSms(host, adminTrigger({ host: '127.0.0.1', port: server.port, adminUri: '/scp81/admin' }), 1));
      const request = se.adminSessionRequests[0]!;
      const agent = se.startAdminSession(request, SESSION);
      const session = await openScp03(bridge, plainScp03Keys({ keyVersion: 0x30, ...MASTERS, diversification: 'kdf3' }), { securityLevel: 0x33, sdAid: STRICT_UICC.isdAid });
      const status = await session.transmit({ kind: 'command-apdu', cla: 0x80, ins: 0xf2, p1: 0x40, p2: 0x02, data: fromHex('4F00'), ne: 256, extended: false });
      session.close();
      bridge.end();
      assert.equal(status.sw, 0x9000);
      assert.ok(toHex(status.data).includes('4F0E325041592E5359532E4444463031'), 'GET STATUS lists the PPSE');
      const result = await agent;
      assert.equal(result.scripts, 3); // INITIALIZE UPDATE, EXTERNAL AUTHENTICATE, GET STATUS
      assert.equal(se.stats.internalErrors, 0);
    } finally {
      await server.close();
    }
  });
});

describe('another Security Domain targeted in the session (GPC Amd B X-Admin-Targeted-Application)', () => {
  it('an SSD answers its SELECT with its FCI, trusts nothing of the ISD’s PSK (6982 before its own SCP03), works inside its SCP03; a LOCKED SSD answers SELECT 6A82', BOUND, async () => {
    const batch = manufactureBatch({ profile: STRICT_UICC, count: 1, batchMasterKeys: MASTERS, transportKek: KEK, date: new Date('2026-11-27T12:00:00Z') });
    const host = hostOf(batch.keyFile.cards[0]!);
    const state = batch.cards[0]!.state;
    const SSD_KEYS = { kvn: 0x30, enc: fromHex('11'.repeat(16)), mac: fromHex('22'.repeat(16)), dek: fromHex('33'.repeat(16)) };
    const ssdAid = 'A00000015153534400000000000001';
    const lockedAid = 'A00000015153534400000000000002';
    const withSsds = {
      ...state,
      applications: [
        ...state.applications,
        ssd(ssdAid, state.isdAid, { keys: [SSD_KEYS], profile: STRICT_UICC, lifecycle: SECURITY_DOMAIN_LIFECYCLE.PERSONALIZED }),
        ssd(lockedAid, state.isdAid, { keys: [SSD_KEYS], profile: STRICT_UICC, lifecycle: SECURITY_DOMAIN_LIFECYCLE.PERSONALIZED | LOCKED_BIT }),
      ],
    };
    const se = new VirtualSecureElement(new MemoryCardStore(withSsds), { library: DEFAULT_APPLET_LIBRARY });
    const scp81 = se.state.ota!.scp81!;
    const store = new MemoryPskStore();
    store.put(new TextDecoder().decode(scp81.identity), scp81.key, 60_000);
    const bridge = new ScriptBridge();
    const server = await startAdminServer({ psk: store, adminPath: '/scp81', handle: (post) => bridge.answer(post), keepAliveMs: 3000, requestTimeoutMs: 3000 });
    const send = async (hex: string) => parseResponse(await bridge.transmit(fromHex(hex)));
    try {
      se.receiveSms(triggerSms(host, adminTrigger({ host: '127.0.0.1', port: server.port, adminUri: '/scp81/admin' }), 1));
      const agent = se.startAdminSession(se.adminSessionRequests[0]!, SESSION);
      const getStatus = '80F24002024F0000';
      assert.equal((await send(getStatus)).sw, 0x9000, 'on the ISD the PSK session is the authentication');
      bridge.target = fromHex(ssdAid);
      const select = await send(toHex(encodeCommand(buildSelect(fromHex(ssdAid)))));
      assert.equal(select.sw, 0x9000);
      assert.ok(toHex(select.data).startsWith('6F') && toHex(select.data).includes(ssdAid), 'the SSD’s FCI');
      assert.equal((await send(getStatus)).sw, 0x6982, 'the SSD does not take the ISD’s PSK for its own keys');
      const session = await openScp03(bridge, plainScp03Keys({ keyVersion: SSD_KEYS.kvn, enc: SSD_KEYS.enc, mac: SSD_KEYS.mac, dek: SSD_KEYS.dek }), { securityLevel: 0x33, sdAid: fromHex(ssdAid) });
      const status = await session.transmit({ kind: 'command-apdu', cla: 0x80, ins: 0xf2, p1: 0x40, p2: 0x02, data: fromHex('4F00'), ne: 256, extended: false });
      assert.equal(status.sw, 0x9000, 'GET STATUS in the SSD’s own SCP03');
      session.close();
      bridge.target = fromHex(lockedAid);
      assert.equal((await send(toHex(encodeCommand(buildSelect(fromHex(lockedAid)))))).sw, 0x6a82, 'a LOCKED SSD cannot be selected');
      bridge.end();
      const result = await agent;
      assert.equal(result.scripts, 7); // GET STATUS, SELECT, GET STATUS, INITIALIZE UPDATE, EXTERNAL AUTHENTICATE, GET STATUS, SELECT
      assert.equal(se.stats.internalErrors, 0);
    } finally {
      await server.close();
    }
  });
});

describe('the admin defaults of a card', () => {
  it('an empty trigger takes the configured admin server; the default agent id is the PSK identity', () => {
    const batch = manufactureBatch({ profile: STRICT_UICC, count: 1, batchMasterKeys: MASTERS, transportKek: KEK, date: new Date('2026-11-27T12:00:00Z') });
    const host = hostOf(batch.keyFile.cards[0]!);
    const se = new VirtualSecureElement(new MemoryCardStore(batch.cards[0]!.state), {
      library: DEFAULT_APPLET_LIBRARY,
      adminDefaults: { host: 'tsm.example', port: 8443, adminUri: '/scp81' },
    });
    const r = se.receiveSms(triggerSms(host, adminTrigger({}), 1));
    assert.deepEqual(porOf(host, r.submit, 1), { status: 0, sw: '9000' });
    const [request] = se.adminSessionRequests;
    assert.deepEqual(
      { host: request?.host, port: request?.port, adminUri: request?.adminUri, agentId: request?.agentId },
      { host: 'tsm.example', port: 8443, adminUri: '/scp81', agentId: new TextDecoder().decode(se.state.ota!.scp81!.identity) },
    );
  });
});
