/**
 * Hostile and malformed key blocks end in a typed CryptoError, never a TypeError, RangeError or a
 * returned key (CONVENTIONS.md §3). Hand-written cases, blocks whose MAC is valid but whose key
 * length field lies (built here with the plain AES primitives), and fast-check fuzzing.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { concat, fromHex, hex, toHex } from '../../../src/bytes/index.ts';
import {
  CryptoError,
  aesCbcEncrypt,
  aesCmac,
  deriveKeyBlockKeys,
  parseKeyBlockHeader,
  unwrapKeyBlock,
  wrapKeyBlock,
} from '../../../src/crypto/index.ts';

const code = (c: string) => (e: unknown) => e instanceof CryptoError && e.code === c;
const CODES = new Set(['ERR_CRYPTO_KEY_BLOCK', 'ERR_CRYPTO_KEY_BLOCK_AUTH', 'ERR_CRYPTO_KEY']);

/** Unwrap either succeeds or throws one of our codes; anything else fails the test. */
function unwrapOrCryptoError(kbpk: Uint8Array, block: unknown): void {
  try {
    unwrapKeyBlock(kbpk, block as string);
  } catch (e) {
    if (e instanceof CryptoError && CODES.has(e.code)) return;
    throw e;
  }
}

// TR-31:2018 A.7.4 and A.7.2.2 (test/vectors/hsm/tr31-published.json)
const D_KBPK = fromHex('88E1AB2A2E3DD38C1FA039A536500CC8A87AB9D62DC92C01058FA79F44657DE6');
const D_BLOCK = 'D0112P0AE00E0000B82679114F470F540165EDFBF7E250FCEA43F810D215F8D207E2E417C07156A27E8E31DA05F7425509593D03A457DC34';
const B_KBPK = fromHex('DD7515F2BFC17F85CE48F3CA25CB21F6');
const B_BLOCK = 'B0080P0TE00E000094B420079CC80BA3461F86FE26EFC4A3B8E4FA4C5F5341176EED7B727B8A248E';
// X9.143:2021 8.4.1 (version C with a KS block)
const C_KBPK = fromHex('B8ED59E0A279A295E9F5ED7944FD06B9');
const C_BLOCK = 'C0112B0TX12S0100KS1800604B120F929280000042B758A2400AB598AE37782823DAF0BA4BDB0DAFF34915345CA169AE1F976A429EB139E5';

/** Replaces the 4 length digits with the real length. */
const fixLength = (block: string) => block[0] + String(block.length).padStart(4, '0') + block.slice(5);

describe('TR-31 unwrap refuses malformed blocks with ERR_CRYPTO_KEY_BLOCK', () => {
  const cases: [string, unknown][] = [
    ['not a string (number)', 1234],
    ['not a string (null)', null],
    ['not a string (bytes)', new Uint8Array(112)],
    ['empty', ''],
    ['shorter than a header', 'D0112P0AE00E000'],
    ['unknown version', 'X' + D_BLOCK.slice(1)],
    ['ISO 20038 version E (not implemented)', 'E' + D_BLOCK.slice(1)],
    ['numeric proprietary version', '1' + D_BLOCK.slice(1)],
    ['length not digits', 'D01A2' + D_BLOCK.slice(5)],
    ['length says more than the block has', D_BLOCK.slice(0, -2)],
    ['length says less than the block has', D_BLOCK + '00'],
    ['longer than 9999 characters', 'D9999' + 'A'.repeat(10000)],
    ['non-ASCII character', D_BLOCK.slice(0, 20) + 'é' + D_BLOCK.slice(21)],
    ['control character', D_BLOCK.slice(0, 20) + '\n' + D_BLOCK.slice(21)],
    ['lowercase hex', D_BLOCK.slice(0, 16) + D_BLOCK.slice(16).toLowerCase()],
    ['non-hex character in the MAC', D_BLOCK.slice(0, -1) + 'G'],
    ['odd number of hex digits', fixLength(D_BLOCK.slice(0, 40) + D_BLOCK.slice(41))],
    ['payload not a whole number of cipher blocks', fixLength(D_BLOCK.slice(0, 16) + D_BLOCK.slice(32))],
    ['no payload, MAC only', fixLength(D_BLOCK.slice(0, 16) + D_BLOCK.slice(-32))],
    ['unknown key usage', D_BLOCK.slice(0, 5) + 'Z9' + D_BLOCK.slice(7)],
    ['unknown algorithm', D_BLOCK.slice(0, 7) + 'Q' + D_BLOCK.slice(8)],
    ['unknown mode of use', D_BLOCK.slice(0, 8) + 'Z' + D_BLOCK.slice(9)],
    ['key version not alphanumeric', D_BLOCK.slice(0, 9) + '0-' + D_BLOCK.slice(11)],
    ['unknown exportability', D_BLOCK.slice(0, 11) + 'X' + D_BLOCK.slice(12)],
    ['number of optional blocks not digits', D_BLOCK.slice(0, 12) + '0X' + D_BLOCK.slice(14)],
    ['unknown key context', D_BLOCK.slice(0, 14) + '3' + D_BLOCK.slice(15)],
    ['reserved byte 15 not "0"', D_BLOCK.slice(0, 15) + '1' + D_BLOCK.slice(16)],
    ['more optional blocks announced than present', D_BLOCK.slice(0, 12) + '05' + D_BLOCK.slice(14)],
    ['optional block length past the end', fixLength('D0000P0AE00E0100KSFF00604B120F929280' + D_BLOCK.slice(16))],
    ['optional block length not hex', fixLength('C0000B0TX12S0100KS1G00604B120F9292800000' + C_BLOCK.slice(40))],
    ['optional block length shorter than its fields', fixLength('C0000B0TX12S0100KS0300604B120F9292800000' + C_BLOCK.slice(40))],
    ['extended length with length of length 0', fixLength('D0000P0AE00E0100KS0000' + '0'.repeat(10) + D_BLOCK.slice(16))],
    ['extended length with length of length 5', fixLength('D0000P0AE00E0100KS0005' + '0'.repeat(10) + D_BLOCK.slice(16))],
    ['extended length past the end', fixLength('D0000P0AE00E0100KS0002FFFF' + '0'.repeat(6) + D_BLOCK.slice(16))],
    ['optional block ID not alphanumeric', fixLength('C0000B0TX12S0100K-1800604B120F9292800000' + C_BLOCK.slice(40))],
    ['optional blocks not a multiple of the cipher block', fixLength('C0000B0TX12S0100KS1400604B120F929280' + C_BLOCK.slice(40))],
  ];
  for (const [label, block] of cases) {
    it(label, () => {
      assert.throws(() => unwrapKeyBlock(D_KBPK, block as string), code('ERR_CRYPTO_KEY_BLOCK'));
    });
  }
  it('parseKeyBlockHeader refuses the same malformed headers', () => {
    for (const [, block] of cases.slice(0, 8)) assert.throws(() => parseKeyBlockHeader(block as string), code('ERR_CRYPTO_KEY_BLOCK'));
  });
});

describe('TR-31 unwrap refuses a KBPK of the wrong length for the version with ERR_CRYPTO_KEY', () => {
  const cases: [string, unknown, string][] = [
    ['A/C with a single-DES KBPK', C_KBPK.subarray(0, 8), C_BLOCK],
    ['B with an AES-256 KBPK', D_KBPK, B_BLOCK],
    ['B with an 8-byte KBPK', B_KBPK.subarray(0, 8), B_BLOCK],
    ['D with an 8-byte KBPK', D_KBPK.subarray(0, 8), D_BLOCK],
    ['D with a 20-byte KBPK', D_KBPK.subarray(0, 20), D_BLOCK],
    ['D with no KBPK', undefined, D_BLOCK],
    ['D with a hex string KBPK', toHex(D_KBPK), D_BLOCK],
  ];
  for (const [label, kbpk, block] of cases) {
    it(label, () => assert.throws(() => unwrapKeyBlock(kbpk as Uint8Array, block), code('ERR_CRYPTO_KEY')));
  }
  it('a right-length but wrong KBPK fails authentication', () => {
    assert.throws(() => unwrapKeyBlock(D_KBPK.subarray(0, 16), D_BLOCK), code('ERR_CRYPTO_KEY_BLOCK_AUTH'));
    assert.throws(() => unwrapKeyBlock(concat(B_KBPK, B_KBPK.subarray(0, 8)), B_BLOCK), code('ERR_CRYPTO_KEY_BLOCK_AUTH'));
  });
});

/**
 * A version D block whose MAC is valid but whose payload is `payload` as given, built with the plain
 * AES primitives (X9.143 key derivation binding: MAC = CMAC(KBAK, header ‖ payload), AES-CBC(KBEK,
 * IV = MAC)). KBEK/KBAK come from deriveKeyBlockKeys, checked against TR-31:2018 A.7.4 in vectors.test.ts.
 */
function forgeD(headerText: string, payload: Uint8Array): string {
  const { kbek, kbak } = deriveKeyBlockKeys(D_KBPK, { version: 'D' });
  const mac = aesCmac(kbak, concat(Uint8Array.from(headerText, (c) => c.charCodeAt(0)), payload), { length: 16 });
  return headerText + toHex(aesCbcEncrypt(kbek, payload, { iv: mac })) + toHex(mac);
}

describe('TR-31 unwrap checks the authenticated key length field', () => {
  const head = (algorithm: string, payloadLength: number) => `D${String(16 + 2 * payloadLength + 32).padStart(4, '0')}D0${algorithm}B00E0000`;
  it('a well-formed forged block unwraps (the forging helper is right)', () => {
    const payload = concat(hex`0080`, hex`000102030405060708090A0B0C0D0E0F`, new Uint8Array(14));
    assert.equal(toHex(unwrapKeyBlock(D_KBPK, forgeD(head('A', 32), payload)).key), '000102030405060708090A0B0C0D0E0F');
  });
  const bad: [string, string, Uint8Array][] = [
    ['key length larger than the decrypted data', 'A', concat(hex`0400`, new Uint8Array(30))],
    ['key length 1 byte past the data', 'H', concat(hex`0100`, new Uint8Array(30))],
    ['key length zero', 'A', concat(hex`0000`, new Uint8Array(30))],
    ['key length not whole bytes', 'A', concat(hex`0081`, new Uint8Array(30))],
    ['an AES key of 20 bytes', 'A', concat(hex`00A0`, new Uint8Array(30))],
    ['a TDES key of 32 bytes', 'T', concat(hex`0100`, new Uint8Array(46))],
  ];
  for (const [label, algorithm, payload] of bad) {
    it(label, () => assert.throws(() => unwrapKeyBlock(D_KBPK, forgeD(head(algorithm, payload.length), payload)), code('ERR_CRYPTO_KEY_BLOCK')));
  }
});

const printableChar = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c));
const anyChar = fc.oneof(printableChar, fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)));

type Mutation = { kind: 'set'; at: number; ch: string } | { kind: 'insert'; at: number; ch: string } | { kind: 'delete'; at: number } | { kind: 'truncate'; at: number } | { kind: 'relength' };
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), ch: anyChar }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), ch: anyChar }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('relength' as const) }),
);

function mutate(block: string, m: Mutation): string {
  const at = 'at' in m ? m.at % (block.length + 1) : 0;
  switch (m.kind) {
    case 'set': return block.slice(0, at) + m.ch + block.slice(at + 1);
    case 'insert': return block.slice(0, at) + m.ch + block.slice(at);
    case 'delete': return block.slice(0, at) + block.slice(at + 1);
    case 'truncate': return block.slice(0, at);
    case 'relength': return block.length >= 5 ? fixLength(block) : block;
  }
}

describe('TR-31 unwrap fuzzing: a key or a CryptoError, nothing else', () => {
  const seeds: [Uint8Array, string][] = [[D_KBPK, D_BLOCK], [B_KBPK, B_BLOCK], [C_KBPK, C_BLOCK]];
  const wrapped = wrapKeyBlock(D_KBPK, fromHex('00112233445566778899AABBCCDDEEFF'), {
    header: { version: 'D', usage: 'E0', algorithm: 'T', modeOfUse: 'X', exportability: 'N', optionalBlocks: [{ id: 'LB', data: 'y'.repeat(270) }] },
  });
  seeds.push([D_KBPK, wrapped]);
  it('arbitrary strings', () => {
    fc.assert(fc.property(fc.string({ unit: anyChar, maxLength: 200 }), (s) => unwrapOrCryptoError(D_KBPK, s)), { numRuns: 2000 });
  });
  it('arbitrary strings that start like a header', () => {
    const prefix = fc.constantFrom('A', 'B', 'C', 'D').chain((v) => fc.constantFrom(`${v}0112P0AE00E0`, `${v}0096K0TB00N01`, `${v}0080`));
    fc.assert(fc.property(prefix, fc.string({ unit: printableChar, maxLength: 160 }), (p, s) => unwrapOrCryptoError(D_KBPK, p + s)), { numRuns: 2000 });
  });
  it('valid blocks with random mutations are refused unless unchanged', () => {
    fc.assert(fc.property(fc.constantFrom(...seeds), fc.array(mutation, { minLength: 1, maxLength: 4 }), ([kbpk, block], ms) => {
      const mutated = ms.reduce(mutate, block);
      if (mutated === block) return;
      assert.throws(() => unwrapKeyBlock(kbpk, mutated), (e: unknown) => e instanceof CryptoError && CODES.has(e.code));
    }), { numRuns: 3000 });
  });
  it('valid blocks under arbitrary KBPKs', () => {
    fc.assert(fc.property(fc.constantFrom(...seeds), fc.uint8Array({ maxLength: 40 }), ([, block], kbpk) => {
      assert.throws(() => unwrapKeyBlock(kbpk, block), (e: unknown) => e instanceof CryptoError && CODES.has(e.code));
    }), { numRuns: 500 });
  });
  it('parseKeyBlockHeader on arbitrary and mutated input', () => {
    fc.assert(fc.property(fc.constantFrom(...seeds), fc.array(mutation, { maxLength: 4 }), ([, block], ms) => {
      try {
        parseKeyBlockHeader(ms.reduce(mutate, block));
      } catch (e) {
        if (!(e instanceof CryptoError && e.code === 'ERR_CRYPTO_KEY_BLOCK')) throw e;
      }
    }), { numRuns: 2000 });
  });
});
