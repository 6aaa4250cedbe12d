/**
 * A PoR over several SMS (3GPP TS 31.115 / TS 23.040 §9.2.3.24.1): the card secures the response
 * packet whole (CC over `02 71 00 | RPL …`), then splits it — RPI (IEI 71) in part 1 only; the host
 * reassembles the parts in order and verifies the CC on `02 71 00 | packet`. Hostile parts (a CPI
 * where the RPI belongs, the RPI in a later part, gaps, forged repeats, too many parts, mutated
 * bytes) are refused or fail the CC; a command reassembler takes no PoR parts, and the reverse.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromHex, toHex } from '../../src/bytes/index.ts';
import {
  buildResponsePacket,
  CommandPacketReassembler,
  OtaError,
  ResponsePacketReassembler,
  responsePacketUserData,
  spi,
  splitCommandPacket,
  splitResponsePacket,
  unwrapResponsePacket,
  type OtaErrorCode,
  type ReassemblyResult,
} from '../../src/ota/index.ts';

const isOta = (code: OtaErrorCode) => (e: unknown) => e instanceof OtaError && e.code === code;
const keys = { kic: fromHex('000102030405060708090a0b0c0d0e0f'), kid: fromHex('0f0e0d0c0b0a09080706050403020100') };
const SPI = spi({ rcCcDs: 'cc', ciphered: true, counter: 'higher', por: 'required', porRcCcDs: 'cc', porCiphered: true, porVia: 'submit' });
const TAR = fromHex('000000');
const CNTR = fromHex('0000000102');
const expected = { spi: SPI, kic: 0x12, kid: 0x12, tar: TAR, counter: CNTR };

/** A secured, ciphered PoR carrying `n` bytes of additional data (e.g. a GET STATUS answer). */
const porWith = (n: number): { ud: Uint8Array; data: Uint8Array } => {
  const data = Uint8Array.from({ length: n }, (_, i) => (i * 13 + 5) & 0xff);
  return { ud: buildResponsePacket(keys, { spi: SPI, kic: 0x12, kid: 0x12, tar: TAR, counter: CNTR, status: 0, data }, { unsecured: false }), data };
};

function feed(r: ResponsePacketReassembler | CommandPacketReassembler, parts: readonly Uint8Array[]): ReassemblyResult[] {
  return parts.map((p) => r.add(p));
}

describe('PoR over several SMS: split', () => {
  it('a PoR that fits one SMS stays that SMS, byte for byte', () => {
    const { ud } = porWith(40);
    assert.ok(ud.length <= 140);
    assert.deepEqual(splitResponsePacket(ud, { reference: 1, referenceBits: 8 }), [ud]);
  });
  it('a 320-byte PoR: 3 parts, 07 00 03 ref 03 01 71 00 then 05 00 03 ref 03 0n, each at most 140 octets', () => {
    const { ud } = porWith(300);
    assert.ok(ud.length > 300, `${ud.length}`);
    const parts = splitResponsePacket(ud, { reference: 0x5a, referenceBits: 8 });
    assert.equal(parts.length, 3);
    assert.ok(parts.every((p) => p.length <= 140));
    assert.equal(toHex(parts[0]!.subarray(0, 8)), '0700035A03017100');
    assert.equal(toHex(parts[1]!.subarray(0, 6)), '0500035A0302');
    assert.equal(toHex(parts[2]!.subarray(0, 6)), '0500035A0303');
    assert.deepEqual(parts[0]!.subarray(8, 10), ud.subarray(3, 5), 'part 1 starts with the RPL');
  });
  it('a 16-bit reference uses IEI 08', () => {
    const parts = splitResponsePacket(porWith(300).ud, { reference: 0x1234, referenceBits: 16 });
    assert.equal(toHex(parts[0]!.subarray(0, 9)), '080804123403017100');
  });
  it('refuses user data that is not a PoR (02 70 00, empty) and a PoR over 255 parts', () => {
    assert.throws(() => splitResponsePacket(fromHex('027000' + '00'.repeat(200)), { reference: 1, referenceBits: 8 }), isOta('ERR_OTA_PARSE'));
    assert.throws(() => splitResponsePacket(new Uint8Array(0), { reference: 1, referenceBits: 8 }), isOta('ERR_OTA_PARSE'));
    assert.throws(() => splitResponsePacket(porWith(40_000).ud, { reference: 1, referenceBits: 8 }), isOta('ERR_OTA_LENGTH'));
  });
});

describe('PoR over several SMS: reassembled on the host', () => {
  const { ud, data } = porWith(300);
  const parts = splitResponsePacket(ud, { reference: 7, referenceBits: 8 });
  const fresh = (): ResponsePacketReassembler => new ResponsePacketReassembler({ maxParts: 8 });

  it('in order: pending, pending, complete; 02 71 00 | packet verifies (CC, cipher, TAR, CNTR) and gives the data', () => {
    const results = feed(fresh(), parts);
    assert.deepEqual(results.slice(0, 2), [
      { kind: 'pending', reference: 7, received: 1, total: 3 },
      { kind: 'pending', reference: 7, received: 2, total: 3 },
    ]);
    const last = results[2]!;
    assert.equal(last.kind, 'complete');
    if (last.kind !== 'complete') return;
    assert.deepEqual(responsePacketUserData(last.packet), ud);
    const por = unwrapResponsePacket(keys, responsePacketUserData(last.packet), expected);
    assert.deepEqual([por.status, por.secured, toHex(por.data)], [0, true, toHex(data)]);
  });
  it('a one-SMS PoR goes through whole, leaving a set in progress alone', () => {
    const r = fresh();
    r.add(parts[0]!);
    const small = porWith(10).ud;
    assert.deepEqual(r.add(small), { kind: 'complete', packet: small.subarray(3) });
    assert.equal(r.pending?.received, 1);
  });
  it('a command packet part 1 (CPI, not RPI) is refused; so is a single SMS with the CPI', () => {
    const cmdParts = splitCommandPacket(ud.subarray(3), { reference: 7, referenceBits: 8 });
    assert.throws(() => fresh().add(cmdParts[0]!), isOta('ERR_OTA_CONCAT'));
    assert.throws(() => fresh().add(fromHex('027000abcd')), isOta('ERR_OTA_PARSE'));
  });
  it('and a command reassembler takes no PoR part', () => {
    assert.throws(() => new CommandPacketReassembler({ maxParts: 8 }).add(parts[0]!), isOta('ERR_OTA_CONCAT'));
    assert.throws(() => new CommandPacketReassembler({ maxParts: 8 }).add(porWith(10).ud), isOta('ERR_OTA_PARSE'));
  });
  it('the RPI in a later part, a gap, reordering, another total mid-set: refused and the set dropped', () => {
    const r = fresh();
    r.add(parts[0]!);
    assert.throws(() => r.add(fromHex('070003070302' + '7100' + 'abcd')), isOta('ERR_OTA_CONCAT'));
    assert.equal(r.pending, undefined);
    r.add(parts[0]!);
    assert.throws(() => r.add(parts[2]!), isOta('ERR_OTA_CONCAT'));
    assert.throws(() => fresh().add(parts[1]!), isOta('ERR_OTA_CONCAT'));
    const s = fresh();
    s.add(parts[0]!);
    assert.throws(() => s.add(fromHex('050003070402abcd')), isOta('ERR_OTA_CONCAT'));
    assert.equal(s.pending, undefined);
  });
  it('an identical repeat of the last part keeps the set; a forged one drops it', () => {
    const r = fresh();
    r.add(parts[0]!);
    assert.throws(() => r.add(parts[0]!), isOta('ERR_OTA_CONCAT'));
    assert.equal(r.pending?.received, 1);
    const forged = parts[0]!.slice();
    forged[100]! ^= 0x01;
    assert.throws(() => r.add(forged), isOta('ERR_OTA_CONCAT'));
    assert.equal(r.pending, undefined);
  });
  it('more parts than maxParts is refused before anything is kept', () => {
    const r = new ResponsePacketReassembler({ maxParts: 2 });
    assert.throws(() => r.add(parts[0]!), isOta('ERR_OTA_CONCAT'));
    assert.equal(r.pending, undefined);
  });
  it('a flipped byte in any part reassembles but fails the CC', () => {
    for (let i = 0; i < parts.length; i++) {
      const tampered = parts.map((p) => p.slice());
      tampered[i]![tampered[i]!.length - 1]! ^= 0x80;
      const last = feed(fresh(), tampered).at(-1)!;
      assert.equal(last.kind, 'complete');
      if (last.kind !== 'complete') continue;
      assert.throws(() => unwrapResponsePacket(keys, responsePacketUserData(last.packet), expected), isOta('ERR_OTA_CC'), `part ${i + 1}`);
    }
  });
  it('property: any PoR split and reassembled gives the user data back, and verifies', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2000 }), fc.constantFrom<8 | 16>(8, 16), fc.integer({ min: 0, max: 0xff }), (n, bits, reference) => {
        const p = porWith(n);
        const split = splitResponsePacket(p.ud, { reference, referenceBits: bits });
        assert.ok(split.every((s) => s.length <= 140));
        const last = feed(new ResponsePacketReassembler({ maxParts: 255 }), split).at(-1)!;
        assert.equal(last.kind, 'complete');
        if (last.kind !== 'complete') return;
        assert.deepEqual(unwrapResponsePacket(keys, responsePacketUserData(last.packet), expected).data, p.data);
      }),
      { numRuns: 60 },
    );
  });
});
