/**
 * SMS-PP framing: SMS-DELIVER / SMS-SUBMIT TPDUs (3GPP TS 23.040 §9.2.2.1/§9.2.2.2), the user data
 * header, and concatenation (secure first, then split; the reassembler refuses gaps, duplicates,
 * reordering, mixed references and too many parts). Properties: split → reassemble gives the packet
 * back; hostile parts end in an OtaError.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromHex, toHex } from '../../src/bytes/index.ts';
import {
  CommandPacketReassembler,
  OtaError,
  parseSmsDeliver,
  parseSmsSubmit,
  parseUserData,
  smsDeliverTpdu,
  smsSubmitTpdu,
  splitCommandPacket,
  type OtaErrorCode,
} from '../../src/ota/index.ts';
import { loadVectors } from '../helpers/vectors.ts';

const isOta = (code: OtaErrorCode) => (e: unknown) => e instanceof OtaError && e.code === code;
const pysim = loadVectors<{ vectors: { name: string; expected: { sms_deliver_tpdu_correct_udl?: string; sms_ud_with_udh?: string } }[] }>('ota/pysim.json');

describe('SMS-DELIVER', () => {
  for (const v of pysim.vectors.filter((x) => x.expected.sms_deliver_tpdu_correct_udl !== undefined)) {
    it(`${v.name}: the vector's TPDU parses to its user data and encodes back`, () => {
      const d = parseSmsDeliver(fromHex(v.expected.sms_deliver_tpdu_correct_udl!));
      assert.equal(d.protocolId, 0x7f);
      assert.equal(d.dataCoding, 0xf6);
      assert.equal(d.userDataHeaderIndicator, true);
      assert.deepEqual(d.originator, { digits: '12345678', typeOfAddress: 0x81 });
      assert.equal(toHex(d.userData).toLowerCase(), v.expected.sms_ud_with_udh);
      assert.equal(toHex(smsDeliverTpdu(d)).toLowerCase(), v.expected.sms_deliver_tpdu_correct_udl);
    });
  }
  it("refuses pySim's as-in-source TPDU: TP-UDL 03 does not match the 37 octets that follow", () => {
    assert.throws(() => parseSmsDeliver(fromHex('400881214365877ff6227052000000000302700000201506193535b00011ae733256918d050b87c94fbfe12e4dc402f262c41cf67f2f')), isOta('ERR_OTA_LENGTH'));
  });
  it('refuses another TP-MTI, a 7-bit coding, truncation', () => {
    assert.throws(() => parseSmsDeliver(fromHex('41')), isOta('ERR_OTA_PARSE'));
    assert.throws(() => parseSmsDeliver(fromHex('400881214365877f002270520000000001aa')), isOta('ERR_OTA_UNSUPPORTED'));
    assert.throws(() => parseSmsDeliver(fromHex('4008812143')), isOta('ERR_OTA_PARSE'));
  });
});

describe('SMS-SUBMIT', () => {
  it('encodes TP-MTI 01, UDHI, TP-MR, TP-DA, PID, DCS, UDL and parses back', () => {
    const fields = {
      messageReference: 7,
      destination: { digits: '12345', typeOfAddress: 0x91 },
      protocolId: 0x7f,
      dataCoding: 0xf6,
      userData: fromHex('027100000b0a000000000000000000'),
      userDataHeader: true,
      statusReportRequest: false,
    };
    const tpdu = smsSubmitTpdu(fields);
    // 41: MTI 01 + UDHI; MR 07; DA 5 digits 91 "21 43 F5"; PID 7F; DCS F6; UDL 0F
    assert.equal(toHex(tpdu).toLowerCase(), '410705912143f57ff60f027100000b0a000000000000000000');
    assert.deepEqual(parseSmsSubmit(tpdu), { kind: 'sms-submit', rejectDuplicates: false, ...fields });
  });
  it('skips a relative validity period (TP-VPF 10) when parsing', () => {
    const s = parseSmsSubmit(fromHex('11000181f1' + '00' + 'f6' + 'a7' + '02' + 'abcd'));
    assert.deepEqual(s.userData, fromHex('abcd'));
    assert.deepEqual(s.destination, { digits: '1', typeOfAddress: 0x81 });
  });
  it('refuses user data over 140 octets and a wrong MTI', () => {
    assert.throws(
      () => smsSubmitTpdu({ messageReference: 0, destination: { digits: '1', typeOfAddress: 0x81 }, protocolId: 0, dataCoding: 0xf6, userData: new Uint8Array(141), userDataHeader: true, statusReportRequest: false }),
      isOta('ERR_OTA_LENGTH'),
    );
    assert.throws(() => parseSmsSubmit(fromHex('40')), isOta('ERR_OTA_PARSE'));
  });
});

const packetOf = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff);

describe('concatenation: split', () => {
  it('a packet of up to 137 octets is one SMS: 02 70 00 | packet', () => {
    const parts = splitCommandPacket(packetOf(137), { reference: 1, referenceBits: 8 });
    assert.equal(parts.length, 1);
    assert.deepEqual(parts[0]!.subarray(0, 3), fromHex('027000'));
    assert.equal(parts[0]!.length, 140);
  });
  it('138 octets: two parts; part 1 has 07 00 03 ref 02 01 70 00 and 132 octets, part 2 05 00 03 ref 02 02', () => {
    const parts = splitCommandPacket(packetOf(138), { reference: 0x42, referenceBits: 8 });
    assert.equal(parts.length, 2);
    assert.equal(toHex(parts[0]!.subarray(0, 8)), '0700034202017000');
    assert.equal(parts[0]!.length, 140);
    assert.equal(toHex(parts[1]!.subarray(0, 6)), '050003420202');
    assert.equal(parts[1]!.length, 6 + 6);
  });
  it('a 16-bit reference uses IEI 08', () => {
    const parts = splitCommandPacket(packetOf(300), { reference: 0x1234, referenceBits: 16 });
    assert.equal(toHex(parts[0]!.subarray(0, 9)), '080804123403017000');
    assert.equal(toHex(parts[2]!.subarray(0, 7)), '06080412340303');
  });
});

describe('concatenation: the reassembler', () => {
  const parts = splitCommandPacket(packetOf(400), { reference: 9, referenceBits: 8 });
  const fresh = () => new CommandPacketReassembler({ maxParts: 8 });
  it('in order: pending, pending, complete with the packet', () => {
    const r = fresh();
    assert.equal(parts.length, 3);
    assert.deepEqual(r.add(parts[0]!), { kind: 'pending', reference: 9, received: 1, total: 3 });
    assert.equal(r.add(parts[1]!).kind, 'pending');
    assert.deepEqual(r.add(parts[2]!), { kind: 'complete', packet: packetOf(400) });
    assert.equal(r.pending, undefined);
  });
  it('a gap (1, 3) is refused and the set discarded', () => {
    const r = fresh();
    r.add(parts[0]!);
    assert.throws(() => r.add(parts[2]!), isOta('ERR_OTA_CONCAT'));
    assert.equal(r.pending, undefined);
    assert.throws(() => r.add(parts[1]!), isOta('ERR_OTA_CONCAT'));
  });
  it('reordering (2 before 1) is refused', () => {
    assert.throws(() => fresh().add(parts[1]!), isOta('ERR_OTA_CONCAT'));
  });
  it('an identical repeat of the last part is refused but the set kept; a forged repeat discards it', () => {
    const r = fresh();
    r.add(parts[0]!);
    r.add(parts[1]!);
    assert.throws(() => r.add(parts[1]!), isOta('ERR_OTA_CONCAT'));
    assert.equal(r.pending?.received, 2);
    const forged = parts[1]!.slice();
    forged[forged.length - 1]! ^= 1;
    assert.throws(() => r.add(forged), isOta('ERR_OTA_CONCAT'));
    assert.equal(r.pending, undefined);
  });
  it('an earlier part again (1 after 2) is refused', () => {
    const r = fresh();
    r.add(parts[0]!);
    r.add(parts[1]!);
    assert.throws(() => r.add(parts[0]!.slice(0, 139)), isOta('ERR_OTA_CONCAT'));
  });
  it('a part of another reference mid-set is refused; part 1 of a new reference starts over', () => {
    const other = splitCommandPacket(packetOf(400), { reference: 10, referenceBits: 8 });
    const r = fresh();
    r.add(parts[0]!);
    assert.throws(() => r.add(other[1]!), isOta('ERR_OTA_CONCAT'));
    r.add(parts[0]!);
    assert.equal(r.add(other[0]!).kind, 'pending');
    assert.equal(r.pending?.reference, 10);
    r.add(other[1]!);
    assert.deepEqual(r.add(other[2]!), { kind: 'complete', packet: packetOf(400) });
  });
  it('more parts than maxParts, a total changing mid-set, a CPI in part 2, no CPI in part 1, part 0 of 0: refused', () => {
    const big = splitCommandPacket(packetOf(1500), { reference: 1, referenceBits: 8 });
    assert.throws(() => fresh().add(big[0]!), isOta('ERR_OTA_CONCAT'));
    const r = fresh();
    r.add(parts[0]!);
    assert.throws(() => r.add(fromHex('050003090402abcd')), isOta('ERR_OTA_CONCAT'));
    r.add(parts[0]!);
    assert.throws(() => r.add(fromHex('070003090302' + '7000' + 'abcd')), isOta('ERR_OTA_CONCAT'));
    assert.throws(() => fresh().add(fromHex('050003090301abcd')), isOta('ERR_OTA_CONCAT'));
    assert.throws(() => fresh().add(fromHex('050003090000abcd')), isOta('ERR_OTA_CONCAT'));
  });
  it('a single SMS without the CPI, or with a header past its end, is refused', () => {
    assert.throws(() => fresh().add(fromHex('00abcd')), isOta('ERR_OTA_PARSE'));
    assert.throws(() => fresh().add(fromHex('0970')), isOta('ERR_OTA_PARSE'));
    assert.throws(() => fresh().add(new Uint8Array(0)), isOta('ERR_OTA_PARSE'));
  });
});

describe('property: concatenation', () => {
  it('split → reassemble in order gives the packet back, at every size and reference width', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 2000 }), fc.constantFrom<8 | 16>(8, 16), fc.integer({ min: 0, max: 0xff }), (packet, bits, ref) => {
        const parts = splitCommandPacket(packet, { reference: ref, referenceBits: bits });
        assert.ok(parts.every((p) => p.length <= 140));
        const r = new CommandPacketReassembler({ maxParts: 255 });
        let out: Uint8Array | undefined;
        for (const p of parts) {
          const res = r.add(p);
          if (res.kind === 'complete') out = res.packet;
        }
        assert.deepEqual(out, packet);
        assert.equal(parseUserData(parts[0]!).elements.some((e) => e.iei === 0x70), true);
      }),
      { numRuns: 200 },
    );
  });
  it('hostile parts (shuffled, dropped, duplicated, mutated, random) give an OtaError or a result, never another exception', () => {
    const arbPart = fc.oneof(fc.uint8Array({ maxLength: 150 }), fc.uint8Array({ minLength: 3, maxLength: 20 }).map((b) => Uint8Array.of(5, 0, 3, ...b)));
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 140, maxLength: 700 }), fc.array(fc.nat(), { maxLength: 12 }), fc.array(arbPart, { maxLength: 4 }), (packet, picks, junk) => {
        const parts = splitCommandPacket(packet, { reference: 3, referenceBits: 8 });
        const r = new CommandPacketReassembler({ maxParts: 4 });
        const feed = [...picks.map((i) => parts[i % parts.length]!), ...junk];
        for (const p of feed) {
          try {
            const res = r.add(p);
            if (res.kind === 'complete' && res.packet.length === packet.length) assert.deepEqual(res.packet, packet);
          } catch (e) {
            if (!(e instanceof OtaError)) throw e;
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
