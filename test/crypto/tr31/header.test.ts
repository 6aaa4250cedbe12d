/** TR-31 / X9.143 key block header: code tables, published decode examples, the codec as a property. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  CryptoError,
  EXPORTABILITY,
  KEY_ALGORITHMS,
  KEY_BLOCK_VERSIONS,
  KEY_CONTEXTS,
  KEY_USAGES,
  MODES_OF_USE,
  encodeKeyBlockHeader,
  keyBlockHeader,
  parseKeyBlockHeader,
  type KeyBlockHeader,
} from '../../../src/crypto/index.ts';

const code = (c: string) => (e: unknown) => e instanceof CryptoError && e.code === c;

describe('X9.143 code tables', () => {
  it('hold the codes the TSM needs', () => {
    const usages = ['B0', 'B1', 'B2', 'C0', 'D0', 'D1', 'E0', 'E1', 'E2', 'E3', 'E4', 'E5', 'E6', 'I0', 'K0', 'K1', 'K2', 'K3',
      'M0', 'M1', 'M2', 'M3', 'M4', 'M5', 'M6', 'M7', 'M8', 'P0', 'S0', 'S1', 'S2', 'V0', 'V1', 'V2', 'V3', 'V4'];
    for (const u of usages) assert.ok(Object.hasOwn(KEY_USAGES, u), u);
    assert.deepEqual(Object.keys(KEY_ALGORITHMS).sort(), ['A', 'D', 'E', 'H', 'R', 'S', 'T']);
    assert.deepEqual(Object.keys(MODES_OF_USE).sort(), ['B', 'C', 'D', 'E', 'G', 'N', 'S', 'T', 'V', 'X', 'Y']);
    assert.deepEqual(Object.keys(EXPORTABILITY).sort(), ['E', 'N', 'S']);
    assert.deepEqual(Object.keys(KEY_CONTEXTS).sort(), ['0', '1', '2']);
    assert.deepEqual(Object.keys(KEY_BLOCK_VERSIONS).sort(), ['A', 'B', 'C', 'D']);
    assert.deepEqual(Object.entries(KEY_BLOCK_VERSIONS).filter(([, p]) => p.wrap).map(([v]) => v), ['B', 'D']);
  });
});

describe('header parsing: published examples', () => {
  it('openemv/tr31 test/tr31_decode_test.c @ 17e2f9fc, test4 (KS, KC and KP optional blocks)', () => {
    const h = parseKeyBlockHeader('B0128B1TX00N0300KS18FFFF00A0200001E00000KC0C000169E3KP0C00ECAD626F9F1A826814AA066D86C8C18BD0E14033E1EBEC75BEDF586E6E325F3AA8C0E5');
    assert.deepEqual(h, {
      kind: 'tr31-header', version: 'B', usage: 'B1', algorithm: 'T', modeOfUse: 'X', keyVersion: '00', exportability: 'N', keyContext: '0',
      // test4_ksn_verify FFFF00A0200001E00000, KC: legacy algorithm 00 + test4_kcv_verify 0169E3, KP: 00 + ECAD62
      optionalBlocks: [{ id: 'KS', data: 'FFFF00A0200001E00000' }, { id: 'KC', data: '000169E3' }, { id: 'KP', data: '00ECAD62' }],
    });
    assert.ok(Object.isFrozen(h) && Object.isFrozen(h.optionalBlocks) && Object.isFrozen(h.optionalBlocks[0]));
  });
  it('openemv/tr31 test/tr31_decode_test.c @ 17e2f9fc, test1 (version B, exportability S, KS)', () => {
    const h = parseKeyBlockHeader('B0104B1TX00S0100KS18820220A0200001E00000B51725B5DD1F18D7A28B3EBD15BA8DE978DC20E5FA695FEAA249855AA226C65F');
    assert.equal(h.exportability, 'S');
    assert.deepEqual(h.optionalBlocks, [{ id: 'KS', data: '820220A0200001E00000' }]);
  });
  it('drops the padding block, including an empty one (PB04)', () => {
    const h = parseKeyBlockHeader('A0048P0TE12E0200KS1400604B120F929280PB04');
    assert.deepEqual(h.optionalBlocks, [{ id: 'KS', data: '00604B120F929280' }]);
    assert.equal(encodeKeyBlockHeader(h, { blockLength: 112 }), 'A0112P0TE12E0200KS1400604B120F929280PB04');
  });
});

describe('header construction', () => {
  it('defaults key version "00" and key context "0", and is frozen', () => {
    const h = keyBlockHeader({ version: 'D', usage: 'E0', algorithm: 'T', modeOfUse: 'X', exportability: 'N' });
    assert.equal(encodeKeyBlockHeader(h, { blockLength: 112 }), 'D0112E0TX00N0000');
    assert.ok(Object.isFrozen(h));
    assert.throws(() => { (h as { usage: string }).usage = 'P0'; }, TypeError);
  });
  it('pads optional blocks to the cipher block of the version', () => {
    const blocks = [{ id: 'HM', data: '21' }];
    assert.equal(
      encodeKeyBlockHeader(keyBlockHeader({ version: 'D', usage: 'M7', algorithm: 'H', modeOfUse: 'C', keyVersion: '12', exportability: 'N', optionalBlocks: blocks }), { blockLength: 128 }),
      'D0128M7HC12N0200HM0621PB0A000000', // header layout of openemv's "HMAC key wrapping" export case, PB filled with '0'
    );
    const ks = [{ id: 'KS', data: '00604B120F929280' }]; // 20 characters with its ID and length
    const p0 = { usage: 'P0', algorithm: 'T', modeOfUse: 'E', keyVersion: '12', exportability: 'E', optionalBlocks: ks } as const;
    assert.equal(encodeKeyBlockHeader(keyBlockHeader({ version: 'A', ...p0 }), { blockLength: 112 }), 'A0112P0TE12E0200KS1400604B120F929280PB04');
    assert.equal(encodeKeyBlockHeader(keyBlockHeader({ version: 'D', ...p0 }), { blockLength: 112 }), 'D0112P0TE12E0200KS1400604B120F929280PB0C00000000');
  });
  it('refuses block lengths the 4-digit field cannot hold', () => {
    const h = keyBlockHeader({ version: 'B', usage: 'P0', algorithm: 'T', modeOfUse: 'E', exportability: 'E' });
    for (const blockLength of [-1, 10000, 1.5, NaN]) assert.throws(() => encodeKeyBlockHeader(h, { blockLength }), code('ERR_CRYPTO_KEY_BLOCK'));
  });
});

const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 300 });
const alnum2 = fc.constantFrom(...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz').chain((a) =>
  fc.constantFrom(...'0123456789ABCXYZaxz').map((b) => a + b));
const headers: fc.Arbitrary<KeyBlockHeader> = fc.record({
  version: fc.constantFrom(...(Object.keys(KEY_BLOCK_VERSIONS) as (keyof typeof KEY_BLOCK_VERSIONS)[])),
  usage: fc.constantFrom(...(Object.keys(KEY_USAGES) as (keyof typeof KEY_USAGES)[])),
  algorithm: fc.constantFrom(...(Object.keys(KEY_ALGORITHMS) as (keyof typeof KEY_ALGORITHMS)[])),
  modeOfUse: fc.constantFrom(...(Object.keys(MODES_OF_USE) as (keyof typeof MODES_OF_USE)[])),
  keyVersion: alnum2,
  exportability: fc.constantFrom(...(Object.keys(EXPORTABILITY) as (keyof typeof EXPORTABILITY)[])),
  keyContext: fc.constantFrom(...(Object.keys(KEY_CONTEXTS) as (keyof typeof KEY_CONTEXTS)[])),
  optionalBlocks: fc.array(fc.record({ id: alnum2.filter((id) => id !== 'PB'), data: printable }), { maxLength: 6 }),
}).map(keyBlockHeader);

describe('header codec properties', () => {
  it('parse(encode(header)) is the header, for any header', () => {
    fc.assert(fc.property(headers, fc.integer({ min: 0, max: 9999 }), (h, blockLength) => {
      const text = encodeKeyBlockHeader(h, { blockLength });
      assert.equal(text.slice(1, 5), String(blockLength).padStart(4, '0'));
      assert.equal((text.length - 16) % KEY_BLOCK_VERSIONS[h.version].blockSize, 0);
      assert.deepEqual(parseKeyBlockHeader(text), h);
    }));
  });
});
