import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  BytesError,
  ByteReader,
  ByteWriter,
  assertBytes,
  concat,
  equalCt,
  fromHex,
  hex,
  readUintBe,
  toHex,
  uintBe,
  wipe,
  xor,
} from '../../src/bytes/index.ts';

const code = (c: string) => (e: unknown) => e instanceof BytesError && e.code === c;

describe('hex', () => {
  it('round-trips any bytes, uppercase out, either case in', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
      assert.deepEqual(fromHex(toHex(b)), b);
      assert.deepEqual(fromHex(toHex(b).toLowerCase()), b);
    }));
    assert.equal(toHex(Uint8Array.of(0x0a, 0xff)), '0AFF');
  });
  it('rejects odd length, bad digits, whitespace and non-strings with ERR_BYTES_HEX/TYPE', () => {
    assert.throws(() => fromHex('ABC'), code('ERR_BYTES_HEX'));
    assert.throws(() => fromHex('0G'), code('ERR_BYTES_HEX'));
    assert.throws(() => fromHex('00 11'), code('ERR_BYTES_HEX'));
    assert.throws(() => fromHex('0x00'), code('ERR_BYTES_HEX'));
    assert.throws(() => fromHex(12 as unknown as string), code('ERR_BYTES_TYPE'));
  });
  it('hex tag ignores whitespace and interpolates', () => {
    assert.deepEqual(hex`80 50 ${'30'} 00 ${Uint8Array.of(8)}`, Uint8Array.of(0x80, 0x50, 0x30, 0, 8));
  });
});

describe('concat, xor, equalCt, wipe, uintBe', () => {
  it('concat and xor', () => {
    assert.deepEqual(concat(hex`01`, hex``, hex`0203`), hex`010203`);
    assert.deepEqual(xor(hex`F0F0`, hex`0FF0`), hex`FF00`);
    assert.throws(() => xor(hex`00`, hex`0000`), code('ERR_BYTES_LENGTH'));
  });
  it('equalCt compares content and length', () => {
    assert.equal(equalCt(hex`0102`, hex`0102`), true);
    assert.equal(equalCt(hex`0102`, hex`0103`), false);
    assert.equal(equalCt(hex`0102`, hex`010200`), false);
    assert.equal(equalCt(hex``, hex``), true);
  });
  it('wipe zeroes', () => {
    const k = hex`11223344`;
    wipe(k);
    assert.deepEqual(k, hex`00000000`);
  });
  it('uintBe / readUintBe round-trip and range checks', () => {
    assert.deepEqual(uintBe(0x010203, 3), hex`010203`);
    assert.equal(readUintBe(hex`FFFFFF`), 0xffffff);
    assert.throws(() => uintBe(256, 1), code('ERR_BYTES_RANGE'));
    assert.throws(() => uintBe(-1, 2), code('ERR_BYTES_RANGE'));
    assert.throws(() => readUintBe(new Uint8Array(7)), code('ERR_BYTES_LENGTH'));
  });
  it('assertBytes names the argument and what it got', () => {
    assert.throws(() => assertBytes('00', [16], 'SCP03 S-MAC key'), /SCP03 S-MAC key: expected Uint8Array, got string/);
    assert.throws(() => assertBytes(new Uint8Array(15), [16, 24, 32], 'SCP03 S-MAC key'), /expected 16 or 24 or 32 bytes, got 15/);
  });
});

describe('ByteReader / ByteWriter', () => {
  it('writes and reads every width', () => {
    const w = new ByteWriter(1).u8(1).u16(0x0203).u24(0x040506).u32(0x0708090a).bytes(hex`0B`).lv(hex`0C0D`);
    const b = w.toBytes();
    assert.deepEqual(b, hex`01 0203 040506 0708090A 0B 02 0C0D`);
    const r = new ByteReader(b);
    assert.equal(r.u8(), 1);
    assert.equal(r.u16(), 0x0203);
    assert.equal(r.u24(), 0x040506);
    assert.equal(r.u32(), 0x0708090a);
    assert.deepEqual(r.bytes(1), hex`0B`);
    assert.deepEqual(r.lv(), hex`0C0D`);
    r.end();
  });
  it('never reads past the end: truncation and trailing bytes are typed errors', () => {
    assert.throws(() => new ByteReader(hex`01`, 'INITIALIZE UPDATE response').u16('sequence counter'),
      (e: unknown) => code('ERR_BYTES_TRUNCATED')(e) && /sequence counter needs 2 bytes at offset 0, 1 left/.test((e as Error).message));
    assert.throws(() => new ByteReader(hex`05 0102`).lv(), code('ERR_BYTES_TRUNCATED'));
    assert.throws(() => new ByteReader(hex`0102`).end(), code('ERR_BYTES_TRAILING'));
    assert.throws(() => new ByteReader(hex`0102`).bytes(-1), code('ERR_BYTES_RANGE'));
  });
  it('arbitrary reads over arbitrary bytes throw only BytesError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 40 }), (data, ops) => {
      const r = new ByteReader(data);
      try {
        for (const op of ops) [() => r.u8(), () => r.u16(), () => r.u24(), () => r.u32(), () => r.lv(), () => r.bytes(3)][op]!();
      } catch (e) {
        assert.ok(e instanceof BytesError, String(e));
      }
    }));
  });
  it('writer refuses out-of-range values and LV over 255', () => {
    assert.throws(() => new ByteWriter().u8(256), code('ERR_BYTES_RANGE'));
    assert.throws(() => new ByteWriter().lv(new Uint8Array(256)), code('ERR_BYTES_LENGTH'));
  });
});
