/**
 * The SMS bearer (src/tsm/ota/smpp-bearer.ts) against the fleet's SMSC simulator on loopback: whole
 * and concatenated packets reach the handset and are reassembled there by src/ota's
 * CommandPacketReassembler, the handset's reply comes back as deliver_sm; a lost part, a duplicated
 * part, a full SMSC queue, an SMSC that is down or refuses the password, a dropped session, and
 * delivery receipts; the simulator's intercept hook (faults both ways) and exchange's `accept`
 * (a stray reply passed over). Every test closes what it opened and ends by itself.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { SmscSimulator, type SmscMessage, type SmscSimulatorOptions } from '../../../src/cli/fleet/smsc-simulator.ts';
import { CommandPacketReassembler, IEI } from '../../../src/ota/index.ts';
import { SmppBearer, TsmError, type DeliveryReceipt, type MoSms, type SmppBearerOptions } from '../../../src/tsm/index.ts';

const MSISDN = '447700900123';
const PASSWORD = 'Secr3t!';
const REPLY = Uint8Array.of(0x02, 0x71, 0x00, 0x00, 0x0c, 0x0a, 0xb0, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x90, 0x00);

function packet(length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 7 + 3) & 0xff);
}

/** A virtual handset: reassembles parts, counts refusals, answers a complete packet with REPLY. */
function handset() {
  const reassembler = new CommandPacketReassembler({ maxParts: 8 });
  const got = { complete: [] as Uint8Array[], refused: [] as string[], parts: 0, firstUdh: [] as number[] };
  const handler = (msisdn: string, ud: Uint8Array, udh: readonly { iei: number }[]): Promise<Uint8Array | undefined> => {
    assert.equal(msisdn, MSISDN);
    got.parts++;
    if (got.parts === 1) got.firstUdh = udh.map((e) => e.iei);
    try {
      const r = reassembler.add(ud);
      if (r.kind !== 'complete') return Promise.resolve(undefined);
      got.complete.push(r.packet);
      return Promise.resolve(REPLY);
    } catch (e) {
      got.refused.push((e as Error).message);
      return Promise.resolve(undefined);
    }
  };
  return { got, handler };
}

async function withRig(sim: Partial<SmscSimulatorOptions>, bearer: Partial<SmppBearerOptions>, run: (r: { sim: SmscSimulator; bearer: SmppBearer; got: ReturnType<typeof handset>['got'] }) => Promise<void>): Promise<void> {
  const s = await SmscSimulator.start({ systemId: 'tsm', password: PASSWORD, ...sim });
  const h = handset();
  s.registerHandset(MSISDN, h.handler);
  const b = new SmppBearer({ host: '127.0.0.1', port: s.port, systemId: 'tsm', password: PASSWORD, sourceAddress: '12345', responseTimeoutMs: 2000, ...bearer });
  try {
    await run({ sim: s, bearer: b, got: h.got });
  } finally {
    await b.close();
    await s.close();
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function refusedWith(code: string, pattern: RegExp): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof TsmError, String(e));
    assert.equal(e.code, code);
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes(MSISDN) && !e.message.includes(PASSWORD), 'no MSISDN or password in the message');
    return true;
  };
}

describe('SmppBearer against the SMSC simulator', { timeout: 20_000 }, () => {
  it('a 1-part packet: one submit_sm with the CPI header, reassembled at the handset, the reply comes back', () =>
    withRig({ delayMs: 5 }, {}, async ({ bearer, got, sim }) => {
      await bearer.connect();
      assert.equal(bearer.state, 'bound');
      const p = packet(60);
      const { submitted, reply } = await bearer.exchange(MSISDN, p, { timeoutMs: 3000 });
      assert.equal(submitted.parts, 1);
      assert.equal(submitted.messageIds.length, 1);
      assert.deepEqual(got.complete, [p]);
      assert.deepEqual(got.firstUdh, [IEI.COMMAND_PACKET]);
      assert.equal(reply.msisdn, MSISDN);
      assert.equal(reply.udhi, true);
      assert.deepEqual(reply.userData, REPLY);
      assert.equal(sim.stats.replies, 1);
    }));

  it('a 3-part packet: concatenated (IEI 00 + 70 in part 1), reassembled in order, one reply', () =>
    withRig({ delayMs: 5 }, {}, async ({ bearer, got }) => {
      await bearer.connect();
      const p = packet(300);
      const { submitted, reply } = await bearer.exchange(MSISDN, p, { timeoutMs: 3000 });
      assert.equal(submitted.parts, 3);
      assert.equal(new Set(submitted.messageIds).size, 3);
      assert.equal(got.parts, 3);
      assert.deepEqual(got.firstUdh, [IEI.CONCAT_8, IEI.COMMAND_PACKET]);
      assert.deepEqual(got.complete, [p]);
      assert.deepEqual(reply.userData, REPLY);
    }));

  it('16-bit references: IEI 08 in every part, and a new reference for every packet', () =>
    withRig({}, { referenceBits: 16 }, async ({ bearer, got }) => {
      await bearer.connect();
      const first = await bearer.exchange(MSISDN, packet(300), { timeoutMs: 3000 });
      const second = await bearer.exchange(MSISDN, packet(300), { timeoutMs: 3000 });
      assert.deepEqual(got.firstUdh, [IEI.CONCAT_16, IEI.COMMAND_PACKET]);
      assert.notEqual(first.submitted.reference, second.submitted.reference);
      assert.equal(got.complete.length, 2);
    }));

  it('a lost part: the handset never completes the packet and the wait ends in a clear timeout', () =>
    withRig({ faults: new Map([[1, 'lose']]) }, {}, async ({ bearer, got, sim }) => {
      await bearer.connect();
      await assert.rejects(bearer.exchange(MSISDN, packet(300), { timeoutMs: 300 }), refusedWith('ERR_TSM_UNREACHABLE', /no reply from the SE within 300 ms/));
      assert.equal(sim.stats.lost, 1);
      assert.equal(got.complete.length, 0);
      assert.equal(got.refused.length, 1);
      assert.match(got.refused[0]!, /part 3 after part 1/);
    }));

  it('a duplicated part: the reassembler refuses the duplicate, the packet completes once, one reply', () =>
    withRig({ faults: new Map([[1, 'duplicate']]) }, {}, async ({ bearer, got, sim }) => {
      await bearer.connect();
      const p = packet(300);
      const { reply } = await bearer.exchange(MSISDN, p, { timeoutMs: 3000 });
      assert.deepEqual(reply.userData, REPLY);
      assert.equal(sim.stats.duplicated, 1);
      assert.equal(got.parts, 4);
      assert.equal(got.refused.length, 1);
      assert.match(got.refused[0]!, /duplicate of the last part/);
      assert.deepEqual(got.complete, [p]);
    }));

  it('seeded random loss is reproducible: the same seed loses the same messages', async () => {
    const lostWith = async (seed: number): Promise<number[]> => {
      const lost: number[] = [];
      await withRig({ lossRate: 0.5, seed }, {}, async ({ bearer, got, sim }) => {
        await bearer.connect();
        for (let i = 0; i < 8; i++) await bearer.submit(MSISDN, Uint8Array.of(i, ...packet(39)));
        while (got.complete.length < 8 - sim.stats.lost) await new Promise((r) => setTimeout(r, 5));
        const arrived = new Set(got.complete.map((p) => p[0]));
        for (let i = 0; i < 8; i++) if (!arrived.has(i)) lost.push(i);
      });
      return lost;
    };
    const a = await lostWith(7);
    assert.deepEqual(await lostWith(7), a);
    assert.ok(a.length > 0 && a.length < 8, `some lost, some delivered: ${a.join(',')}`);
  });

  it('delivery receipts come back as receipt events naming the submitted message id', () =>
    withRig({}, { deliveryReceipts: true }, async ({ bearer }) => {
      await bearer.connect();
      const receipt = once(bearer, 'receipt') as Promise<[DeliveryReceipt]>;
      const { submitted } = await bearer.exchange(MSISDN, packet(20), { timeoutMs: 3000 });
      const [r] = await receipt;
      assert.equal(r.messageId, submitted.messageIds[0]);
      assert.equal(r.state, 'DELIVRD');
    }));

  it('an MSISDN no handset registered: the receipt says UNDELIV and the simulator counts it', () =>
    withRig({}, { deliveryReceipts: true }, async ({ bearer, sim }) => {
      await bearer.connect();
      const receipt = once(bearer, 'receipt') as Promise<[DeliveryReceipt]>;
      const { messageIds } = await bearer.submit('447700900999', packet(20));
      const [r] = await receipt;
      assert.deepEqual([r.messageId, r.state, r.msisdn], [messageIds[0], 'UNDELIV', '447700900999']);
      assert.equal(sim.stats.undeliverable, 1);
    }));

  it('a handset handler that throws is counted; the next message still gets through', () =>
    withRig({}, {}, async ({ bearer, sim }) => {
      const h = handset();
      let first = true;
      sim.registerHandset(MSISDN, (msisdn, ud, udh) => {
        if (first) {
          first = false;
          return Promise.reject(new Error('handset crashed'));
        }
        return h.handler(msisdn, ud, udh);
      });
      await bearer.connect();
      await assert.rejects(bearer.exchange(MSISDN, packet(20), { timeoutMs: 200 }), refusedWith('ERR_TSM_UNREACHABLE', /no reply/));
      assert.equal(sim.stats.handlerErrors, 1);
      const { reply } = await bearer.exchange(MSISDN, packet(20), { timeoutMs: 3000 });
      assert.deepEqual(reply.userData, REPLY);
    }));

  it('an unsolicited MO is emitted as an mo event', () =>
    withRig({}, {}, async ({ bearer, sim }) => {
      const other = '447700900555';
      sim.registerHandset(other, () => Promise.resolve(Uint8Array.of(0x02, 0x71, 0x00, 0xaa)));
      await bearer.connect();
      const mo = once(bearer, 'mo');
      await bearer.submit(other, packet(20));
      const [m] = (await mo) as [{ msisdn: string; userData: Uint8Array; udhi: boolean }];
      assert.deepEqual([m.msisdn, m.udhi, [...m.userData]], [other, true, [0x02, 0x71, 0x00, 0xaa]]);
    }));

  it('a full SMSC queue answers ESME_RMSGQFUL: submit fails with ERR_TSM_UNREACHABLE', () =>
    withRig({ maxQueue: 2, delayMs: 200 }, {}, async ({ bearer, sim }) => {
      await bearer.connect();
      await assert.rejects(bearer.submit(MSISDN, packet(300)), refusedWith('ERR_TSM_UNREACHABLE', /ESME_RMSGQFUL/));
      assert.equal(sim.stats.queueFull, 1);
    }));

  it('SMSC down: connect and submit fail with ERR_TSM_UNREACHABLE', async () => {
    const port = await freePort();
    const bearer = new SmppBearer({ host: '127.0.0.1', port, systemId: 'tsm', password: PASSWORD, sourceAddress: '12345' });
    try {
      await assert.rejects(bearer.connect(), refusedWith('ERR_TSM_UNREACHABLE', /cannot reach the SMSC \(ECONNREFUSED\)/));
      await assert.rejects(bearer.submit(MSISDN, packet(20)), refusedWith('ERR_TSM_UNREACHABLE', /not bound/));
    } finally {
      await bearer.close();
    }
  });

  it('a wrong password: the bind is refused with a clear ERR_TSM_CONFIG naming ESME_RINVPASWD', () =>
    withRig({}, { password: 'wrong' }, async ({ bearer, sim }) => {
      await assert.rejects(bearer.connect(), refusedWith('ERR_TSM_CONFIG', /refused bind_transceiver \(0x0e ESME_RINVPASWD\); check the SMPP system id and password/));
      assert.equal(bearer.state, 'failed');
      assert.equal(sim.stats.bindsRefused, 1);
    }));

  it('a dropped session: the bearer rebinds with backoff and works again; keepalive runs meanwhile', async () => {
    let sim = await SmscSimulator.start({ systemId: 'tsm', password: PASSWORD });
    const port = sim.port;
    const bearer = new SmppBearer({ host: '127.0.0.1', port, systemId: 'tsm', password: PASSWORD, sourceAddress: '12345', enquireLinkMs: 30, reconnect: { initialMs: 20, maxMs: 100 } });
    try {
      await bearer.connect();
      await new Promise((r) => setTimeout(r, 100)); // a few enquire_link round trips
      assert.equal(bearer.state, 'bound');
      const reconnecting = once(bearer, 'state');
      await sim.close();
      assert.deepEqual(await reconnecting, ['reconnecting']);
      await assert.rejects(bearer.submit(MSISDN, packet(20)), refusedWith('ERR_TSM_UNREACHABLE', /not bound to the SMSC \(reconnecting\)/));
      await new Promise((r) => setTimeout(r, 150)); // some refused attempts
      sim = await SmscSimulator.start({ systemId: 'tsm', password: PASSWORD, port });
      const h = handset();
      sim.registerHandset(MSISDN, h.handler);
      while (bearer.state !== 'bound') await once(bearer, 'state');
      const { reply } = await bearer.exchange(MSISDN, packet(20), { timeoutMs: 3000 });
      assert.deepEqual(reply.userData, REPLY);
    } finally {
      await bearer.close();
      await sim.close();
    }
  });

  it('close() fails a pending wait with ERR_TSM_STATE and refuses later use', () =>
    withRig({}, {}, async ({ bearer }) => {
      await bearer.connect();
      const refused = assert.rejects(bearer.waitForMo(MSISDN, { timeoutMs: 10_000 }), refusedWith('ERR_TSM_STATE', /closed/));
      await bearer.close();
      await refused;
      await assert.rejects(bearer.connect(), refusedWith('ERR_TSM_STATE', /closed/));
    }));

  it('intercept: sees every message both ways, numbered; rewrites, replays and loses an MT, duplicates and loses a reply', async () => {
    const seen: string[] = [];
    const mt: Uint8Array[] = [];
    const intercept = (m: SmscMessage): readonly Uint8Array[] | undefined => {
      seen.push(`${m.direction}${m.index}`);
      if (m.direction === 'mt') mt.push(m.userData);
      if (m.direction === 'mt' && m.index === 1) return [mt[0]!, m.userData]; // the first packet replayed before the second
      if (m.direction === 'mt' && m.index === 2) return []; // lost
      if (m.direction === 'mt' && m.index === 3) return [Uint8Array.of(...m.userData.subarray(0, 3), ...packet(20))]; // rewritten
      if (m.direction === 'mo' && m.index === 0) return [m.userData, m.userData]; // the first reply twice
      if (m.direction === 'mo' && m.index === 2) return []; // a reply lost
      return undefined;
    };
    await withRig({ intercept }, {}, async ({ bearer, got, sim }) => {
      await bearer.connect();
      const replies: MoSms[] = [];
      bearer.on('mo', (mo) => void replies.push(mo));
      await bearer.exchange(MSISDN, packet(60), { timeoutMs: 3000 });
      await bearer.exchange(MSISDN, packet(61), { timeoutMs: 3000 });
      await assert.rejects(bearer.exchange(MSISDN, packet(62), { timeoutMs: 200 }), refusedWith('ERR_TSM_UNREACHABLE', /no reply/));
      await bearer.exchange(MSISDN, packet(63), { timeoutMs: 3000 });
      assert.deepEqual(got.complete, [packet(60), packet(60), packet(61), packet(20)], 'replayed before the second; the third lost; the fourth rewritten');
      await new Promise((r) => setTimeout(r, 50));
      // replies: 1st twice, replay's, 2nd's (lost: index 2), rewritten's
      assert.equal(replies.length, 4);
      assert.deepEqual(seen, ['mt0', 'mo0', 'mt1', 'mo1', 'mo2', 'mt2', 'mt3', 'mo3']);
      assert.equal(sim.stats.intercepted, 5);
      assert.equal(sim.stats.submitted, 4);
    });
  });

  it('intercept: a hook that throws is counted as a handler error, the message goes on as usual', () =>
    withRig({ intercept: () => { throw new Error('hook bug'); } }, {}, async ({ bearer, got, sim }) => {
      await bearer.connect();
      await bearer.exchange(MSISDN, packet(60), { timeoutMs: 3000 });
      assert.deepEqual(got.complete, [packet(60)]);
      assert.equal(sim.stats.handlerErrors, 2);
    }));

  it('exchange with accept: replies it refuses are passed over (still emitted as mo), the first it takes is the reply; none taken → timeout', async () => {
    // the reply goes back twice, and a stray unsolicited reply comes first
    const intercept = (m: SmscMessage): readonly Uint8Array[] | undefined => (m.direction === 'mo' ? [Uint8Array.of(0x02, 0x71, 0x00, 0xee), m.userData] : undefined);
    await withRig({ intercept }, {}, async ({ bearer }) => {
      await bearer.connect();
      const offered: number[] = [];
      const emitted: MoSms[] = [];
      bearer.on('mo', (mo) => void emitted.push(mo));
      const { reply } = await bearer.exchange(MSISDN, packet(60), {
        timeoutMs: 3000,
        accept: async (mo) => {
          offered.push(mo.userData.length);
          await new Promise((r) => setTimeout(r, 20)); // slow (an HSM): the next reply is not missed meanwhile
          return mo.userData.length === REPLY.length;
        },
      });
      assert.deepEqual(reply.userData, REPLY);
      assert.deepEqual(offered, [4, REPLY.length]);
      assert.equal(emitted.length, 2);
      await assert.rejects(bearer.exchange(MSISDN, packet(60), { timeoutMs: 300, accept: () => false }), refusedWith('ERR_TSM_UNREACHABLE', /no reply from the SE within 300 ms/));
      await assert.rejects(
        bearer.exchange(MSISDN, packet(60), { timeoutMs: 3000, accept: () => { throw new TsmError('ERR_TSM_STATE', 'accept refused'); } }),
        refusedWith('ERR_TSM_STATE', /accept refused/),
      );
    });
  });

  it('exchange with accept: close() ends the wait with ERR_TSM_STATE', () =>
    withRig({ faults: new Map([[0, 'lose']]) }, {}, async ({ bearer }) => {
      await bearer.connect();
      const waiting = assert.rejects(bearer.exchange(MSISDN, packet(60), { timeoutMs: 10_000, accept: () => true }), refusedWith('ERR_TSM_STATE', /closed/));
      await new Promise((r) => setTimeout(r, 50));
      await bearer.close();
      await waiting;
    }));

  it('bad input: an MSISDN that is not digits, a packet too long for 255 parts', () =>
    withRig({}, {}, async ({ bearer }) => {
      await bearer.connect();
      await assert.rejects(bearer.submit('not-a-number', packet(10)), refusedWith('ERR_TSM_REQUEST', /msisdn/));
      await assert.rejects(bearer.submit(MSISDN, packet(40_000)), refusedWith('ERR_TSM_REQUEST', /concatenation limits/));
      assert.throws(() => new SmppBearer({ host: '127.0.0.1', port: 2775, systemId: 'tsm', password: 'too-long-pw', sourceAddress: '1' }), refusedWith('ERR_TSM_CONFIG', /password/));
    }));
});
