/**
 * TR-31 wrap (export, versions B and D): round trips for every key length per algorithm, the
 * padding rule, block lengths against the X9.143:2021 §8 examples, tamper refusal, refusals, and
 * that keys never print.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { toHex } from '../../../src/bytes/index.ts';
import {
  CryptoError,
  unwrapKeyBlock,
  wrapKeyBlock,
  type KeyAlgorithm,
  type KeyBlockHeaderInput,
} from '../../../src/crypto/index.ts';

const code = (c: string) => (e: unknown) => e instanceof CryptoError && e.code === c;
const refused = (e: unknown) =>
  e instanceof CryptoError && (e.code === 'ERR_CRYPTO_KEY_BLOCK' || e.code === 'ERR_CRYPTO_KEY_BLOCK_AUTH');

/** Distinct, recognisable test bytes: start, start+1, … */
function bytes(length: number, start: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (start + i) & 0xff);
}

/** A deterministic random source (tests only) that records what it was asked for. */
function fixedRandom(): { random: (n: number) => Uint8Array; calls: number[] } {
  const calls: number[] = [];
  return { calls, random: (n) => (calls.push(n), new Uint8Array(n).fill(0xa5)) };
}

const header = (h: Partial<KeyBlockHeaderInput> & Pick<KeyBlockHeaderInput, 'version' | 'algorithm'>): KeyBlockHeaderInput => ({
  usage: 'K0',
  modeOfUse: 'B',
  exportability: 'E',
  ...h,
});

// Which (KBPK, key) pairs may be wrapped: never a key stronger than the KBPK (X9.24-1; 2TDEA 80,
// 3TDEA 112, AES-n n bits per SP 800-57). Written out here, independent of the implementation.
const ALLOWED: Record<string, boolean> = {
  'B16 T16': true, 'B16 T24': false, 'B24 T16': true, 'B24 T24': true,
  'B16 A16': false, 'B16 A24': false, 'B16 A32': false, 'B24 A16': false, 'B24 A24': false, 'B24 A32': false,
  'D16 T16': true, 'D16 T24': true, 'D24 T16': true, 'D24 T24': true, 'D32 T16': true, 'D32 T24': true,
  'D16 A16': true, 'D16 A24': false, 'D16 A32': false, 'D24 A16': true, 'D24 A24': true, 'D24 A32': false,
  'D32 A16': true, 'D32 A24': true, 'D32 A32': true,
};

describe('TR-31 wrap → unwrap round trips', () => {
  const cases: [version: 'B' | 'D', kbpkLength: number][] = [['B', 16], ['B', 24], ['D', 16], ['D', 24], ['D', 32]];
  const keys: [KeyAlgorithm, number][] = [['T', 16], ['T', 24], ['A', 16], ['A', 24], ['A', 32]];
  for (const [version, kbpkLength] of cases) {
    for (const [algorithm, keyLength] of keys) {
      const label = `${version}${kbpkLength} ${algorithm}${keyLength}`;
      it(`${label}: ${ALLOWED[label] ? 'round trip' : 'refused, key stronger than KBPK'}`, () => {
        const kbpk = bytes(kbpkLength, 0x10);
        const key = bytes(keyLength, 0x80);
        const h = header({ version, algorithm, usage: algorithm === 'T' ? 'E0' : 'D0', modeOfUse: algorithm === 'T' ? 'X' : 'B' });
        if (!ALLOWED[label]) {
          assert.throws(() => wrapKeyBlock(kbpk, key, { header: h }), code('ERR_CRYPTO_KEY_BLOCK'));
          return;
        }
        const block = wrapKeyBlock(kbpk, key, { header: h });
        const out = unwrapKeyBlock(kbpk, block);
        assert.deepEqual(out.key, key);
        assert.deepEqual(out.header, { kind: 'tr31-header', keyVersion: '00', keyContext: '0', optionalBlocks: [], ...h });
      });
    }
  }
  for (const length of [1, 20, 32, 64, 128]) {
    it(`D32 HMAC key of ${length} bytes (no length masking for H)`, () => {
      const kbpk = bytes(32, 1);
      const key = bytes(length, 0x40);
      const { random, calls } = fixedRandom();
      const block = wrapKeyBlock(kbpk, key, { header: header({ version: 'D', algorithm: 'H', usage: 'M7', modeOfUse: 'C' }), random });
      assert.deepEqual(unwrapKeyBlock(kbpk, block).key, key);
      assert.deepEqual(calls, [Math.ceil((2 + length) / 16) * 16 - 2 - length]);
    });
  }
  it('keeps optional blocks, including an extended-length one, and the key context', () => {
    const kbpk = bytes(32, 7);
    const optionalBlocks = [{ id: 'KS', data: '00604B120F9292800000' }, { id: 'LB', data: 'x'.repeat(300) }, { id: 'TS', data: '20200818221218Z' }];
    for (const version of ['B', 'D'] as const) {
      const k = version === 'B' ? kbpk.subarray(0, 24) : kbpk;
      const h = header({ version, algorithm: 'T', usage: 'B0', modeOfUse: 'X', keyVersion: '12', exportability: 'S', keyContext: '1', optionalBlocks });
      const block = wrapKeyBlock(k, bytes(16, 3), { header: h });
      assert.match(block, /LB00020136xxx/); // X9.143 extended length: "00", "02" bytes of length, 0x0136 = 300 + 10
      assert.deepEqual(unwrapKeyBlock(k, block).header.optionalBlocks, optionalBlocks);
      assert.equal(unwrapKeyBlock(k, block).header.keyContext, '1');
    }
  });
});

describe('TR-31 wrap: padding and block lengths', () => {
  // Block lengths of the X9.143:2021 §8 examples (as given in openemv/tr31 test/tr31_export_test.c):
  // 8.1 D0144P0AE00E0000 (AES-128 key), 8.3.2.2 B0096P0TE00E0000 (TDES-2 key), 8.4.2 B0120B0TX12S0100KS18… .
  it('matches the X9.143:2021 §8 block lengths (key length hidden behind the longest key of the algorithm)', () => {
    const d = wrapKeyBlock(bytes(32, 1), bytes(16, 2), { header: { version: 'D', usage: 'P0', algorithm: 'A', modeOfUse: 'E', exportability: 'E' } });
    assert.equal(d.slice(0, 16), 'D0144P0AE00E0000');
    assert.equal(d.length, 144);
    const b = wrapKeyBlock(bytes(16, 1), bytes(16, 2), { header: { version: 'B', usage: 'P0', algorithm: 'T', modeOfUse: 'E', exportability: 'E' } });
    assert.equal(b.slice(0, 16), 'B0096P0TE00E0000');
    const ks = wrapKeyBlock(bytes(16, 1), bytes(16, 2), {
      header: { version: 'B', usage: 'B0', algorithm: 'T', modeOfUse: 'X', keyVersion: '12', exportability: 'S', optionalBlocks: [{ id: 'KS', data: '00604B120F9292800000' }] },
    });
    assert.equal(ks.slice(0, 40), 'B0120B0TX12S0100KS1800604B120F9292800000');
  });
  it('asks the random source for exactly the padding: TDES keys look 24 bytes long, AES keys 32', () => {
    const want: [version: 'B' | 'D', algorithm: KeyAlgorithm, keyLength: number, pad: number][] = [
      ['B', 'T', 16, 14], ['B', 'T', 24, 6], ['D', 'T', 16, 14], ['D', 'T', 24, 6],
      ['D', 'A', 16, 30], ['D', 'A', 24, 22], ['D', 'A', 32, 14],
    ];
    for (const [version, algorithm, keyLength, pad] of want) {
      const { random, calls } = fixedRandom();
      const kbpk = bytes(version === 'B' ? 24 : 32, 9);
      const block = wrapKeyBlock(kbpk, bytes(keyLength, 1), { header: header({ version, algorithm }), random });
      assert.deepEqual(calls, [pad], `${version} ${algorithm}${keyLength}`);
      assert.deepEqual(unwrapKeyBlock(kbpk, block).key, bytes(keyLength, 1));
    }
  });
  it('same lengths for every key length of an algorithm, so the block hides which one it carries', () => {
    const kbpk = bytes(32, 5);
    const lengths = (algorithm: KeyAlgorithm, sizes: number[]) =>
      new Set(sizes.map((n) => wrapKeyBlock(kbpk, bytes(n, 1), { header: header({ version: 'D', algorithm }) }).length));
    assert.equal(lengths('T', [16, 24]).size, 1);
    assert.equal(lengths('A', [16, 24, 32]).size, 1);
  });
  it('is deterministic only with a fixed random source; the default source differs each time', () => {
    const kbpk = bytes(16, 1);
    const h = header({ version: 'D', algorithm: 'A' });
    assert.equal(wrapKeyBlock(kbpk, bytes(16, 2), { header: h, random: fixedRandom().random }), wrapKeyBlock(kbpk, bytes(16, 2), { header: h, random: fixedRandom().random }));
    assert.notEqual(wrapKeyBlock(kbpk, bytes(16, 2), { header: h }), wrapKeyBlock(kbpk, bytes(16, 2), { header: h }));
  });
});

describe('TR-31: a flipped bit anywhere in a block is refused', () => {
  const blocks: [string, Uint8Array, string][] = [];
  for (const [version, kbpkLength, algorithm, keyLength] of [['B', 16, 'T', 16], ['B', 24, 'T', 24], ['D', 16, 'A', 16], ['D', 32, 'T', 24]] as const) {
    const kbpk = bytes(kbpkLength, 0x30);
    const h = header({ version, algorithm, optionalBlocks: [{ id: 'KS', data: 'ABCDEF0123' }] });
    blocks.push([`${version}${kbpkLength} ${algorithm}${keyLength}`, kbpk, wrapKeyBlock(kbpk, bytes(keyLength, 1), { header: h })]);
  }
  for (const [label, kbpk, block] of blocks) {
    it(`${label}: every bit of every character`, () => {
      assert.ok(unwrapKeyBlock(kbpk, block));
      for (let i = 0; i < block.length; i++) {
        for (let bit = 0; bit < 8; bit++) {
          const flipped = block.slice(0, i) + String.fromCharCode(block.charCodeAt(i) ^ (1 << bit)) + block.slice(i + 1);
          assert.throws(() => unwrapKeyBlock(kbpk, flipped), refused, `char ${i} bit ${bit}`);
        }
      }
    });
  }
  it('tampering with ciphertext or MAC, and a wrong KBPK, give one fixed error', () => {
    const [, kbpk, block] = blocks[2]!;
    const swapHex = (s: string, i: number) => s.slice(0, i) + (s[i] === '0' ? '1' : '0') + s.slice(i + 1);
    const messages = new Set<string>();
    for (const attempt of [
      () => unwrapKeyBlock(kbpk, swapHex(block, 40)), // first ciphertext block
      () => unwrapKeyBlock(kbpk, swapHex(block, block.length - 40)), // last ciphertext block (padding)
      () => unwrapKeyBlock(kbpk, swapHex(block, block.length - 1)), // MAC
      () => unwrapKeyBlock(bytes(16, 0x31), block), // wrong KBPK
    ]) {
      assert.throws(attempt, (e: unknown) => code('ERR_CRYPTO_KEY_BLOCK_AUTH')(e) && (messages.add((e as Error).message), true));
    }
    assert.deepEqual([...messages], ['TR-31 key block: authentication failed']);
  });
});

describe('TR-31 wrap refuses', () => {
  const kbpk = bytes(32, 1);
  const ok = header({ version: 'D', algorithm: 'A' });
  it('versions A and C (legacy, import only)', () => {
    for (const version of ['A', 'C'] as const) {
      assert.throws(() => wrapKeyBlock(bytes(16, 1), bytes(16, 2), { header: header({ version, algorithm: 'T' }) }), code('ERR_CRYPTO_KEY_BLOCK'));
    }
  });
  it('a KBPK of the wrong length for the version', () => {
    assert.throws(() => wrapKeyBlock(bytes(32, 1), bytes(16, 2), { header: header({ version: 'B', algorithm: 'T' }) }), code('ERR_CRYPTO_KEY'));
    assert.throws(() => wrapKeyBlock(bytes(8, 1), bytes(16, 2), { header: ok }), code('ERR_CRYPTO_KEY'));
    assert.throws(() => wrapKeyBlock('key' as unknown as Uint8Array, bytes(16, 2), { header: ok }), code('ERR_CRYPTO_KEY'));
  });
  it('keys that do not fit the header algorithm, single DES, empty keys', () => {
    assert.throws(() => wrapKeyBlock(kbpk, bytes(8, 2), { header: header({ version: 'D', algorithm: 'T' }) }), code('ERR_CRYPTO_KEY'));
    assert.throws(() => wrapKeyBlock(kbpk, bytes(20, 2), { header: ok }), code('ERR_CRYPTO_KEY'));
    assert.throws(() => wrapKeyBlock(kbpk, bytes(8, 2), { header: header({ version: 'D', algorithm: 'D' }) }), code('ERR_CRYPTO_KEY_BLOCK'));
    assert.throws(() => wrapKeyBlock(kbpk, new Uint8Array(0), { header: header({ version: 'D', algorithm: 'H' }) }), code('ERR_CRYPTO_KEY_BLOCK'));
    assert.throws(() => wrapKeyBlock(kbpk, 'key' as unknown as Uint8Array, { header: ok }), code('ERR_CRYPTO_KEY'));
  });
  it('headers with unknown codes, a PB block given by the caller, or too long to fit 9999 characters', () => {
    for (const bad of [
      { ...ok, usage: 'Z9' }, { ...ok, algorithm: 'Q' }, { ...ok, modeOfUse: 'Z' }, { ...ok, exportability: 'X' },
      { ...ok, keyContext: '3' }, { ...ok, keyVersion: '0' }, { ...ok, version: 'E' },
      { ...ok, optionalBlocks: [{ id: 'PB', data: '0000' }] }, { ...ok, optionalBlocks: [{ id: 'K', data: '' }] },
      { ...ok, optionalBlocks: [{ id: 'KS', data: 'é' }] }, { ...ok, optionalBlocks: [{ id: 'LB', data: 'x'.repeat(9990) }] },
    ]) {
      assert.throws(() => wrapKeyBlock(kbpk, bytes(16, 2), { header: bad as KeyBlockHeaderInput }), code('ERR_CRYPTO_KEY_BLOCK'), JSON.stringify(bad).slice(0, 80));
    }
  });
  it('a random source that returns the wrong thing', () => {
    assert.throws(() => wrapKeyBlock(kbpk, bytes(16, 2), { header: ok, random: (n) => new Uint8Array(n + 1) }), code('ERR_CRYPTO_PARAM'));
    assert.throws(() => wrapKeyBlock(kbpk, bytes(16, 2), { header: ok, random: () => [] as unknown as Uint8Array }), code('ERR_CRYPTO_PARAM'));
  });
});

describe('TR-31: keys print only as KCVs', () => {
  it('toString, JSON and inspect of an unwrapped key show the KCV, never the key', () => {
    const kbpk = bytes(32, 1);
    const key = Uint8Array.from([0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10]);
    const out = unwrapKeyBlock(kbpk, wrapKeyBlock(kbpk, key, { header: header({ version: 'D', algorithm: 'T', usage: 'E0', modeOfUse: 'X' }) }));
    // ANSI X9.24 KCV of 0123456789ABCDEFFEDCBA9876543210 is 08D7B4 (test/vectors/crypto/kcv.json)
    assert.equal(String(out), 'TR-31 D E0 TX key, KCV 08D7B4');
    for (const text of [String(out), JSON.stringify(out), inspect(out), inspect(out, { showHidden: true, depth: 9 }), `${out.header.usage}`]) {
      assert.ok(!text.toUpperCase().includes(toHex(key).slice(0, 12)), text);
      assert.ok(!text.includes('1, 35, 69'), text); // decimal byte listing
    }
    out.wipe();
    assert.deepEqual(out.key, new Uint8Array(16));
  });
  it('error messages never contain key or KBPK bytes', () => {
    const kbpk = Uint8Array.from({ length: 24 }, () => 0x5a);
    const key = Uint8Array.from({ length: 32 }, () => 0xc3);
    try {
      wrapKeyBlock(kbpk, key, { header: header({ version: 'B', algorithm: 'A' }) });
      assert.fail('expected an error');
    } catch (e) {
      assert.ok(!/5A5A|C3C3/i.test((e as Error).message));
    }
  });
});
