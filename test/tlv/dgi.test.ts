import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { concat, fromHex, hex, toHex } from '../../src/bytes/index.ts';
import { TlvError, encodeDgi, parseDgiList, type TlvErrorCode } from '../../src/tlv/index.ts';

function throwsTlv(fn: () => unknown, code: TlvErrorCode): void {
  assert.throws(fn, (e: unknown) => e instanceof TlvError && e.code === code);
}

describe('DGI (EMV CPS v1.1)', () => {
  it('codes lengths below 255 on one byte and 255 and above as FF + 2 bytes', () => {
    // EMV CPS v1.1 DGI format; gp.md §2: "1 byte if < 255, else FF followed by 2 bytes"
    const cases = [
      [0, '010100'],
      [254, '0101FE'],
      [255, '0101FF00FF'],
      [256, '0101FF0100'],
      [0xffff, '0101FFFFFF'],
    ] as const;
    for (const [n, header] of cases) {
      const value = new Uint8Array(n).fill(0x5a);
      const bytes = encodeDgi(0x0101, value);
      assert.equal(toHex(bytes.subarray(0, header.length / 2)), header, `length ${n}`);
      assert.equal(bytes.length, header.length / 2 + n);
      const [dgi] = parseDgiList(bytes);
      assert.equal(dgi?.tag, 0x0101);
      assert.deepEqual(dgi?.value, value);
    }
  });

  it('parses a sequence of DGIs', () => {
    const bytes = concat(encodeDgi(0x9102, hex`A5 03 88 01 01`), encodeDgi(0x8000, new Uint8Array(48)), encodeDgi(0x0202, new Uint8Array(300)));
    const list = parseDgiList(bytes);
    assert.deepEqual(list.map((d) => [d.tag, d.value.length]), [[0x9102, 5], [0x8000, 48], [0x0202, 300]]);
    assert.ok(Object.isFrozen(list) && Object.isFrozen(list[0]));
    assert.deepEqual(parseDgiList(new Uint8Array(0)), []);
  });

  it('rejects truncation and non-minimal lengths', () => {
    throwsTlv(() => parseDgiList(hex`01`), 'ERR_TLV_TRUNCATED');
    throwsTlv(() => parseDgiList(hex`0101`), 'ERR_TLV_TRUNCATED');
    throwsTlv(() => parseDgiList(hex`0101 FF 01`), 'ERR_TLV_TRUNCATED');
    throwsTlv(() => parseDgiList(hex`0101 05 AABB`), 'ERR_TLV_TRUNCATED');
    throwsTlv(() => parseDgiList(fromHex(`0101FF0100${'00'.repeat(255)}`)), 'ERR_TLV_TRUNCATED');
    throwsTlv(() => parseDgiList(fromHex(`0101FF00FE${'00'.repeat(254)}`)), 'ERR_TLV_NON_MINIMAL');
    throwsTlv(() => parseDgiList(hex`0101 FF 0000`), 'ERR_TLV_NON_MINIMAL');
  });

  it('refuses values over 65535 bytes and bad DGI numbers', () => {
    throwsTlv(() => encodeDgi(0x0101, new Uint8Array(0x10000)), 'ERR_TLV_LENGTH');
    assert.throws(() => encodeDgi(0x10000, new Uint8Array(0)), { code: 'ERR_BYTES_RANGE' });
  });
});
