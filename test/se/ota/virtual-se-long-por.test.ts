/**
 * A PoR longer than one SMS from the virtual UICC (`se.receiveSms`): seven GET DATA CPLC in one
 * expanded script give a Response Scripting Template of 300+ bytes; the card secures the PoR whole
 * and sends it as concatenated SMS-SUBMITs (RPI in part 1 only), each addressed back to the OTA
 * server with its own TP-MR; the host reassembles the parts and the PoR verifies (CC, cipher, TAR,
 * CNTR). A short PoR stays one SMS (`submit` and `submits` agree); each long PoR takes a new
 * concatenation reference.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { concat, fromHex, toHex } from '../../../src/bytes/index.ts';
import {
  buildCommandPacket,
  commandPacketUserData,
  concatInfo,
  encodeCommandScript,
  parseResponseScript,
  parseSmsSubmit,
  parseUserData,
  ResponsePacketReassembler,
  responsePacketUserData,
  smsDeliverTpdu,
  unwrapResponsePacket,
} from '../../../src/ota/index.ts';
import { counterBytes } from '../../../src/se/ota/index.ts';
import { DEFAULT_APPLET_LIBRARY, manufactureBatch, MemoryCardStore, STRICT_UICC, VirtualSecureElement } from '../../../src/se/index.ts';
import { hostOf, KEK, type Host, MASTERS, FULL, OTA_SERVER } from './factory-host.ts';

const ISD_TAR = fromHex('000000');
const GET_CPLC = '80CA9F7F00';

describe('the virtual SE: a PoR longer than one SMS', () => {
  let host: Host;
  let se: VirtualSecureElement;
  before(() => {
    const batch = manufactureBatch({ profile: STRICT_UICC, count: 1, batchMasterKeys: MASTERS, transportKek: KEK, date: new Date('2026-11-27T12:00:00Z') });
    se = new VirtualSecureElement(new MemoryCardStore(batch.cards[0]!.state), { library: DEFAULT_APPLET_LIBRARY });
    host = hostOf(batch.keyFile.cards[0]!);
  });

  /** One SMS-DELIVER with a secured expanded script of `n` GET DATA CPLC. */
  const deliver = (n: number, counter: number) => {
    const data = encodeCommandScript(Array.from({ length: n }, () => ({ kind: 'c-apdu' as const, apdu: fromHex(GET_CPLC) })), { length: 'definite' });
    const packet = buildCommandPacket(host.keys, { spi: FULL, kic: host.kic, kid: host.kid, tar: ISD_TAR, counter: counterBytes(counter), data });
    return se.receiveSms(smsDeliverTpdu({ originator: OTA_SERVER, moreMessagesWaiting: false, serviceCentreTimeStamp: fromHex('62117261540000'), userData: commandPacketUserData(packet) }));
  };
  const expected = (counter: number) => ({ spi: FULL, kic: host.kic, kid: host.kid, tar: ISD_TAR, counter: counterBytes(counter) });

  it('seven CPLC reads: a 300+ byte PoR in three SMS-SUBMITs that reassemble and verify', () => {
    const r = deliver(7, 1);
    assert.equal(r.receipt.kind, 'processed');
    assert.equal(r.submit, undefined, 'no single SMS for a long PoR');
    assert.equal(r.submits.length, 3);
    const sms = r.submits.map((tpdu) => parseSmsSubmit(tpdu));
    for (const s of sms) {
      assert.deepEqual([s.destination.digits, s.protocolId, s.dataCoding, s.userDataHeader], [OTA_SERVER.digits, 0x00, 0xf6, true]);
      assert.ok(s.userData.length <= 140);
    }
    assert.deepEqual(
      sms.map((s) => s.messageReference),
      [0, 1, 2].map((i) => (sms[0]!.messageReference + i) % 256),
      'a TP-MR per SMS',
    );
    const headers = sms.map((s) => parseUserData(s.userData).elements);
    assert.deepEqual(headers[0]!.map((e) => e.iei), [0x00, 0x71], 'part 1: concatenation, then the RPI');
    assert.deepEqual(headers.slice(1).map((h) => h.map((e) => e.iei)), [[0x00], [0x00]], 'later parts: concatenation only');
    assert.deepEqual(headers.map((h) => concatInfo(h)?.sequence), [1, 2, 3]);
    const reassembler = new ResponsePacketReassembler({ maxParts: 16 });
    const results = sms.map((s) => reassembler.add(s.userData));
    const last = results.at(-1)!;
    assert.equal(last.kind, 'complete');
    if (last.kind !== 'complete') return;
    const ud = responsePacketUserData(last.packet);
    assert.ok(ud.length > 300, `${ud.length} bytes`);
    const por = unwrapResponsePacket(host.keys, ud, expected(1));
    assert.deepEqual([por.status, por.secured], [0, true]);
    const script = parseResponseScript(por.data);
    assert.equal(script.executed, 7);
    const cplc = toHex(concat(fromHex('9F7F2A'), se.state.cplc, fromHex('9000')));
    assert.deepEqual(script.responses.map(toHex), Array.from({ length: 7 }, () => cplc));
  });

  it('a short PoR stays one SMS: submit and submits agree', () => {
    const r = deliver(1, 2);
    assert.equal(r.submits.length, 1);
    assert.deepEqual(r.submit, r.submits[0]);
    const ud = parseSmsSubmit(r.submit!).userData;
    assert.equal(toHex(ud.subarray(0, 3)), '027100');
    assert.equal(unwrapResponsePacket(host.keys, ud, expected(2)).status, 0);
  });

  it('each long PoR takes a new concatenation reference', () => {
    const ref = (r: ReturnType<VirtualSecureElement['receiveSms']>) => concatInfo(parseUserData(parseSmsSubmit(r.submits[0]!).userData).elements)?.reference;
    const a = ref(deliver(7, 3));
    const b = ref(deliver(7, 4));
    assert.ok(a !== undefined && b !== undefined);
    assert.equal(b, (a + 1) % 256);
  });
});
