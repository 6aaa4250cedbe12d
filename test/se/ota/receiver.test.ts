/**
 * The OTA receiver on a real card model: scripts run on the Security Domain with its privileges and
 * no SCP session (compact and expanded), stop at the first error, and answer the PoR the SPI asks
 * for; counters are stored before anything runs and never reused (replay, too high, blocked, store
 * failure); the TAR's MSL; key sets per SD and the AID-derived TAR; concatenated parts out of order.
 * Property: random and mutated packets and SMS never crash the card — a receipt, never an exception.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromHex, toHex } from '../../../src/bytes/index.ts';
import { buildCommandPacket, commandPacketUserData, parseCompactResponse, parseResponseScript, splitCommandPacket, spi, unwrapResponsePacket, type Spi } from '../../../src/ota/index.ts';
import { MemoryCardStore, STRICT_UICC, VirtualSecureElement, decodeCardState, encodeCardState, type CardState, type OtaReceipt } from '../../../src/se/index.ts';
import { keySet, otaCard, otaCardState } from './helpers.ts';

const K1 = '000102030405060708090a0b0c0d0e0f';
const K2 = '0f0e0d0c0b0a09080706050403020100';
const KEYS = { kic: fromHex(K1), kid: fromHex(K2) };
const FULL = spi({ rcCcDs: 'cc', ciphered: true, counter: 'higher', por: 'required', porRcCcDs: 'cc', porCiphered: true, porVia: 'submit' });
const ISD_TAR = fromHex('000000');

const cntr = (n: number): Uint8Array => Uint8Array.from({ length: 5 }, (_, i) => Math.floor(n / 2 ** (8 * (4 - i))) % 256);
const packet = (data: string, n: number, s: Spi = FULL, o: { kic?: number; kid?: number; tar?: Uint8Array; keys?: typeof KEYS } = {}) =>
  buildCommandPacket(o.keys ?? KEYS, { spi: s, kic: o.kic ?? 0x12, kid: o.kid ?? 0x12, tar: o.tar ?? ISD_TAR, counter: cntr(n), data: fromHex(data) });
const card = (counter = 0, extra: Parameters<typeof otaCardState>[0] = [], tweak?: (s: CardState) => CardState) =>
  otaCard(otaCardState(['000000', ...extra], [keySet(1, 'aes', K1, K2, counter)], tweak));

function processed(r: OtaReceipt): Extract<OtaReceipt, { kind: 'processed' }> {
  if (r.kind !== 'processed') assert.fail(`expected a processed packet, got ${r.kind === 'discarded' ? r.error.message : r.kind}`);
  return r;
}
/** The PoR's additional data, verified as the host would. */
const porData = (r: OtaReceipt, s: Spi = FULL, n?: number) => {
  const p = processed(r);
  const back = unwrapResponsePacket(KEYS, p.por!, { spi: s, kic: 0x12, kid: 0x12, tar: p.tar, ...(n === undefined ? {} : { counter: cntr(n) }) });
  return { status: back.status, data: back.data, secured: back.secured };
};

const GET_STATUS_ISD = '80F28002024F0000';
const DELETE_UNKNOWN = '80E40000074F05A000000999';
const LOCK_CARD = '80F0807F00';

describe('scripts on the ISD', () => {
  it('compact GET STATUS: PoR 00 with 01 9000 and the ISD entry', () => {
    const c = card();
    const r = porData(c.receiver.receivePacket(packet(GET_STATUS_ISD, 1)), FULL, 1);
    const compact = parseCompactResponse(r.data);
    assert.equal(compact.numberOfCommands, 1);
    assert.equal(compact.lastSw, 0x9000);
    assert.equal(toHex(compact.lastData.subarray(0, 4)), 'E3264F08');
  });
  it('expanded AA script → AB response; indefinite AE → AF', () => {
    const c = card();
    const ab = parseResponseScript(porData(c.receiver.receivePacket(packet('AA0A2208' + GET_STATUS_ISD, 1))).data);
    assert.equal(ab.length, 'definite');
    assert.equal(ab.executed, 1);
    assert.equal(toHex(ab.responses[0]!.subarray(-2)), '9000');
    const af = parseResponseScript(porData(c.receiver.receivePacket(packet('AE802208' + GET_STATUS_ISD + '2205' + '80CA006600' + '0000', 2))).data);
    assert.equal(af.length, 'indefinite');
    assert.equal(af.executed, 2);
  });
  it('a malformed expanded script is answered with Bad Format (90), nothing run', () => {
    const r = parseResponseScript(porData(card().receiver.receivePacket(packet('AA03990100', 1))).data);
    assert.equal(r.executed, 0);
    assert.deepEqual(r.badFormat, fromHex('01'));
  });
  it('the script stops at the first error: DELETE of an unknown AID (6A88), GET STATUS not run', () => {
    const compact = parseCompactResponse(porData(card().receiver.receivePacket(packet(DELETE_UNKNOWN + GET_STATUS_ISD, 1))).data);
    assert.equal(compact.numberOfCommands, 1);
    assert.equal(compact.lastSw, 0x6a88);
  });
  it("OTA commands carry the SD's authority without an SCP session: SET STATUS locks the card (the card OS path answers 6982)", () => {
    const c = card();
    const r = parseCompactResponse(porData(c.receiver.receivePacket(packet(LOCK_CARD, 1))).data);
    assert.equal(r.lastSw, 0x9000);
    assert.equal(c.model.committed.lifecycle, 0x7f);
    const se = new VirtualSecureElement(new MemoryCardStore(otaCardState(['000000'], [])));
    se.process(fromHex('00A4040008A000000151000000'));
    assert.equal(toHex(se.process(fromHex(LOCK_CARD))), '6982');
  });
  it('PUT KEY stays refused over OTA (it needs a DEK session): 6982', () => {
    const r = parseCompactResponse(porData(card().receiver.receivePacket(packet('80D8000117' + '01' + '88' + '10' + '00'.repeat(16) + '03' + '000000', 1))).data);
    assert.equal(r.lastSw, 0x6982);
  });
});

describe('counters', () => {
  it('the accepted CNTR is stored durably (a power cycle sees it); a replay is refused with 02 and not run', () => {
    const c = card();
    processed(c.receiver.receivePacket(packet(LOCK_CARD, 5)));
    assert.equal(c.counter(1), 5);
    const again = otaCard(c.store);
    assert.equal(again.counter(1), 5);
    const lifecycleAfter = again.model.committed.lifecycle;
    const r = porData(again.receiver.receivePacket(packet(GET_STATUS_ISD, 5)));
    assert.equal(r.status, 0x02);
    assert.equal(r.secured, true);
    assert.equal(again.counter(1), 5);
    assert.equal(again.model.committed.lifecycle, lifecycleAfter);
  });
  it("the SD's OTA key sets, their counters, sdAid and the TAR's MSL survive the card-state file codec", () => {
    const c = otaCard(otaCardState([{ tar: '000000', msl: 0x12 }], [keySet(1, 'aes', K1, K2), keySet(2, 'aes', K2, K1, 0, fromHex('A000000151535344'))]));
    processed(c.receiver.receivePacket(packet(GET_STATUS_ISD, 9)));
    const back = decodeCardState(encodeCardState(c.model.committed));
    assert.deepEqual(back.ota, c.model.committed.ota);
    assert.equal(back.ota!.scp80[0]!.counter, 9);
    assert.equal(back.ota!.tars[0]!.msl, 0x12);
  });
  it('a script that fails still consumes its counter (never reused)', () => {
    const c = card();
    processed(c.receiver.receivePacket(packet(DELETE_UNKNOWN, 3)));
    assert.equal(c.counter(1), 3);
    assert.equal(porData(c.receiver.receivePacket(packet(GET_STATUS_ISD, 3))).status, 0x02);
  });
  it('"exactly one higher": 2 after 1 runs, 4 after 2 is CNTR high (03)', () => {
    const s = spi({ ...FULL, counter: 'one-higher' });
    const c = card(1);
    assert.equal(porData(c.receiver.receivePacket(packet(GET_STATUS_ISD, 2, s)), s).status, 0);
    assert.equal(porData(c.receiver.receivePacket(packet(GET_STATUS_ISD, 4, s)), s).status, 0x03);
    assert.equal(c.counter(1), 2);
  });
  it('a counter at its maximum blocks the key set (04)', () => {
    const c = card(2 ** 40 - 1);
    assert.equal(processed(c.receiver.receivePacket(packet(GET_STATUS_ISD, 2 ** 40 - 1))).status, 0x04);
  });
  it('a store that cannot save the counter: PoR 07, nothing run', () => {
    const state = otaCardState(['000000'], [keySet(1, 'aes', K1, K2)]);
    const store = new MemoryCardStore(state);
    const c = otaCard(store);
    store.save = () => {
      throw new Error('flash worn out');
    };
    const r = processed(c.receiver.receivePacket(packet(LOCK_CARD, 1)));
    assert.equal(r.status, 0x07);
    assert.equal(r.executed, 0);
    assert.equal(c.model.committed.lifecycle, 0x0f);
  });
});

describe('TAR, MSL, key sets', () => {
  it('a TAR whose MSL asks for CC + ciphering + counter refuses a CC-only packet with 0A', () => {
    const c = otaCard(otaCardState([{ tar: '000000', msl: 0x16 }], [keySet(1, 'aes', K1, K2)]));
    const weak = spi({ ...FULL, ciphered: false });
    assert.equal(processed(c.receiver.receivePacket(packet(GET_STATUS_ISD, 1, weak))).status, 0x0a);
    assert.equal(c.counter(1), 0);
    assert.equal(processed(c.receiver.receivePacket(packet(GET_STATUS_ISD, 1))).status, 0);
  });
  it('unknown key set, KIc/KID naming different key sets, an algorithm other than the key set’s: 06', () => {
    const c = card();
    assert.equal(processed(c.receiver.receivePacket(packet(GET_STATUS_ISD, 1, FULL, { kic: 0x22, kid: 0x22 }))).status, 0x06);
    assert.equal(processed(c.receiver.receivePacket(packet(GET_STATUS_ISD, 1, FULL, { kic: 0x12, kid: 0x22 }))).status, 0x06);
    const tdes = { kic: fromHex(K1), kid: fromHex(K2) };
    assert.equal(processed(c.receiver.receivePacket(packet(GET_STATUS_ISD, 1, FULL, { kic: 0x15, kid: 0x15, keys: tdes }))).status, 0x06);
    assert.equal(c.counter(1), 0);
  });
  it("an SSD answers to AID bytes 13-15 with its own key set; the ISD's key set does not open it", () => {
    const ssdAid = fromHex('A0000001515353' + '4400000000' + 'C20010' + '01');
    const withSsd = (s: CardState): CardState => {
      const isd = s.applications[0]!;
      const ssd = { ...isd, aid: ssdAid, sdAid: s.isdAid, lifecycle: 0x0f, privileges: fromHex('800000') };
      return { ...s, applications: [...s.applications, ssd], ota: { ...s.ota!, scp80: [...s.ota!.scp80, keySet(2, 'aes', K2, K1, 0, ssdAid)] } };
    };
    const c = card(0, [], withSsd);
    const tar = fromHex('C20010');
    const ssdKeys = { kic: fromHex(K2), kid: fromHex(K1) };
    const r = processed(c.receiver.receivePacket(packet('80CA006600', 1, FULL, { kic: 0x22, kid: 0x22, tar, keys: ssdKeys })));
    assert.equal(r.status, 0);
    assert.equal(processed(c.receiver.receivePacket(packet('80CA006600', 2, FULL, { tar }))).status, 0x06);
    assert.equal(processed(c.receiver.receivePacket(packet('80CA006600', 2, FULL, { tar: fromHex('C20011') }))).status, 0x09);
  });
  it('PoR modes: none gives no PoR; on-error gives none on success and one on failure', () => {
    const c = card();
    assert.equal(processed(c.receiver.receivePacket(packet(GET_STATUS_ISD, 1, spi({ ...FULL, por: 'none' })))).por, undefined);
    assert.equal(processed(c.receiver.receivePacket(packet(GET_STATUS_ISD, 2, spi({ ...FULL, por: 'on-error' })))).por, undefined);
    const bad = processed(c.receiver.receivePacket(packet(GET_STATUS_ISD, 2, spi({ ...FULL, por: 'on-error' }))));
    assert.equal(bad.status, 0x02);
    assert.ok(bad.por !== undefined);
  });
});

describe('concatenated SMS', () => {
  const script = Array.from({ length: 30 }, () => '80CA006600').join('');
  it('in order: pending then processed (30 commands run); out of order: discarded, nothing run', () => {
    const parts = splitCommandPacket(packet(script, 1), { reference: 7, referenceBits: 8 });
    assert.equal(parts.length, 2);
    const c = card();
    assert.equal(c.receiver.receiveUserData(parts[1]!).kind, 'discarded');
    assert.equal(c.counter(1), 0);
    assert.deepEqual(c.receiver.receiveUserData(parts[0]!), { kind: 'pending', received: 1, total: 2 });
    const r = processed(c.receiver.receiveUserData(parts[1]!));
    assert.equal(r.executed, 30);
    assert.equal(c.counter(1), 1);
  });
  it('the whole set delivered twice runs once: the second copy is CNTR low', () => {
    const parts = splitCommandPacket(packet(LOCK_CARD + script, 1), { reference: 8, referenceBits: 8 });
    const c = card();
    const results = [...parts, ...parts].map((p) => c.receiver.receiveUserData(p));
    const done = results.filter((x) => x.kind === 'processed');
    assert.deepEqual(done.map((x) => x.status), [0, 0x02]);
  });
  it('too many parts for the receiver: discarded', () => {
    const parts = splitCommandPacket(packet(script.repeat(4), 1), { reference: 9, referenceBits: 8 });
    assert.equal(parts.length, 5);
    const c = otaCard(otaCardState(['000000'], [keySet(1, 'aes', K1, K2)]), { maxParts: 4 });
    assert.equal(c.receiver.receiveUserData(parts[0]!).kind, 'discarded');
  });
});

describe('property: hostile input never crashes the card', () => {
  const valid = packet(GET_STATUS_ISD + LOCK_CARD, 1);
  const arbInput = fc.oneof(
    fc.uint8Array({ maxLength: 200 }),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }).map((flips) => {
      const p = valid.slice();
      for (const [at, x] of flips) p[at % p.length]! ^= x;
      return p;
    }),
    fc.nat({ max: valid.length }).map((n) => valid.slice(0, n)),
  );
  it('receivePacket / receiveUserData return a receipt; a refused packet runs nothing and moves no counter', () => {
    fc.assert(
      fc.property(arbInput, fc.boolean(), (input, asUd) => {
        const c = card();
        const r = asUd ? c.receiver.receiveUserData(commandPacketUserData(input)) : c.receiver.receivePacket(input);
        assert.ok(['pending', 'discarded', 'processed'].includes(r.kind));
        if (r.kind !== 'processed' || r.status !== 0) {
          assert.equal(c.counter(1), 0);
          assert.equal(c.model.committed.lifecycle, 0x0f);
          if (r.kind === 'processed') assert.equal(r.executed, 0);
        }
        assert.equal(STRICT_UICC.kind, 'uicc');
      }),
      { numRuns: 1500 },
    );
  });
});
