import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { concat, fromHex, hex, toHex } from '../../src/bytes/index.ts';
import { TlvError, encodeSimpleTlv, parseSimpleTlvList, type TlvErrorCode } from '../../src/tlv/index.ts';

function throwsTlv(fn: () => unknown, code: TlvErrorCode): void {
  assert.throws(fn, (e: unknown) => e instanceof TlvError && e.code === code);
}

describe('SIMPLE-TLV (ISO/IEC 7816-4 §5.2.1)', () => {
  it('encodes one-byte and three-byte lengths', () => {
    assert.equal(toHex(encodeSimpleTlv(0x01, hex`3B`)), '01013B');
    assert.equal(toHex(encodeSimpleTlv(0xfe, new Uint8Array(0))), 'FE00');
    assert.equal(toHex(encodeSimpleTlv(0x02, new Uint8Array(254)).subarray(0, 2)), '02FE');
    assert.equal(toHex(encodeSimpleTlv(0x02, new Uint8Array(255)).subarray(0, 4)), '02FF00FF');
  });

  it('round-trips a sequence', () => {
    const bytes = concat(encodeSimpleTlv(0x01, hex`AA`), encodeSimpleTlv(0x80, new Uint8Array(1000)));
    const list = parseSimpleTlvList(bytes);
    assert.deepEqual(list.map((t) => [t.kind, t.tag, t.value.length]), [['simple-tlv', 0x01, 1], ['simple-tlv', 0x80, 1000]]);
  });

  it('rejects tags 00 and FF, truncation and non-minimal lengths', () => {
    throwsTlv(() => parseSimpleTlvList(hex`00 00`), 'ERR_TLV_TAG');
    throwsTlv(() => parseSimpleTlvList(hex`FF 00`), 'ERR_TLV_TAG');
    throwsTlv(() => parseSimpleTlvList(hex`01`), 'ERR_TLV_TRUNCATED');
    throwsTlv(() => parseSimpleTlvList(hex`01 02 AA`), 'ERR_TLV_TRUNCATED');
    throwsTlv(() => parseSimpleTlvList(hex`01 FF 00`), 'ERR_TLV_TRUNCATED');
    throwsTlv(() => parseSimpleTlvList(fromHex(`01FF0001AA`)), 'ERR_TLV_NON_MINIMAL');
    throwsTlv(() => encodeSimpleTlv(0x00, hex`AA`), 'ERR_TLV_TAG');
    throwsTlv(() => encodeSimpleTlv(0xff, hex`AA`), 'ERR_TLV_TAG');
    throwsTlv(() => encodeSimpleTlv(0x01, new Uint8Array(0x10000)), 'ERR_TLV_LENGTH');
  });
});
