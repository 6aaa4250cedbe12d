import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { hex } from '../../src/bytes/index.ts';
import {
  AesCmac,
  CryptoError,
  aesCbcEncrypt,
  aesCmac,
  aesEcbEncrypt,
  kcv,
  padMethod1,
  padMethod2,
  padMethod3,
  retailMac,
  scp03Kdf,
  tdesCbcEncrypt,
  tdesEcbEncrypt,
  unpadMethod2,
  type KcvMethod,
} from '../../src/crypto/index.ts';

const code = (c: string) => (e: unknown) => e instanceof CryptoError && e.code === c;

describe('ISO 9797-1 padding', () => {
  it('method 1 pads with zeros, nothing when aligned, one block when empty', () => {
    assert.deepEqual(padMethod1(hex`01`, 8), hex`0100000000000000`);
    assert.deepEqual(padMethod1(hex`0102030405060708`, 8), hex`0102030405060708`);
    assert.deepEqual(padMethod1(hex``, 8), hex`0000000000000000`);
  });
  it('method 2 always adds 80 00…', () => {
    assert.deepEqual(padMethod2(hex``, 8), hex`8000000000000000`);
    assert.deepEqual(padMethod2(hex`0102030405060708`, 8), hex`0102030405060708 8000000000000000`);
  });
  it('method 3 prefixes the bit length', () => {
    assert.deepEqual(padMethod3(hex`010203`, 8), hex`0000000000000018 0102030000000000`);
  });
  it('unpadMethod2 inverts padMethod2 for any data and block size', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), fc.constantFrom(8, 16), (d, n) => {
      assert.deepEqual(unpadMethod2(padMethod2(d, n), n), d);
    }));
  });
  it('unpadMethod2 gives one detail-free error for every bad padding', () => {
    for (const bad of [hex``, hex`01020304050607`, hex`0102030405060700`, hex`0102030405068001`, hex`8000000000000000 0000000000000000`]) {
      assert.throws(() => unpadMethod2(bad, 8), (e: unknown) => code('ERR_CRYPTO_PADDING')(e) && (e as Error).message === 'invalid padding');
    }
  });
});

describe('bad input gets a typed error', () => {
  it('wrong key lengths', () => {
    assert.throws(() => aesEcbEncrypt(new Uint8Array(15), new Uint8Array(16)), code('ERR_CRYPTO_KEY'));
    assert.throws(() => tdesEcbEncrypt(new Uint8Array(12), new Uint8Array(8)), code('ERR_CRYPTO_KEY'));
    assert.throws(() => retailMac(new Uint8Array(24), hex`00`, { padding: 2, length: 8 }), code('ERR_CRYPTO_KEY'));
    assert.throws(() => new AesCmac(new Uint8Array(0)), code('ERR_CRYPTO_KEY'));
    assert.throws(() => aesCbcEncrypt(new Uint8Array(16), new Uint8Array(16), { iv: new Uint8Array(8) }), code('ERR_CRYPTO_KEY'));
    assert.throws(() => tdesCbcEncrypt(new Uint8Array(16), new Uint8Array(8), { iv: new Uint8Array(16) }), code('ERR_CRYPTO_KEY'));
  });
  it('unaligned data is refused, never silently padded', () => {
    assert.throws(() => aesEcbEncrypt(new Uint8Array(16), new Uint8Array(17)), code('ERR_CRYPTO_INPUT'));
    assert.throws(() => tdesEcbEncrypt(new Uint8Array(16), new Uint8Array(7)), code('ERR_CRYPTO_INPUT'));
  });
  it('bad parameters', () => {
    assert.throws(() => kcv(new Uint8Array(16), 'nope' as KcvMethod), code('ERR_CRYPTO_PARAM'));
    assert.throws(() => scp03Kdf(new Uint8Array(16), 4, hex``, 12), code('ERR_CRYPTO_PARAM'));
    assert.throws(() => retailMac(new Uint8Array(16), hex``, { padding: 4 as 1, length: 8 }), code('ERR_CRYPTO_PARAM'));
  });
  it('error messages never contain key bytes', () => {
    const key = hex`00112233445566778899AABBCCDDEEFF 0011`;
    try {
      aesCmac(key, hex``, { length: 16 });
      assert.fail('expected an error');
    } catch (e) {
      assert.ok(!(e as Error).message.includes('0011223344'));
    }
  });
  it('AesCmac keeps no key in its printable form and is wiped by destroy()', async () => {
    const { inspect } = await import('node:util');
    const key = hex`2B7E151628AED2A6ABF7158809CF4F3C`;
    const m = new AesCmac(key);
    assert.ok(!inspect(m, { showHidden: true }).toUpperCase().includes('2B7E1516'));
    const before = m.mac(hex``, 16);
    m.destroy();
    assert.notDeepEqual(m.mac(hex``, 16), before);
  });
});
