/**
 * MoReassembly, the TSM side of a PoR in several SMS: parts held per MSISDN until complete, then one
 * MoSms with `02 71 00 | packet` that openResponsePacket verifies; single SMS and non-parts pass
 * unchanged; hostile parts refused (told to onRefused, nothing emitted); stale and surplus sets
 * dropped. Then the chain: a manufactured virtual UICC answers seven CPLC reads with a 300+ byte
 * PoR → virtualHandsetReplies gives its three parts → the SMSC simulator delivers each as an MO
 * deliver_sm → SmppBearer's `mo` events → MoReassembly → openResponsePacket OK.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { concat, fromHex, toHex } from '../../../src/bytes/index.ts';
import {
  buildCommandPacket,
  buildResponsePacket,
  encodeCommandScript,
  OtaError,
  openResponsePacket,
  parseResponseScript,
  plainOtaHostKeys,
  spi,
  splitCommandPacket,
  splitResponsePacket,
} from '../../../src/ota/index.ts';
import { DEFAULT_APPLET_LIBRARY, manufactureBatch, MemoryCardStore, STRICT_UICC, VirtualSecureElement } from '../../../src/se/index.ts';
import { counterBytes } from '../../../src/se/ota/index.ts';
import { SmscSimulator } from '../../../src/cli/fleet/smsc-simulator.ts';
import { virtualHandset } from '../../../src/cli/fleet/virtual-handset.ts';
import { MoReassembly, SmppBearer, TsmError, type MoSms } from '../../../src/tsm/index.ts';
import { hostOf, KEK, MASTERS } from '../../se/ota/factory-host.ts';

const SPI = spi({ rcCcDs: 'cc', ciphered: true, counter: 'higher', por: 'required', porRcCcDs: 'cc', porCiphered: true, porVia: 'submit' });
const keys = { kic: fromHex('000102030405060708090a0b0c0d0e0f'), kid: fromHex('0f0e0d0c0b0a09080706050403020100') };
const TAR = fromHex('000000');
const expected = (counter: Uint8Array) => ({ spi: SPI, kic: 0x12, kid: 0x12, tar: TAR, counter });
const hostKeys = () => plainOtaHostKeys({ key: keys.kic, algorithm: 'aes' }, { key: keys.kid, algorithm: 'aes' });

function porOf(n: number, counter = counterBytes(1)): Uint8Array {
  const data = Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff);
  return buildResponsePacket(keys, { spi: SPI, kic: 0x12, kid: 0x12, tar: TAR, counter, status: 0, data }, { unsecured: false });
}
const mo = (userData: Uint8Array, msisdn = '447700900001', udhi = true): MoSms => Object.freeze({ kind: 'sms-mo', msisdn, userData, udhi });

function collector(options: ConstructorParameters<typeof MoReassembly>[0] = {}) {
  const refused: { msisdn: string; error: OtaError }[] = [];
  const r = new MoReassembly({ ...options, onRefused: (msisdn, error) => refused.push({ msisdn, error }) });
  return { r, refused };
}

describe('MoReassembly', () => {
  const ud = porOf(300);
  const parts = splitResponsePacket(ud, { reference: 9, referenceBits: 8 });

  it('holds the parts of a 300+ byte PoR, then gives 02 71 00 | packet, which verifies', async () => {
    const { r, refused } = collector();
    assert.equal(parts.length, 3);
    assert.equal(r.add(mo(parts[0]!)), undefined);
    assert.equal(r.add(mo(parts[1]!)), undefined);
    assert.equal(r.pending, 1);
    const whole = r.add(mo(parts[2]!));
    assert.ok(whole !== undefined);
    assert.deepEqual([whole.kind, whole.msisdn, whole.udhi], ['sms-mo', '447700900001', true]);
    assert.deepEqual(whole.userData, ud);
    const por = await openResponsePacket(hostKeys(), whole.userData, expected(counterBytes(1)));
    assert.deepEqual([por.status, por.data.length], [0, 300]);
    assert.equal(r.pending, 0);
    assert.deepEqual(refused, []);
  });

  it('passes a one-SMS PoR, an SMS without UDHI and a header that does not parse unchanged', () => {
    const { r } = collector();
    for (const m of [mo(porOf(20)), mo(fromHex('48656c6c6f'), '447700900001', false), mo(fromHex('0970'))]) assert.equal(r.add(m), m);
  });

  it('keeps MSISDNs apart: interleaved parts of two SEs both complete', () => {
    const { r } = collector();
    const other = splitResponsePacket(porOf(300, counterBytes(2)), { reference: 9, referenceBits: 8 });
    const out: MoSms[] = [];
    for (let i = 0; i < 3; i++) {
      for (const [msisdn, p] of [['447700900001', parts], ['447700900002', other]] as const) {
        const whole = r.add(mo(p[i]!, msisdn));
        if (whole !== undefined) out.push(whole);
      }
    }
    assert.deepEqual(out.map((m) => m.msisdn), ['447700900001', '447700900002']);
    assert.notDeepEqual(out[0]!.userData, out[1]!.userData);
  });

  it('refuses hostile parts — reordered, a CPI part 1, the RPI in a later part, a forged repeat, too many parts — and emits nothing', () => {
    const { r, refused } = collector({ maxParts: 4 });
    const cmd = splitCommandPacket(ud.subarray(3), { reference: 9, referenceBits: 8 });
    const forged = parts[0]!.slice();
    forged[50]! ^= 1;
    const feed = [parts[1]!, cmd[0]!, parts[0]!, fromHex('070003090302' + '7100' + 'abcd'), parts[0]!, forged, splitResponsePacket(porOf(700), { reference: 1, referenceBits: 8 })[0]!];
    for (const p of feed) assert.equal(r.add(mo(p)), undefined);
    assert.deepEqual(
      refused.map((x) => x.error.code),
      ['ERR_OTA_CONCAT', 'ERR_OTA_CONCAT', 'ERR_OTA_CONCAT', 'ERR_OTA_CONCAT', 'ERR_OTA_CONCAT'],
    );
    assert.ok(refused.every((x) => x.msisdn === '447700900001' && !x.error.message.includes(toHex(parts[0]!).slice(20, 40))));
    assert.equal(r.pending, 0);
  });

  it('a part changed in transit completes but the PoR does not verify', async () => {
    const { r } = collector();
    const changed = parts[1]!.slice();
    changed[changed.length - 1]! ^= 0x40;
    r.add(mo(parts[0]!));
    r.add(mo(changed));
    const whole = r.add(mo(parts[2]!))!;
    await assert.rejects(openResponsePacket(hostKeys(), whole.userData, expected(counterBytes(1))), (e: unknown) => e instanceof OtaError && e.code === 'ERR_OTA_CC');
  });

  it('forgets a set idle past partTimeoutMs and bounds the MSISDNs in progress', () => {
    let now = 0;
    const { r, refused } = collector({ partTimeoutMs: 1000, maxSources: 2, now: () => now });
    r.add(mo(parts[0]!, '447700900001'));
    now = 1500;
    assert.equal(r.add(mo(parts[1]!, '447700900001')), undefined);
    assert.equal(refused.at(-1)?.error.code, 'ERR_OTA_CONCAT', 'part 2 without part 1: the stale set is gone');
    for (const msisdn of ['447700900001', '447700900002', '447700900003']) r.add(mo(parts[0]!, msisdn));
    assert.equal(r.pending, 2);
    r.add(mo(parts[1]!, '447700900001'));
    assert.equal(refused.at(-1)?.msisdn, '447700900001', 'the least recently active set was dropped');
  });

  it('property: shuffled, dropped, duplicated, mutated and random MO never throw; a PoR that completes is the sent one or fails its CC', async () => {
    const junk = fc.oneof(fc.uint8Array({ maxLength: 150 }), fc.uint8Array({ minLength: 3, maxLength: 30 }).map((b) => Uint8Array.of(5, 0, 3, ...b)));
    const flips = fc.array(fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 2 });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(), { maxLength: 10 }), fc.array(junk, { maxLength: 4 }), flips, async (picks, extra, changes) => {
        const r = new MoReassembly({ maxParts: 4 });
        const feed = [...picks.map((i) => parts[i % parts.length]!.slice()), ...extra];
        for (const [at, byte, x] of changes) {
          const f = feed[at % Math.max(1, feed.length)];
          if (f !== undefined && f.length > 0) f[byte % f.length]! ^= x;
        }
        for (const userData of [...feed, ...parts]) {
          const sms = mo(userData);
          const out = r.add(sms);
          if (out === undefined || out === sms || toHex(out.userData) === toHex(ud)) continue;
          await assert.rejects(openResponsePacket(hostKeys(), out.userData, expected(counterBytes(1))), OtaError);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('refuses bounds out of range with ERR_TSM_CONFIG', () => {
    for (const o of [{ maxParts: 0 }, { maxParts: 256 }, { maxSources: 0 }, { partTimeoutMs: 1.5 }]) {
      assert.throws(() => new MoReassembly(o), (e: unknown) => e instanceof TsmError && e.code === 'ERR_TSM_CONFIG', JSON.stringify(o));
    }
  });
});

describe('a 300+ byte PoR through the SMSC: card → handset → parts → MO deliver_sm → the SmppBearer reassembles → openResponsePacket', { timeout: 20_000 }, () => {
  const MSISDN = '447700900555';
  const PASSWORD = 'Secr3t!';
  const FULL = spi({ rcCcDs: 'cc', ciphered: true, counter: 'higher', por: 'required', porRcCcDs: 'cc', porCiphered: true, porVia: 'submit' });
  let se: VirtualSecureElement;
  let host: ReturnType<typeof hostOf>;
  let sim: SmscSimulator;
  let sms: SmppBearer;
  const wholes: MoSms[] = [];

  before(async () => {
    const batch = manufactureBatch({ profile: STRICT_UICC, count: 1, batchMasterKeys: MASTERS, transportKek: KEK, date: new Date('2026-11-27T12:00:00Z') });
    se = new VirtualSecureElement(new MemoryCardStore(batch.cards[0]!.state), { library: DEFAULT_APPLET_LIBRARY });
    host = hostOf(batch.keyFile.cards[0]!);
    sim = await SmscSimulator.start({ systemId: 'tsm', password: PASSWORD, delayMs: 2 });
    sim.registerHandset(MSISDN, virtualHandset(se));
    sms = new SmppBearer({ host: '127.0.0.1', port: sim.port, systemId: 'tsm', password: PASSWORD, sourceAddress: '12345', responseTimeoutMs: 3000 });
    sms.on('mo', (m) => void wholes.push(m));
    await sms.connect();
  });
  after(async () => {
    await sms?.close();
    await sim?.close();
  });

  it('three MO parts arrive, the bearer passes on one PoR that verifies with the host keys: seven CPLC answers', async () => {
    const counter = counterBytes(1);
    const data = encodeCommandScript(Array.from({ length: 7 }, () => ({ kind: 'c-apdu' as const, apdu: fromHex('80CA9F7F00') })), { length: 'definite' });
    const packet = buildCommandPacket(host.keys, { spi: FULL, kic: host.kic, kid: host.kid, tar: TAR, counter, data });
    const repliesBefore = sim.stats.replies;
    await sms.submit(MSISDN, packet);
    const end = Date.now() + 5000;
    while (wholes.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    assert.equal(sim.stats.replies - repliesBefore, 3, 'one deliver_sm per part');
    assert.equal(wholes.length, 1, 'one MO message: the whole PoR');
    const hk = plainOtaHostKeys({ key: host.keys.kic, algorithm: 'aes' }, { key: host.keys.kid, algorithm: 'aes' });
    const por = await openResponsePacket(hk, wholes[0]!.userData, { spi: FULL, kic: host.kic, kid: host.kid, tar: TAR, counter });
    assert.ok(wholes[0]!.userData.length > 300);
    assert.deepEqual([por.status, por.secured], [0, true]);
    const script = parseResponseScript(por.data);
    const cplc = toHex(concat(fromHex('9F7F2A'), se.state.cplc, fromHex('9000')));
    assert.deepEqual(script.responses.map(toHex), Array.from({ length: 7 }, () => cplc));
  });

  it('virtualHandset answers a long PoR with its parts, in order (the simulator sends each)', async () => {
    const data = encodeCommandScript(Array.from({ length: 7 }, () => ({ kind: 'c-apdu' as const, apdu: fromHex('80CA9F7F00') })), { length: 'definite' });
    const packet = buildCommandPacket(host.keys, { spi: FULL, kic: host.kic, kid: host.kid, tar: TAR, counter: counterBytes(2), data });
    const reply = await virtualHandset(se)(MSISDN, concat(fromHex('027000'), packet), []);
    assert.ok(Array.isArray(reply) && reply.length === 3, 'three parts');
  });
});
