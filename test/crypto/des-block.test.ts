/**
 * The table-driven DES of src/crypto/des-block.ts: the published NBS/NIST known-answer tables, then
 * property tests against node:crypto (OpenSSL) for random keys and data, through des-block.ts
 * directly and through the des.ts / iso9797-mac.ts functions on both sides of the node:crypto
 * crossover.
 *
 * The tables live in this file rather than test/vectors/crypto/ because this change may only add
 * this file; each table names its source.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromHex, toHex } from '../../src/bytes/index.ts';
import { cbcDecryptBlocks, cbcEncryptBlocks, cbcMacBlocks, ecbBlocks, tdesSchedule } from '../../src/crypto/des-block.ts';
import { TDES_JS_MAX_BYTES } from '../../src/crypto/des.ts';
import {
  CryptoError,
  RetailMac,
  cbcMacDes,
  desCbcEncrypt,
  desEcbDecrypt,
  desEcbEncrypt,
  retailMac,
  tdesCbcDecrypt,
  tdesCbcEncrypt,
  tdesEcbDecrypt,
  tdesEcbEncrypt,
} from '../../src/crypto/index.ts';

const SOURCE =
  'NIST SP 800-20 (TMOVS, Oct. 1999) Appendix A, which reproduces the tables of NBS SP 500-20 ' +
  '"Validating the Correctness of Hardware Implementations of the NBS Data Encryption Standard" (1977/1980)';

// SP 800-20 Table A.1, variable plaintext known answer test: key 0101…01, plaintext = bit i set
// (i = 1..64 from the left); these are the ciphertexts in order.
const TABLE_A1 = [
  '95F8A5E5DD31D900', 'DD7F121CA5015619', '2E8653104F3834EA', '4BD388FF6CD81D4F', '20B9E767B2FB1456', '55579380D77138EF', '6CC5DEFAAF04512F', '0D9F279BA5D87260',
  'D9031B0271BD5A0A', '424250B37C3DD951', 'B8061B7ECD9A21E5', 'F15D0F286B65BD28', 'ADD0CC8D6E5DEBA1', 'E6D5F82752AD63D1', 'ECBFE3BD3F591A5E', 'F356834379D165CD',
  '2B9F982F20037FA9', '889DE068A16F0BE6', 'E19E275D846A1298', '329A8ED523D71AEC', 'E7FCE22557D23C97', '12A9F5817FF2D65D', 'A484C3AD38DC9C19', 'FBE00A8A1EF8AD72',
  '750D079407521363', '64FEED9C724C2FAF', 'F02B263B328E2B60', '9D64555A9A10B852', 'D106FF0BED5255D7', 'E1652C6B138C64A5', 'E428581186EC8F46', 'AEB5F5EDE22D1A36',
  'E943D7568AEC0C5C', 'DF98C8276F54B04B', 'B160E4680F6C696F', 'FA0752B07D9C4AB8', 'CA3A2B036DBC8502', '5E0905517BB59BCF', '814EEB3B91D90726', '4D49DB1532919C9F',
  '25EB5FC3F8CF0621', 'AB6A20C0620D1C6F', '79E90DBC98F92CCA', '866ECEDD8072BB0E', '8B54536F2F3E64A8', 'EA51D3975595B86B', 'CAFFC6AC4542DE31', '8DD45A2DDF90796C',
  '1029D55E880EC2D0', '5D86CB23639DBEA9', '1D1CA853AE7C0C5F', 'CE332329248F3228', '8405D1ABE24FB942', 'E643D78090CA4207', '48221B9937748A23', 'DD7C0BBD61FAFD54',
  '2FBC291A570DB5C4', 'E07C30D7E4E26E12', '0953E2258E8E90A1', '5B711BC4CEEBF2EE', 'CC083F1E6D9E85F6', 'D2FD8867D50D2DFE', '06E7EA22CE92708F', '166B40B44ABA4BD6',
];

// SP 800-20 Table A.2, variable key known answer test: plaintext 0, key = key bit i set for each of
// the 56 non-parity bits (other bytes 01, odd parity); the ciphertexts in order.
const TABLE_A2 = [
  '95A8D72813DAA94D', '0EEC1487DD8C26D5', '7AD16FFB79C45926', 'D3746294CA6A6CF3', '809F5F873C1FD761', 'C02FAFFEC989D1FC', '4615AA1D33E72F10',
  '2055123350C00858', 'DF3B99D6577397C8', '31FE17369B5288C9', 'DFDD3CC64DAE1642', '178C83CE2B399D94', '50F636324A9B7F80', 'A8468EE3BC18F06D',
  'A2DC9E92FD3CDE92', 'CAC09F797D031287', '90BA680B22AEB525', 'CE7A24F350E280B6', '882BFF0AA01A0B87', '25610288924511C2', 'C71516C29C75D170',
  '5199C29A52C9F059', 'C22F0A294A71F29F', 'EE371483714C02EA', 'A81FBD448F9E522F', '4F644C92E192DFED', '1AFA9A66A6DF92AE', 'B3C1CC715CB879D8',
  '19D032E64AB0BD8B', '3CFAA7A7DC8720DC', 'B7265F7F447AC6F3', '9DB73B3C0D163F54', '8181B65BABF4A975', '93C9B64042EAA240', '5570530829705592',
  '8638809E878787A0', '41B9A79AF79AC208', '7A9BE42F2009A892', '29038D56BA6D2745', '5495C6ABF1E5DF51', 'AE13DBD561488933', '024D1FFA8904E389',
  'D1399712F99BF02E', '14C1D7C1CFFEC79E', '1DE5279DAE3BED6F', 'E941A33F85501303', 'DA99DBBC9A03F379', 'B7FC92F91D8E92E9', 'AE8E5CAA3CA04E85',
  '9CC62DF43B6EED74', 'D863DBB5C59A91A0', 'A1AB2190545B91D7', '0875041E64C570F7', '5A594528BEBEF1CC', 'FCDB3291DE21F0C0', '869EFD7F9F265A09',
];

// SP 800-20 Table A.3, permutation operation known answer test: plaintext 0; [key, ciphertext].
const TABLE_A3 = [
  ['1046913489980131', '88D55E54F54C97B4'], ['1007103489988020', '0C0CC00C83EA48FD'], ['10071034C8980120', '83BC8EF3A6570183'],
  ['1046103489988020', 'DF725DCAD94EA2E9'], ['1086911519190101', 'E652B53B550BE8B0'], ['1086911519580101', 'AF527120C485CBB0'],
  ['5107B01519580101', '0F04CE393DB926D5'], ['1007B01519190101', 'C9F00FFC74079067'], ['3107915498080101', '7CFD82A593252B4E'],
  ['3107919498080101', 'CB49A2F9E91363E3'], ['10079115B9080140', '00B588BE70D23F56'], ['3107911598090140', '406A9A6AB43399AE'],
  ['1007D01589980101', '6CB773611DCA9ADA'], ['9107911589980101', '67FD21C17DBB5D70'], ['9107D01589190101', '9592CB4110430787'],
  ['1007D01598980120', 'A6B7FF68A318DDD3'], ['1007940498190101', '4D102196C914CA16'], ['0107910491190401', '2DFA9F4573594965'],
  ['0107910491190101', 'B46604816C0E0774'], ['0107940491190401', '6E7E6221A4F34E87'], ['19079210981A0101', 'AA85E74643233199'],
  ['1007911998190801', '2E5A19DB4D1962D6'], ['10079119981A0801', '23A866A809D30894'], ['1007921098190101', 'D812D961F017D320'],
  ['100791159819010B', '055605816E58608F'], ['1004801598190101', 'ABD88E8B1B7716F1'], ['1004801598190102', '537AC95BE69DA1E1'],
  ['1004801598190108', 'AED0F6AE3C25CDD8'], ['1002911598100104', 'B3E35A5EE53E7B8D'], ['1002911598190104', '61C79C71921A2EF8'],
  ['1002911598100201', 'E2F5728F0995013C'], ['1002911698100101', '1AEAC39A61F0A464'],
] as const;

// SP 800-20 Table A.4, substitution table known answer test: [key, plaintext, ciphertext].
const TABLE_A4 = [
  ['7CA110454A1A6E57', '01A1D6D039776742', '690F5B0D9A26939B'], ['0131D9619DC1376E', '5CD54CA83DEF57DA', '7A389D10354BD271'],
  ['07A1133E4A0B2686', '0248D43806F67172', '868EBB51CAB4599A'], ['3849674C2602319E', '51454B582DDF440A', '7178876E01F19B2A'],
  ['04B915BA43FEB5B6', '42FD443059577FA2', 'AF37FB421F8C4095'], ['0113B970FD34F2CE', '059B5E0851CF143A', '86A560F10EC6D85B'],
  ['0170F175468FB5E6', '0756D8E0774761D2', '0CD3DA020021DC09'], ['43297FAD38E373FE', '762514B829BF486A', 'EA676B2CB7DB2B7A'],
  ['07A7137045DA2A16', '3BDD119049372802', 'DFD64A815CAF1A0F'], ['04689104C2FD3B2F', '26955F6835AF609A', '5C513C9C4886C088'],
  ['37D06BB516CB7546', '164D5E404F275232', '0A2AEEAE3FF4AB77'], ['1F08260D1AC2465E', '6B056E18759F5CCA', 'EF1BF03E5DFA575A'],
  ['584023641ABA6176', '004BD6EF09176062', '88BF0DB6D70DEE56'], ['025816164629B007', '480D39006EE762F2', 'A1F9915541020B56'],
  ['49793EBC79B3258F', '437540C8698F3CFA', '6FBF1CAFCFFD0556'], ['4FB05E1515AB73A7', '072D43A077075292', '2F22E49BAB7CA1AC'],
  ['49E95D6D4CA229BF', '02FE55778117F12A', '5A6B612CC26CCE4A'], ['018310DC409B26D6', '1D9D5C5018F728C2', '5F4C038ED12B2E41'],
  ['1C587F1C13924FEF', '305532286D6F295A', '63FAC0D034D9F793'],
] as const;

/** The 8-byte block with only bit `i` (0-based from the left) set. */
function bit(i: number): Uint8Array {
  const b = new Uint8Array(8);
  b[i >>> 3] = 0x80 >>> (i & 7);
  return b;
}

/** SP 800-20 Table A.2's key i: non-parity key bit i set, every other byte 01. */
function keyBit(i: number): Uint8Array {
  const k = new Uint8Array(8).fill(0x01);
  k[Math.floor(i / 7)] = 0x80 >>> (i % 7);
  return k;
}

/** Encrypts and decrypts one block through des-block.ts with an 8-byte key; checks both ways. */
function checkDes(key: Uint8Array, pt: Uint8Array, ct: string): void {
  const enc = tdesSchedule(key, false);
  const dec = tdesSchedule(key, true);
  assert.equal(toHex(ecbBlocks(enc, pt)), ct);
  assert.equal(toHex(ecbBlocks(dec, fromHex(ct))), toHex(pt));
  // the public single-DES functions give the same
  assert.equal(toHex(desEcbEncrypt(key, pt)), ct);
  assert.equal(toHex(desEcbDecrypt(key, fromHex(ct))), toHex(pt));
}

describe(`DES known answers: ${SOURCE}`, () => {
  it('the tables have the published sizes', () => {
    assert.deepEqual([TABLE_A1.length, TABLE_A2.length, TABLE_A3.length, TABLE_A4.length], [64, 56, 32, 19]);
  });
  it('Table A.1: variable plaintext (64 cases)', () => {
    TABLE_A1.forEach((ct, i) => checkDes(fromHex('0101010101010101'), bit(i), ct));
  });
  it('Table A.1 read backwards: key 0101…01 gives all-zero subkeys, so encrypting each ciphertext gives its plaintext', () => {
    TABLE_A1.forEach((ct, i) => assert.equal(toHex(ecbBlocks(tdesSchedule(fromHex('0101010101010101'), false), fromHex(ct))), toHex(bit(i))));
  });
  it('Table A.2: variable key (56 cases)', () => {
    TABLE_A2.forEach((ct, i) => checkDes(keyBit(i), new Uint8Array(8), ct));
  });
  it('Table A.3: permutation operation (32 cases)', () => {
    for (const [key, ct] of TABLE_A3) checkDes(fromHex(key), new Uint8Array(8), ct);
  });
  it('Table A.4: substitution table (19 cases)', () => {
    for (const [key, pt, ct] of TABLE_A4) checkDes(fromHex(key), fromHex(pt), ct);
  });
  it('parity bits are ignored: flipping the low bit of every key byte changes nothing', () => {
    for (const [key, pt, ct] of TABLE_A4) {
      const k = fromHex(key).map((b) => b ^ 1);
      checkDes(k, fromHex(pt), ct);
    }
  });
});

// — against node:crypto (OpenSSL), an independent implementation —

function nodeKey24(key: Uint8Array): Buffer {
  if (key.length === 8) return Buffer.concat([key, key, key]); // single DES = EDE3 with K1 = K2 = K3
  if (key.length === 16) return Buffer.concat([key, key.subarray(0, 8)]);
  return Buffer.from(key);
}

function openssl(mode: 'ecb' | 'cbc', key: Uint8Array, iv: Uint8Array | null, data: Uint8Array, decrypt: boolean): string {
  const name = key.length === 16 && mode === 'ecb' ? 'des-ede-ecb' : `des-ede3-${mode}`;
  const k = name === 'des-ede-ecb' ? Buffer.from(key) : nodeKey24(key);
  const c = decrypt ? createDecipheriv(name, k, iv) : createCipheriv(name, k, iv);
  c.setAutoPadding(false);
  return toHex(new Uint8Array(Buffer.concat([c.update(data), c.final()])));
}

const desKey = fc.constantFrom(8, 16, 24).chain((n) => fc.uint8Array({ minLength: n, maxLength: n }));
const blocks = (max: number): fc.Arbitrary<Uint8Array> =>
  fc.integer({ min: 0, max }).chain((n) => fc.uint8Array({ minLength: 8 * n, maxLength: 8 * n }));
const iv8 = fc.uint8Array({ minLength: 8, maxLength: 8 });
const RUNS = { numRuns: 2000 };

describe('des-block.ts equals node:crypto des-ede3 / des-ede (random keys, 1–3 keys, thousands of cases)', () => {
  it('ECB encrypt and decrypt, one block', () => {
    fc.assert(
      fc.property(desKey, fc.uint8Array({ minLength: 8, maxLength: 8 }), (key, block) => {
        assert.equal(toHex(ecbBlocks(tdesSchedule(key, false), block)), openssl('ecb', key, null, block, false));
        assert.equal(toHex(ecbBlocks(tdesSchedule(key, true), block)), openssl('ecb', key, null, block, true));
      }),
      { numRuns: 4000 },
    );
  });
  it('ECB and CBC over several blocks', () => {
    fc.assert(
      fc.property(desKey, blocks(8), iv8, (key, data, iv) => {
        assert.equal(toHex(ecbBlocks(tdesSchedule(key, false), data)), openssl('ecb', key, null, data, false));
        assert.equal(toHex(ecbBlocks(tdesSchedule(key, true), data)), openssl('ecb', key, null, data, true));
        assert.equal(toHex(cbcEncryptBlocks(tdesSchedule(key, false), iv, data)), openssl('cbc', key, iv, data, false));
        assert.equal(toHex(cbcDecryptBlocks(tdesSchedule(key, true), iv, data)), openssl('cbc', key, iv, data, true));
      }),
      RUNS,
    );
  });
  it('the CBC-MAC chain is the last CBC block; with 1 then 3 passes it is the retail MAC', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), blocks(8).filter((b) => b.length > 0), iv8, (key, data, iv) => {
        const ks = tdesSchedule(key, false);
        assert.equal(toHex(cbcMacBlocks(ks, 3, 3, iv, data)), openssl('cbc', key, iv, data, false).slice(-16));
        // ISO 9797-1 alg 3 = DES-CBC under K, then E_K(D_K'(·)) on the last block
        const k1 = key.subarray(0, 8);
        const chain = fromHex(openssl('cbc', k1, iv, data, false).slice(-16));
        const out = fromHex(openssl('ecb', key.subarray(8), null, chain, true));
        assert.equal(toHex(cbcMacBlocks(ks, 1, 3, iv, data)), openssl('ecb', k1, null, out, false));
      }),
      RUNS,
    );
  });
});

describe('des.ts and iso9797-mac.ts on both sides of the node:crypto crossover', () => {
  const around = fc.constantFrom(1, TDES_JS_MAX_BYTES / 8 - 1, TDES_JS_MAX_BYTES / 8, TDES_JS_MAX_BYTES / 8 + 1, TDES_JS_MAX_BYTES / 4);
  const data = around.chain((n) => fc.uint8Array({ minLength: 8 * n, maxLength: 8 * n }));
  it('tdes/des ECB and CBC equal OpenSSL', () => {
    fc.assert(
      fc.property(desKey, data, iv8, (key, d, iv) => {
        assert.equal(toHex(tdesEcbEncrypt(key, d)), openssl('ecb', key, null, d, false));
        assert.equal(toHex(tdesEcbDecrypt(key, d)), openssl('ecb', key, null, d, true));
        assert.equal(toHex(tdesCbcEncrypt(key, d, { iv })), openssl('cbc', key, iv, d, false));
        assert.equal(toHex(tdesCbcDecrypt(key, d, { iv })), openssl('cbc', key, iv, d, true));
        if (key.length === 8) assert.equal(toHex(desCbcEncrypt(key, d, { iv })), openssl('cbc', key, iv, d, false));
      }),
      { numRuns: 300 },
    );
  });
  it('cbcMacDes (MAC algorithm 1) is the truncated last CBC block', () => {
    fc.assert(
      fc.property(desKey, data, iv8, fc.integer({ min: 4, max: 8 }), (key, d, iv, length) => {
        const expected = openssl('cbc', key, iv, d, false).slice(-16).slice(0, 2 * length);
        assert.equal(toHex(cbcMacDes(key, d, { padding: 1, length, iv })), expected);
      }),
      { numRuns: 300 },
    );
  });
  it('RetailMac and retailMac agree, and a destroyed RetailMac refuses to MAC', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ maxLength: 100 }), (key, d) => {
        const m = new RetailMac(key);
        const a = m.mac(d, { padding: 2, length: 8 });
        m.destroy();
        assert.equal(toHex(a), toHex(retailMac(key, d, { padding: 2, length: 8 })));
        assert.throws(() => m.mac(d, { padding: 2, length: 8 }), (e: unknown) => e instanceof CryptoError && e.code === 'ERR_CRYPTO_PARAM');
      }),
      { numRuns: 300 },
    );
  });
  it('errors are unchanged: no implicit padding, key and IV lengths checked', () => {
    const code = (c: string) => (e: unknown) => e instanceof CryptoError && e.code === c;
    assert.throws(() => tdesEcbEncrypt(new Uint8Array(16), new Uint8Array(7)), code('ERR_CRYPTO_INPUT'));
    assert.throws(() => tdesEcbEncrypt(new Uint8Array(15), new Uint8Array(8)), code('ERR_CRYPTO_KEY'));
    assert.throws(() => tdesCbcEncrypt(new Uint8Array(16), new Uint8Array(8), { iv: new Uint8Array(7) }), code('ERR_CRYPTO_KEY'));
    assert.throws(() => desEcbEncrypt(new Uint8Array(16), new Uint8Array(8)), code('ERR_CRYPTO_KEY'));
    assert.throws(() => cbcMacDes(new Uint8Array(12), new Uint8Array(8), { padding: 1, length: 8 }), code('ERR_CRYPTO_KEY'));
    assert.throws(() => new RetailMac(new Uint8Array(24)), code('ERR_CRYPTO_KEY'));
    assert.equal(tdesEcbEncrypt(new Uint8Array(16), new Uint8Array(0)).length, 0);
  });
});
