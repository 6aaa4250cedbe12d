/**
 * UICC basics (ETSI TS 102 221) of UICC-kind profiles: the file system is selected on the basic
 * channel at reset and answers SELECT 3F00 the way pySim's `match_uicc` expects; an eSE profile does
 * not pretend to be a UICC.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromHex, toHex } from '../../src/bytes/index.ts';
import { encodeCommand, parseResponse, SW } from '../../src/apdu/index.ts';
import { buildSelect } from '../../src/gp/index.ts';
import { findTlv, parseTlv, parseTlvList } from '../../src/tlv/index.ts';
import { LEGACY_UICC, MemoryCardStore, STRICT_ESE, STRICT_UICC, VirtualSecureElement, type CardProfile } from '../../src/se/index.ts';
import { testCardState } from './helpers.ts';

/** ICCID 8988211000000000017 as stored in EF ICCID: BCD, nibbles swapped, F-padded (ITU-T E.118). */
const ICCID_EF = fromHex('988812010000000010F7');

function card(profile: CardProfile, iccid?: Uint8Array): VirtualSecureElement {
  const state = testCardState(profile);
  const withOta = iccid === undefined ? state : { ...state, ota: { iccid, scp80: [], tars: [] } };
  return new VirtualSecureElement(new MemoryCardStore(withOta));
}

const send = (c: VirtualSecureElement, apdu: string) => parseResponse(c.process(fromHex(apdu)));

describe('UICC file system (TS 102 221)', () => {
  for (const profile of [STRICT_UICC, LEGACY_UICC]) {
    it(`${profile.id}: SELECT 3F00 (P2 04) answers the MF's FCP template`, () => {
      const c = card(profile);
      const r = send(c, '00A40004023F0000');
      assert.equal(r.sw, SW.OK);
      const fcp = parseTlv(r.data);
      assert.equal(fcp.tag, 0x62);
      const kids = fcp.children!;
      assert.equal(toHex(findTlv(kids, 0x82)!.value), '7821', 'file descriptor: shareable DF');
      assert.equal(toHex(findTlv(kids, 0x83)!.value), '3F00');
      assert.equal(toHex(findTlv(kids, 0x8a)!.value), '05', 'operational, activated');
      assert.ok(findTlv(kids, 0xa5) !== undefined, 'proprietary information');
      assert.ok(findTlv(kids, 0x8c) !== undefined, 'security attributes');
      const pinStatus = parseTlvList(findTlv(kids, 0xc6)!.value);
      assert.deepEqual(pinStatus.map((t) => t.tag), [0x90, 0x83]);
      assert.equal(toHex(c.selectedOn(0)!), '3F00');
      assert.equal(send(c, '00A4000C023F00').data.length, 0, 'P2 0C: no data');
      assert.equal(c.stats.internalErrors, 0);
    });
  }

  it('selects and reads EF ICCID (2FE2) by FID, by path and by SFI', () => {
    const c = card(STRICT_UICC, ICCID_EF);
    const sel = send(c, '00A40004022FE200');
    assert.equal(sel.sw, SW.OK);
    const fcp = parseTlv(sel.data).children!;
    assert.equal(toHex(findTlv(fcp, 0x82)!.value), '4121', 'transparent working EF');
    assert.equal(toHex(findTlv(fcp, 0x80)!.value), '000A', 'file size 10');
    assert.equal(toHex(findTlv(fcp, 0x88)!.value), '10', 'SFI 02');
    const read = send(c, '00B000000A');
    assert.equal(read.sw, SW.OK);
    assert.equal(toHex(read.data), toHex(ICCID_EF));
    assert.equal(toHex(send(c, '00B0000400').data), toHex(ICCID_EF.subarray(4)), 'offset 4, Le 00: up to the end');
    assert.equal(send(c, '00B000000C').sw, SW.END_OF_DATA, 'Le past the end: 6282');
    assert.equal(send(c, '00B0000A01').sw, SW.WRONG_P1P2, 'offset outside the EF');
    send(c, '00A40004023F00');
    assert.equal(send(c, '00B000000A').sw, SW.COMMAND_NOT_ALLOWED_NO_CURRENT_EF, 'the MF is not an EF');
    assert.equal(toHex(send(c, '00B0820000').data), toHex(ICCID_EF), 'READ BINARY by SFI 02');
    assert.equal(send(c, '00A40804022FE2').sw, SW.OK, 'path from the MF');
    assert.equal(send(c, '00A40804043F002FE2').sw, SW.FILE_NOT_FOUND, 'a path does not repeat the MF');
  });

  it('answers 6A82 for files it does not have, and for EF ICCID on a card without one', () => {
    const c = card(STRICT_UICC);
    assert.equal(send(c, '00A40004022FE2').sw, SW.FILE_NOT_FOUND);
    for (const fid of ['7F10', '7FFF', '2F00', '6F07', '0000']) assert.equal(send(c, `00A4000402${fid}`).sw, SW.FILE_NOT_FOUND, fid);
    assert.equal(send(c, '00B0820000').sw, SW.FILE_NOT_FOUND);
    assert.equal(send(c, '00A4000403000000').sw, SW.WRONG_LENGTH);
    assert.equal(send(c, '00A40010023F00').sw, SW.INCORRECT_P1P2);
  });

  it('STATUS (80 F2) is the UICC STATUS here, never GP GET STATUS', () => {
    const c = card(STRICT_UICC);
    const st = send(c, '80F2000000');
    assert.equal(st.sw, SW.OK);
    assert.equal(toHex(findTlv(parseTlv(st.data).children!, 0x83)!.value), '3F00', 'FCP of the current DF');
    assert.equal(send(c, '80F2000C00').data.length, 0);
    // GP GET STATUS of the ISD (P1 80, P2 02, 4F00): not a registry answer
    const gp = send(c, '80F28002024F0000');
    assert.equal(gp.sw, SW.INCORRECT_P1P2);
    assert.equal(gp.data.length, 0);
    assert.equal(send(c, '00F2000000').sw, SW.CLA_NOT_SUPPORTED);
  });

  it('answers everything else with a status word: GSM class A0, unknown INS, secure messaging', () => {
    const c = card(STRICT_UICC);
    assert.equal(send(c, 'A0A40000023F00').sw, SW.CLA_NOT_SUPPORTED, 'TS 51.011 class');
    assert.equal(send(c, '0020000108FFFFFFFFFFFFFFFF').sw, SW.INS_NOT_SUPPORTED, 'VERIFY: no PIN on this card');
    assert.equal(send(c, '80CA9F7F00').sw, SW.INS_NOT_SUPPORTED, 'GP GET DATA goes to the ISD, selected by AID');
    assert.equal(send(c, '04A40004023F00').sw, SW.SECURE_MESSAGING_NOT_SUPPORTED);
    assert.equal(c.stats.internalErrors, 0);
  });

  it('the ISD is reached by SELECT by AID; a reset brings the MF back on the basic channel', () => {
    const c = card(STRICT_UICC);
    const isd = send(c, toHex(encodeCommand(buildSelect(STRICT_UICC.isdAid))));
    assert.equal(isd.sw, SW.OK);
    assert.equal(toHex(send(c, '80CA004200').data), '420142');
    c.reset();
    assert.equal(toHex(c.selectedOn(0)!), '3F00');
    assert.equal(send(c, '00A40004023F00').sw, SW.OK);
    // a logical channel opened from the basic channel gets the GP default (the ISD), as before
    const open = send(c, '0070000001');
    assert.equal(toHex(c.selectedOn(open.data[0]!)!), toHex(STRICT_UICC.isdAid));
  });

  it('fast-check: random commands to the file system end in status words, never internal errors', () => {
    const c = card(STRICT_UICC, ICCID_EF);
    fc.assert(
      fc.property(fc.constantFrom(0x00, 0x80, 0xa0, 0x01, 0x0c), fc.constantFrom(0xa4, 0xb0, 0xf2, 0xc0, 0x20), fc.uint8Array({ minLength: 2, maxLength: 8 }), fc.uint8Array({ maxLength: 10 }), (cla, ins, p, data) => {
        c.reset();
        const apdu = Uint8Array.from([cla, ins, p[0]!, p[1]!, ...(data.length > 0 ? [data.length, ...data] : []), 0x00]);
        const answer = c.process(apdu);
        assert.ok(answer.length >= 2);
        assert.equal(c.stats.internalErrors, 0, String(c.stats.lastInternalError));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('an eSE does not pretend to be a UICC', () => {
  it('strict-ese: file selection is refused without an FCP; the ISD is implicitly selected', () => {
    const c = card(STRICT_ESE, ICCID_EF);
    assert.equal(toHex(c.selectedOn(0)!), toHex(STRICT_ESE.isdAid));
    for (const apdu of ['00A40004023F0000', '00A40004022FE200', '00A4000C023F00', '00A40804022FE2']) {
      const r = send(c, apdu);
      // the ISD has no file system: GPC 2.3.1 §11.9 knows SELECT by name only
      assert.notEqual(r.sw, SW.OK, apdu);
      assert.equal(r.sw, SW.FILE_NOT_FOUND, apdu); // ISO/IEC 7816-4 §11.2.2: no such file
      assert.equal(r.data.length, 0);
    }
    assert.equal(send(c, '80F28002024F0000').sw, SW.SECURITY_STATUS_NOT_SATISFIED, '80 F2 is GP GET STATUS here (Table 11-2)');
    assert.equal(c.stats.internalErrors, 0);
  });
});
