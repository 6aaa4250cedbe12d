/**
 * The SCP81 bearer (src/tsm/ota/scp81-bearer.ts) on loopback: a software HSM holds the SE's
 * protocol-memory PSK; the agent is src/ota's runAdminSession executing each script's APDUs on a
 * virtual SE. Trigger and reachability, GET DATA and a full SCP03 handshake through the transport,
 * the idle 204 and the PSK wiped, a wrong PSK, a connection dropped mid-transmit (no APDU twice).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../../src/bytes/index.ts';
import { encodeCommand, parseResponse, SW } from '../../../src/apdu/index.ts';
import { buildGetData, buildSelect, GET_DATA_TAGS, openScp03, plainScp03Keys } from '../../../src/gp/index.ts';
import { MemoryPskStore, agentPost, encodeResponseScript, parseCommandScript, runAdminSession, type AdminAnswer, type AdminScript, type ScriptReport } from '../../../src/ota/index.ts';
import { END_SESSION, Scp81Bearer, Scp81Session, TsmError, type Scp81BearerOptions } from '../../../src/tsm/index.ts';
import { softwareHsm } from '../../hsm/software-setup.ts';
import { ISD_KEYS, TEST_CPLC, testCard } from '../../se/helpers.ts';

const SE = 'se-0001';
const IDENTITY = 'scp81-psk-0001';
const AGENT_ID = '//se-id/eid/89049032123451234512345678901235;//aa-id/aid/A000000151/000000';
const ISD = fromHex('A000000151000000');
const HOST_KEYS = { keyVersion: ISD_KEYS.kvn, enc: ISD_KEYS.enc, mac: ISD_KEYS.mac, dek: ISD_KEYS.dek };

const until = async (check: () => boolean, what: string, ms = 3000): Promise<void> => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

/** A bearer with a PSK in a software HSM, a counting trigger, the SE registered; closes everything after `body`. */
async function withBearer(options: Partial<Scp81BearerOptions>, body: (t: Awaited<ReturnType<typeof setup>>) => Promise<void>): Promise<void> {
  const t = await setup(options);
  try {
    await body(t);
  } finally {
    await t.bearer.close();
    t.hsm.close();
  }
}

async function setup(options: Partial<Scp81BearerOptions>) {
  const { hsm, ctx } = await softwareHsm();
  const handle = await hsm.generateKey({ usage: 'D0', algorithm: 'A', modeOfUse: 'B', exportability: 'E', length: 16, owner: ctx.tenant, label: 'SCP81 PSK', class: 'protocol-memory' }, ctx);
  const psk = await hsm.revealProtocolKey(handle.id, ctx); // what the card was personalized with
  const triggers: string[] = [];
  const store = new MemoryPskStore();
  const errors: Error[] = [];
  const bearer = await Scp81Bearer.start({
    hsm,
    ctx,
    pskStore: store,
    idleMs: 300,
    trigger: { trigger: (seId) => void triggers.push(seId) },
    onError: (e) => void errors.push(e),
    ...options,
  });
  bearer.expect(SE, { identity: IDENTITY, keyId: handle.id });
  const card = testCard();
  const executed: string[] = [];
  /** The agent's execute: every C-APDU of the script on the card, the R-APDUs in a response script. */
  const execute = (script: AdminScript): ScriptReport => {
    const items = parseCommandScript(script.body).items;
    const responses = items.map((i) => {
      assert.equal(i.kind, 'c-apdu');
      const apdu = i.kind === 'c-apdu' ? i.apdu : new Uint8Array(0);
      executed.push(toHex(apdu));
      return card.process(apdu);
    });
    return { status: 'ok', body: encodeResponseScript({ length: 'definite', executed: responses.length, responses }) };
  };
  const agent = (over: Partial<Parameters<typeof runAdminSession>[0]> = {}) =>
    runAdminSession({ ...bearer.address, identity: IDENTITY, psk, agentId: AGENT_ID, execute, retry: { attempts: 0, delayMs: 10 }, ...over });
  return { hsm, ctx, psk, bearer, store, triggers, errors, card, executed, execute, agent };
}

/** Triggers the SE and starts its agent; resolves once the bearer has the session. */
async function open(t: Awaited<ReturnType<typeof setup>>, over: Partial<Parameters<typeof runAdminSession>[0]> = {}) {
  const reached: string[] = [];
  const off = t.bearer.onReachable((seId) => void reached.push(seId));
  assert.equal(t.bearer.connect(SE), undefined);
  await until(() => t.triggers.length === 1 && t.store.get(IDENTITY) !== undefined, 'the trigger');
  const session = t.agent(over);
  await until(() => reached.length === 1, 'onReachable');
  off();
  assert.deepEqual(reached, [SE]);
  const transport = t.bearer.connect(SE);
  assert.ok(transport !== undefined);
  return { session, transport };
}

describe('Scp81Bearer', () => {
  it('connect before the agent: undefined and one trigger (deduped); the PSK is read from the HSM first', () =>
    withBearer({}, async (t) => {
      assert.equal(t.bearer.connect(SE), undefined);
      assert.equal(t.bearer.connect(SE), undefined);
      await until(() => t.triggers.length === 1, 'the trigger');
      assert.equal(toHex(t.store.get(IDENTITY)!), toHex(t.psk));
      assert.equal(t.bearer.connect(SE), undefined);
      await new Promise((r) => setTimeout(r, 30));
      assert.deepEqual(t.triggers, [SE]);
      assert.equal(t.bearer.connect('se-unknown'), undefined);
      await new Promise((r) => setTimeout(r, 30));
      assert.deepEqual(t.triggers, [SE], 'no trigger for an SE without a registration');
    }));

  it('the agent connects: onReachable(seId); SELECT ISD and GET DATA CPLC through the transport; idle 204 ends it and wipes the PSK', () =>
    withBearer({}, async (t) => {
      const { session, transport } = await open(t);
      const select = parseResponse(await transport.transmit(encodeCommand(buildSelect(ISD))));
      assert.equal(select.sw, SW.OK);
      assert.ok(toHex(select.data).includes('8408A000000151000000'));
      const cplc = parseResponse(await transport.transmit(encodeCommand(buildGetData(GET_DATA_TAGS.CPLC))));
      assert.equal(cplc.sw, SW.OK);
      assert.equal(toHex(cplc.data), `9F7F2A${toHex(TEST_CPLC)}`);
      const result = await session; // the idle timeout answers 204 without Next-URI
      assert.deepEqual(result, { exchanges: 3, scripts: 2, resumes: 0, lastUnreported: false });
      assert.equal(t.bearer.isOpen(SE), false);
      assert.equal(t.store.size, 0, 'the PSK is forgotten');
      assert.equal(transport.connected, false);
      await assert.rejects(transport.transmit(encodeCommand(buildSelect(ISD))), (e: unknown) => e instanceof TsmError && e.code === 'ERR_TSM_UNREACHABLE');
      assert.equal(t.executed.length, 2);
    }));

  it('serializes concurrent transmits and runs a full SCP03 handshake (INITIALIZE UPDATE, EXTERNAL AUTHENTICATE) over it', () =>
    withBearer({}, async (t) => {
      const { session, transport } = await open(t);
      const [a, b] = await Promise.all([
        transport.transmit(encodeCommand(buildSelect(ISD))),
        transport.transmit(encodeCommand(buildGetData(GET_DATA_TAGS.CPLC))),
      ]);
      assert.equal(parseResponse(a).sw, SW.OK);
      assert.equal(toHex(parseResponse(b).data), `9F7F2A${toHex(TEST_CPLC)}`);
      const scp = await openScp03(transport, plainScp03Keys(HOST_KEYS), { securityLevel: 0x33, sdAid: ISD });
      const info = await scp.transmit(buildGetData(GET_DATA_TAGS.KEY_INFORMATION));
      assert.equal(info.sw, SW.OK);
      scp.close();
      assert.equal(t.card.state.applications[0]!.sd!.keySets[0]!.counter, 1);
      await session;
      assert.equal(t.executed.length, 5, 'SELECT, GET DATA, INITIALIZE UPDATE, EXTERNAL AUTHENTICATE, GET DATA: each once');
    }));

  it('a PSK whose agent never comes is wiped when its lifetime is over', () =>
    withBearer({ pskTtlMs: 100 }, async (t) => {
      assert.equal(t.bearer.connect(SE), undefined);
      await until(() => t.store.size === 1, 'the PSK');
      await until(() => t.store.size === 0, 'the PSK wiped by its TTL', 1000);
      await assert.rejects(t.agent(), (e: unknown) => (e as { code?: string }).code === 'ERR_OTA_TLS');
      assert.equal(t.bearer.isOpen(SE), false);
    }));

  it('a wrong PSK: no session, the SE stays unreachable', () =>
    withBearer({}, async (t) => {
      let reached = 0;
      t.bearer.onReachable(() => reached++);
      assert.equal(t.bearer.connect(SE), undefined);
      await until(() => t.store.get(IDENTITY) !== undefined, 'the PSK');
      const wrong = t.psk.slice();
      wrong[0]! ^= 1;
      await assert.rejects(t.agent({ psk: wrong }), (e: unknown) => (e as { code?: string }).code === 'ERR_OTA_TLS');
      assert.equal(reached, 0);
      assert.equal(t.bearer.connect(SE), undefined);
      assert.equal(t.bearer.isOpen(SE), false);
      assert.ok(t.errors.some((e) => (e as { code?: string }).code === 'ERR_OTA_TLS'));
    }));

  it('a connection dropped mid-transmit and no resume: ERR_TSM_UNREACHABLE, the APDU ran once, the session ends', () =>
    withBearer({ answerTimeoutMs: 400 }, async (t) => {
      let drop = true;
      const execute = (script: AdminScript): ScriptReport => {
        const report = t.execute(script);
        if (drop) {
          drop = false;
          t.bearer.dropConnections(SE);
          throw new Error('card lost power'); // the agent gives up: no report, no resume
        }
        return report;
      };
      const { session, transport } = await open(t, { execute });
      const outcome = session.then(
        () => 'ended',
        (e: unknown) => (e as Error).message,
      );
      await assert.rejects(transport.transmit(encodeCommand(buildSelect(ISD))), (e: unknown) => e instanceof TsmError && e.code === 'ERR_TSM_UNREACHABLE');
      assert.equal(await outcome, 'card lost power');
      assert.equal(t.executed.length, 1, 'the SELECT ran once and was never sent again');
      assert.equal(t.bearer.isOpen(SE), false);
      assert.equal(t.store.size, 0);
    }));

  it('a connection dropped mid-transmit, the agent resumes: the report settles the transmit, nothing runs twice', () =>
    withBearer({}, async (t) => {
      let drops = 0;
      const execute = (script: AdminScript): ScriptReport => {
        const report = t.execute(script);
        if (drops++ === 0) t.bearer.dropConnections(SE);
        return report;
      };
      const { session, transport } = await open(t, { execute, retry: { attempts: 2, delayMs: 20 } });
      const r1 = parseResponse(await transport.transmit(encodeCommand(buildSelect(ISD))));
      assert.equal(r1.sw, SW.OK);
      t.bearer.dropConnections(SE); // while the agent's next POST is held
      await new Promise((r) => setTimeout(r, 50));
      const r2 = parseResponse(await transport.transmit(encodeCommand(buildGetData(GET_DATA_TAGS.CPLC))));
      assert.equal(toHex(r2.data), `9F7F2A${toHex(TEST_CPLC)}`);
      const result = await session;
      assert.ok(result.resumes >= 1, 'the agent resumed after the drop of its held POST');
      assert.equal(t.executed.length, 2, 'each command ran exactly once');
    }));

  it('a drop without resume is noticed at once (the admin server’s onDisconnect + resumeGraceMs), not at the answer timeout', () =>
    withBearer({ answerTimeoutMs: 30_000, resumeGraceMs: 100 }, async (t) => {
      const execute = (script: AdminScript): ScriptReport => {
        t.execute(script);
        t.bearer.dropConnections(SE);
        throw new Error('card lost power');
      };
      const { session, transport } = await open(t, { execute });
      void session.catch(() => undefined);
      const started = Date.now();
      await assert.rejects(transport.transmit(encodeCommand(buildSelect(ISD))), (e: unknown) => e instanceof TsmError && e.code === 'ERR_TSM_UNREACHABLE');
      const ms = Date.now() - started;
      assert.ok(ms < 5_000, `noticed after ${ms} ms (the answer timeout is 30 s)`);
      assert.equal(t.executed.length, 1);
      assert.equal(t.bearer.isOpen(SE), false);
    }));

  it('a job wanting the SE soon after its last session: triggered as soon as the interval allows, not after retriggerAfterMs', () =>
    withBearer({ triggerIntervalMs: 150, retriggerAfterMs: 60_000 }, async (t) => {
      const { session, transport } = await open(t);
      assert.equal(parseResponse(await transport.transmit(encodeCommand(buildGetData(GET_DATA_TAGS.CPLC)))).sw, SW.OK);
      await session; // idle 204
      assert.equal(t.bearer.connect(SE), undefined, 'within the interval: no trigger yet');
      assert.equal(t.triggers.length, 1);
      await until(() => t.triggers.length === 2, 'the trigger once the interval is over', 2000);
    }));

  it('a job waiting for an SE that never connects: triggered again retriggerAfterMs after each trigger, maxTriggers in all, then onError; a new connect starts a new round', () =>
    withBearer({ triggerIntervalMs: 10, retriggerAfterMs: 60, maxTriggers: 3 }, async (t) => {
      assert.equal(t.bearer.connect(SE), undefined);
      await until(() => t.errors.length === 1, 'the bearer giving up', 5000);
      assert.equal(t.triggers.length, 3);
      assert.equal(t.errors[0] instanceof TsmError && t.errors[0].code, 'ERR_TSM_UNREACHABLE');
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(t.triggers.length, 3, 'no more after giving up');
      assert.equal(t.bearer.connect(SE), undefined);
      await until(() => t.triggers.length === 4, 'a new round');
      // the agent comes: no more triggers
      const session = t.agent();
      await until(() => t.bearer.isOpen(SE), 'the session');
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(t.triggers.length, 4);
      await t.bearer.close();
      await session;
    }));

  it('close(): the held POST gets 204, pending transmits fail, the PSKs are wiped', () =>
    withBearer({ idleMs: 10_000 }, async (t) => {
      const { session, transport } = await open(t);
      assert.equal(parseResponse(await transport.transmit(encodeCommand(buildSelect(ISD)))).sw, SW.OK);
      await t.bearer.close();
      const result = await session;
      assert.equal(result.lastUnreported, false);
      assert.equal(t.store.size, 0);
      await assert.rejects(transport.transmit(encodeCommand(buildSelect(ISD))), (e: unknown) => e instanceof TsmError && e.code === 'ERR_TSM_UNREACHABLE');
    }));

  it('refuses bad registrations', () =>
    withBearer({}, (t) => {
      assert.throws(() => t.bearer.expect('', { identity: 'x', keyId: 'k' }), (e: unknown) => e instanceof TsmError && e.code === 'ERR_TSM_REQUEST');
      assert.throws(() => t.bearer.expect('se-2', { identity: 'bad\nid', keyId: 'k' }), (e: unknown) => e instanceof TsmError && e.code === 'ERR_TSM_REQUEST');
      assert.throws(() => t.bearer.expect('se-2', { identity: IDENTITY, keyId: 'k' }), (e: unknown) => e instanceof TsmError && e.code === 'ERR_TSM_CONFLICT');
      return Promise.resolve();
    }));

  it('the PSK identity the TLS session proved picks the SE, never X-Admin-From', () =>
    withBearer({}, async (t) => {
      const other = await t.hsm.generateKey({ usage: 'D0', algorithm: 'A', modeOfUse: 'B', exportability: 'E', length: 32, owner: t.ctx.tenant, label: 'SCP81 PSK 2', class: 'protocol-memory' }, t.ctx);
      const psk2 = await t.hsm.revealProtocolKey(other.id, t.ctx);
      t.bearer.expect('se-0002', { identity: 'scp81-psk-0002', keyId: other.id });
      const reached: string[] = [];
      t.bearer.onReachable((seId) => void reached.push(seId));
      assert.equal(t.bearer.connect('se-0002'), undefined);
      await until(() => t.store.get('scp81-psk-0002') !== undefined, 'the second PSK');
      // Same X-Admin-From as SE 1's agent, but SE 2's identity and key.
      const session = t.agent({ identity: 'scp81-psk-0002', psk: psk2 });
      await until(() => reached.length === 1, 'onReachable');
      assert.deepEqual(reached, ['se-0002']);
      assert.equal(t.bearer.isOpen(SE), false);
      assert.equal(t.bearer.connect(SE), undefined);
      const transport = t.bearer.connect('se-0002');
      assert.equal(parseResponse(await transport!.transmit(encodeCommand(buildSelect(ISD)))).sw, SW.OK);
      await session;
      // SE 1's identity cannot open a session with SE 2's key either.
      await until(() => t.store.get(IDENTITY) !== undefined, 'the first PSK');
      await assert.rejects(t.agent({ psk: psk2 }), (e: unknown) => (e as { code?: string }).code === 'ERR_OTA_TLS');
    }));
});

describe('Scp81Session: resume without running anything twice', () => {
  const BASE = '/scp81/s/00112233445566778899aabbccddeeff';
  const post = (uri: string, resume: boolean, rapdu?: string) =>
    agentPost({ uri, from: AGENT_ID, resume, report: rapdu === undefined ? undefined : { status: 'ok', body: encodeResponseScript({ length: 'definite', executed: 1, responses: [fromHex(rapdu)] }) } });
  const session = () => {
    const ends: string[] = [];
    const s = new Scp81Session(SE, IDENTITY, BASE, { idleMs: 10_000, answerTimeoutMs: 10_000 }, (_, reason) => void ends.push(reason));
    return { s, ends };
  };
  const apduOf = (answer: AdminAnswer) => {
    const item = parseCommandScript(answer.script!).items[0]!;
    return item.kind === 'c-apdu' ? toHex(item.apdu) : '';
  };

  it('a resume at the URI before the outstanding script gets that script again (the agent never had it)', async () => {
    const { s, ends } = session();
    const first = s.answer(post('/scp81', false));
    const r0 = s.transmit(fromHex('00A4040000'));
    const a0 = await first;
    assert.equal(a0.nextUri, `${BASE}/0`);
    assert.equal(apduOf(a0), '00A4040000');
    // The answer was lost: the agent re-navigates its opening URI with X-Admin-Resume.
    const again = await s.answer(post('/scp81', true));
    assert.equal(again.nextUri, `${BASE}/0`);
    assert.equal(apduOf(again), '00A4040000');
    const held = s.answer(post(`${BASE}/0`, false, '9000'));
    assert.equal(toHex(await r0), '9000');
    // Its report arrives twice (the answer to the first was lost): the first stands, nothing re-sent.
    const r1 = s.transmit(fromHex('80CA9F7F00'));
    assert.equal(apduOf(await held), '80CA9F7F00');
    const resumed = s.answer(post(`${BASE}/0`, true, '6A82'));
    assert.equal(apduOf(await resumed), '80CA9F7F00', 'script 1 again: the agent never had it');
    void s.answer(post(`${BASE}/1`, false, '9F7F009000'));
    assert.equal(toHex(await r1), '9F7F009000');
    s.end('closed');
    assert.deepEqual(ends, ['closed']);
  });

  it('a report for a script not sent, or a second report without resume, ends the session: ERR_TSM_UNREACHABLE', async () => {
    const { s, ends } = session();
    const first = s.answer(post('/scp81', false));
    const r0 = s.transmit(fromHex('00A4040000'));
    await first;
    assert.equal(await s.answer(post(`${BASE}/5`, false, '9000')), END_SESSION);
    await assert.rejects(r0, (e: unknown) => e instanceof TsmError && e.code === 'ERR_TSM_UNREACHABLE');
    assert.deepEqual(ends, ['protocol']);
    await assert.rejects(s.transmit(fromHex('00A4040000')), (e: unknown) => e instanceof TsmError && e.code === 'ERR_TSM_UNREACHABLE');
  });

  it('a report that is not ok rejects the transmit with ERR_TSM_STATE and ends the session', async () => {
    const { s, ends } = session();
    const first = s.answer(post('/scp81', false));
    const r0 = s.transmit(fromHex('00A4040000'));
    await first;
    const bad = agentPost({ uri: `${BASE}/0`, from: AGENT_ID, resume: false, report: { status: 'security-error', body: new Uint8Array(0) } });
    assert.equal(await s.answer(bad), END_SESSION);
    await assert.rejects(r0, (e: unknown) => e instanceof TsmError && e.code === 'ERR_TSM_STATE');
    assert.deepEqual(ends, ['script-failed']);
  });
});

describe('Scp81Session: Security Domains targeted by SELECT (GPC Amd B X-Admin-Targeted-Application)', () => {
  const BASE = '/scp81/s/ffeeddccbbaa99887766554433221100';
  const SSD = fromHex('A000000151535344000000000000');
  const session = () => new Scp81Session(SE, IDENTITY, BASE, { idleMs: 10_000, answerTimeoutMs: 10_000 }, () => undefined);
  const report = (uri: string, rapdu: string) =>
    agentPost({ uri, from: AGENT_ID, resume: false, report: { status: 'ok', body: encodeResponseScript({ length: 'definite', executed: 1, responses: [fromHex(rapdu)] }) } });
  const target = (answer: AdminAnswer) => (answer.targetedApplication === undefined ? undefined : toHex(answer.targetedApplication));

  it('a SELECT answered 9000 targets the scripts after it; an unreachable target answers 6A82 and the previous target stays', async () => {
    const s = session();
    const first = s.answer(agentPost({ uri: '/scp81', from: AGENT_ID, resume: false, report: undefined }));
    const r0 = s.transmit(encodeCommand(buildGetData(GET_DATA_TAGS.CPLC)));
    assert.equal(target(await first), undefined, 'before any SELECT: the agent’s own SD');
    const a1 = s.answer(report(`${BASE}/0`, '9000'));
    assert.equal(toHex(await r0), '9000');
    const r1 = s.transmit(encodeCommand(buildSelect(SSD)));
    assert.equal(target(await a1), toHex(SSD), 'the SELECT itself goes to the AID it names');
    const a2 = s.answer(report(`${BASE}/1`, '6F009000'));
    assert.equal(toHex(await r1), '6F009000');
    const r2 = s.transmit(fromHex('80CA006600'));
    assert.equal(target(await a2), toHex(SSD), 'and so do the scripts after it');
    const a3 = s.answer(report(`${BASE}/2`, '9000'));
    await r2;
    // a SELECT of something the agent cannot target: 6A82, the session goes on with the SSD
    const r3 = s.transmit(encodeCommand(buildSelect(fromHex('A0000000031010'))));
    assert.equal(target(await a3), 'A0000000031010');
    const a4 = s.answer(agentPost({ uri: `${BASE}/3`, from: AGENT_ID, resume: false, report: { status: 'not-a-security-domain', body: encodeResponseScript({ length: 'indefinite', executed: 0, responses: [] }) } }));
    assert.equal(toHex(await r3), '6A82');
    const r4 = s.transmit(fromHex('80CA006600'));
    assert.equal(target(await a4), toHex(SSD));
    assert.equal(s.ended, undefined);
    void s.answer(report(`${BASE}/4`, '9000'));
    await r4;
    s.end('closed');
  });

  it('MANAGE CHANNEL and commands on other logical channels answer 6881 without reaching the agent', async () => {
    const s = session();
    const held = s.answer(agentPost({ uri: '/scp81', from: AGENT_ID, resume: false, report: undefined }));
    for (const apdu of ['0070000001', '0070800100', '01A4040007A000000003101000', '81CA9F7F00', 'C0CA9F7F00']) assert.equal(toHex(await s.transmit(fromHex(apdu))), '6881', apdu);
    const r = s.transmit(encodeCommand(buildGetData(GET_DATA_TAGS.CPLC)));
    const answer = await held;
    const item = parseCommandScript(answer.script!).items[0]!;
    assert.equal(item.kind === 'c-apdu' ? toHex(item.apdu) : '', toHex(encodeCommand(buildGetData(GET_DATA_TAGS.CPLC))), 'the first script the agent sees');
    assert.equal(answer.nextUri, `${BASE}/0`);
    void s.answer(report(`${BASE}/0`, '9000'));
    await r;
    s.end('closed');
  });
});
