/**
 * Unit tests for emv/ beyond the published vectors: entry validation (every refusal a typed
 * EmvError with a stable code), the AES paths (against RFC 4493 values), detail-free failures, and
 * the few rules stated in the specs that no vector exercises (worked by hand in the comments).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OpenTsmError, fromHex, hex, toHex } from '../../src/bytes/index.ts';
import { aesEcbEncrypt, tdesEcbEncrypt } from '../../src/crypto/index.ts';
import {
  CVN_PROFILES,
  EMV_ERROR_CODES,
  EmvError,
  arqcDiversifier,
  assembleAcData,
  atcDiversifier,
  buildScriptCommand,
  decodePinBlock,
  decryptScriptData,
  deriveCommonSessionKey,
  deriveCommonSessionKeyAes,
  deriveEmv2000TreeSessionKey,
  deriveIccMasterKeyOptionA,
  deriveIccMasterKeyOptionB,
  deriveVisaSmSessionKey,
  encodePinBlock,
  encodePinFieldIso4,
  encryptScriptData,
  generateAc,
  generateArpcMethod1,
  generateArpcMethod2,
  generateScriptMac,
  mastercardDiversifier,
  panField,
  scriptMacInput,
  verifyAc,
  verifyScriptMac,
  withOddParity,
  type EmvErrorCode,
} from '../../src/emv/index.ts';
import { loadVectors } from '../helpers/vectors.ts';

/** `fn` must throw an EmvError with `code`. */
function throwsCode(fn: () => unknown, code: EmvErrorCode): EmvError {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown instanceof EmvError, `expected EmvError ${code}, got ${String(thrown)}`);
  assert.equal(thrown.code, code);
  return thrown;
}

const K16 = fromHex('0123456789ABCDEFFEDCBA9876543210');
const ATC = hex`001C`;
const ARQC = hex`1234567890ABCDEF`;

describe('EmvError', () => {
  it('is an OpenTsmError; every code is ERR_EMV_-prefixed and unique', () => {
    assert.ok(new EmvError('ERR_EMV_KEY', 'x') instanceof OpenTsmError);
    assert.equal(new EmvError('ERR_EMV_KEY', 'x').name, 'EmvError');
    assert.ok(EMV_ERROR_CODES.every((c) => c.startsWith('ERR_EMV_')));
    assert.equal(new Set(EMV_ERROR_CODES).size, EMV_ERROR_CODES.length);
  });
});

describe('key derivation: entry checks', () => {
  it('refuses bad IMKs, PANs and PSNs with typed codes', () => {
    throwsCode(() => deriveIccMasterKeyOptionA(new Uint8Array(8), '1234567890123456', '00'), 'ERR_EMV_KEY');
    throwsCode(() => deriveIccMasterKeyOptionA(K16, '1234567', '00'), 'ERR_EMV_PAN');
    throwsCode(() => deriveIccMasterKeyOptionA(K16, '12345678901234567890', '00'), 'ERR_EMV_PAN');
    throwsCode(() => deriveIccMasterKeyOptionB(K16, '1234 5678 9012 3456', '00'), 'ERR_EMV_PAN');
    throwsCode(() => deriveIccMasterKeyOptionA(K16, '1234567890123456', '1'), 'ERR_EMV_PSN');
    throwsCode(() => deriveIccMasterKeyOptionA(K16, '1234567890123456', 'AB'), 'ERR_EMV_PSN');
    throwsCode(() => deriveIccMasterKeyOptionA(K16, 1234567890123456 as unknown as string, '00'), 'ERR_EMV_PAN');
  });

  it('EMV Book 2 A1.4.1: an absent PSN is the same as PSN 00', () => {
    assert.deepEqual(deriveIccMasterKeyOptionA(K16, '1234567890123456', null), deriveIccMasterKeyOptionA(K16, '1234567890123456', '00'));
  });

  it('session keys refuse bad master keys, R, ATC, UN and tree shapes', () => {
    throwsCode(() => deriveCommonSessionKey(new Uint8Array(24), new Uint8Array(8)), 'ERR_EMV_KEY');
    throwsCode(() => deriveCommonSessionKey(K16, new Uint8Array(16)), 'ERR_EMV_INPUT');
    throwsCode(() => deriveVisaSmSessionKey(K16, hex`01`), 'ERR_EMV_INPUT');
    throwsCode(() => mastercardDiversifier(ATC, hex`010203`), 'ERR_EMV_INPUT');
    throwsCode(() => atcDiversifier(ATC, 12 as 8), 'ERR_EMV_PARAM');
    const iv = new Uint8Array(16);
    throwsCode(() => deriveEmv2000TreeSessionKey(K16, ATC, { branchFactor: 2, height: 8, iv }), 'ERR_EMV_PARAM'); // 2^8 < 2^16 leaves
    throwsCode(() => deriveEmv2000TreeSessionKey(K16, ATC, { branchFactor: 1, height: 16, iv }), 'ERR_EMV_PARAM');
    throwsCode(() => deriveEmv2000TreeSessionKey(K16, ATC, { branchFactor: 4, height: 8, iv: new Uint8Array(8) }), 'ERR_EMV_INPUT');
  });

  it('diversifiers have the layouts of EMV Book 2 A1.3.1 and the Mastercard SKD', () => {
    assert.equal(toHex(atcDiversifier(ATC, 8)), '001C000000000000');
    assert.equal(toHex(atcDiversifier(ATC, 16)), '001C0000000000000000000000000000');
    assert.equal(toHex(arqcDiversifier(ARQC, 8)), '1234567890ABCDEF');
    assert.equal(toHex(arqcDiversifier(ARQC, 16)), '1234567890ABCDEF0000000000000000');
    assert.equal(toHex(mastercardDiversifier(ATC, hex`ABCDEF12`)), '001C0000ABCDEF12');
  });

  it('odd parity: every output byte has an odd number of one bits, only the low bit changes', () => {
    const raw = Uint8Array.from({ length: 256 }, (_, i) => i);
    const adjusted = withOddParity(raw);
    adjusted.forEach((b, i) => {
      assert.equal([...b.toString(2)].filter((c) => c === '1').length % 2, 1);
      assert.equal(b & 0xfe, i & 0xfe);
    });
  });
});

describe('AES (no EMV vector in test/vectors: checked against RFC 4493 and the A1.3.1 construction)', () => {
  const rfc = loadVectors<{ vectors: { id: string; key: string; message: string; expected_cmac: string }[] }>('crypto/rfc4493-aes-cmac.json');
  for (const v of rfc.vectors) {
    it(`AES cryptogram = AES-CMAC truncated to 8 bytes: ${v.id}`, () => {
      const ac = generateAc(fromHex(v.key), fromHex(v.message), { cipher: 'aes' });
      assert.equal(toHex(ac), v.expected_cmac.slice(0, 16));
      assert.equal(verifyAc(fromHex(v.key), fromHex(v.message), fromHex(v.expected_cmac.slice(0, 16)), { cipher: 'aes' }), true);
    });
  }

  it('AES common session key: one block for AES-128, F1/F2 truncated for AES-192/256', () => {
    const r = atcDiversifier(ATC, 16);
    const k128 = fromHex('2B7E151628AED2A6ABF7158809CF4F3C');
    assert.deepEqual(deriveCommonSessionKeyAes(k128, r), aesEcbEncrypt(k128, r));
    const k256 = new Uint8Array(32).fill(7);
    const f1 = r.slice();
    f1[2] = 0xf0;
    const f2 = r.slice();
    f2[2] = 0x0f;
    const expected = new Uint8Array([...aesEcbEncrypt(k256, f1), ...aesEcbEncrypt(k256, f2)]);
    assert.deepEqual(deriveCommonSessionKeyAes(k256, r), expected);
    assert.deepEqual(deriveCommonSessionKeyAes(k256.subarray(0, 24), r), new Uint8Array([...aesEcbEncrypt(k256.subarray(0, 24), f1), ...aesEcbEncrypt(k256.subarray(0, 24), f2)]).subarray(0, 24));
    throwsCode(() => deriveCommonSessionKeyAes(k128, new Uint8Array(8)), 'ERR_EMV_INPUT');
  });
});

describe('cryptograms and ARPC: entry checks and detail-free verification', () => {
  it('refuses a bad algorithm, key or padding; verify is false for any wrong received value', () => {
    throwsCode(() => generateAc(K16, new Uint8Array(8), { cipher: 'des' } as never), 'ERR_EMV_PARAM');
    throwsCode(() => generateAc(K16, new Uint8Array(8), { cipher: 'tdes', padding: 3 } as never), 'ERR_EMV_PARAM');
    throwsCode(() => generateAc(K16, new Uint8Array(8), null as never), 'ERR_EMV_PARAM');
    throwsCode(() => generateAc(new Uint8Array(8), new Uint8Array(8), { cipher: 'tdes', padding: 2 }), 'ERR_EMV_KEY');
    throwsCode(() => generateAc(K16, 'data' as never, { cipher: 'tdes', padding: 2 }), 'ERR_EMV_INPUT');
    const ac = generateAc(K16, new Uint8Array(8), { cipher: 'tdes', padding: 2 });
    assert.equal(verifyAc(K16, new Uint8Array(8), ac.subarray(0, 4), { cipher: 'tdes', padding: 2 }), false);
    assert.equal(verifyAc(K16, new Uint8Array(8), new Uint8Array(0), { cipher: 'tdes', padding: 2 }), false);
  });

  it('ARPC inputs are length-checked', () => {
    throwsCode(() => generateArpcMethod1(K16, ARQC, hex`00`), 'ERR_EMV_INPUT');
    throwsCode(() => generateArpcMethod1(K16, hex`00`, hex`0000`), 'ERR_EMV_INPUT');
    throwsCode(() => generateArpcMethod2(K16, ARQC, hex`000000`, new Uint8Array(0)), 'ERR_EMV_INPUT');
    throwsCode(() => generateArpcMethod2(K16, ARQC, hex`00000000`, new Uint8Array(9)), 'ERR_EMV_INPUT');
    throwsCode(() => generateArpcMethod2(K16, ARQC, hex`00000000`, null as never), 'ERR_EMV_INPUT');
  });
});

describe('issuer script secure messaging', () => {
  it('builds CLA INS P1 P2 Lc [ATC ARQC] data with Lc counting the MAC, and the sent command', () => {
    const input = scriptMacInput({ header: hex`84240002`, data: hex`1122334455667788`, macLength: 4, transactionData: { atc: ATC, arqc: ARQC } });
    assert.equal(toHex(input), '842400020C001C1234567890ABCDEF1122334455667788');
    const mac = generateScriptMac(K16, input, { length: 4 });
    assert.equal(mac.length, 4);
    assert.equal(verifyScriptMac(K16, input, mac), true);
    assert.equal(verifyScriptMac(K16, input, new Uint8Array(3)), false);
    assert.equal(toHex(buildScriptCommand(hex`84240002`, hex`1122334455667788`, mac)), `842400020C1122334455667788${toHex(mac)}`);
  });

  it('refuses bad headers, MAC lengths and an Lc over 255', () => {
    throwsCode(() => scriptMacInput({ header: hex`842400`, data: new Uint8Array(0), macLength: 8, transactionData: null }), 'ERR_EMV_INPUT');
    throwsCode(() => scriptMacInput({ header: hex`84240002`, data: new Uint8Array(0), macLength: 3, transactionData: null }), 'ERR_EMV_PARAM');
    throwsCode(() => scriptMacInput({ header: hex`84240002`, data: new Uint8Array(250), macLength: 8, transactionData: null }), 'ERR_EMV_INPUT');
    throwsCode(() => scriptMacInput({ header: hex`84240002`, data: new Uint8Array(0), macLength: 8, transactionData: undefined as never }), 'ERR_EMV_INPUT');
    throwsCode(() => generateScriptMac(K16, new Uint8Array(5), { length: 9 }), 'ERR_EMV_PARAM');
    throwsCode(() => buildScriptCommand(hex`84240002`, new Uint8Array(0), new Uint8Array(9)), 'ERR_EMV_INPUT');
  });

  it('decryption failures are one fixed message whatever failed', () => {
    const good = encryptScriptData(K16, hex`249999FFFFFFFFFF`, { scheme: 'emv' });
    const messages = new Set<string>();
    for (const scheme of ['emv', 'visa'] as const) {
      // A wrong key garbles the padding (and Visa's length byte).
      const bad = encryptScriptData(K16, hex`249999FFFFFFFFFF`, { scheme });
      const e = throwsCode(() => decryptScriptData(fromHex('FEDCBA98765432100123456789ABCDEF'), bad, { scheme }), 'ERR_EMV_SCRIPT_DATA');
      messages.add(e.message);
    }
    // Visa: a well-padded plaintext whose length byte is wrong.
    const wrongLength = tdesEcbEncrypt(K16, hex`09 249999FFFFFFFFFF 80 000000000000`);
    messages.add(throwsCode(() => decryptScriptData(K16, wrongLength, { scheme: 'visa' }), 'ERR_EMV_SCRIPT_DATA').message);
    assert.equal(messages.size, 1);
    assert.equal(toHex(decryptScriptData(K16, good, { scheme: 'emv' })), '249999FFFFFFFFFF');
    throwsCode(() => decryptScriptData(K16, new Uint8Array(7), { scheme: 'emv' }), 'ERR_EMV_SCRIPT_DATA');
    throwsCode(() => encryptScriptData(K16, new Uint8Array(8), { scheme: 'amex' as never }), 'ERR_EMV_PARAM');
  });
});

describe('ISO 9564-1 PIN blocks', () => {
  it('refuses PINs outside 4–12 digits and unknown formats', () => {
    for (const pin of ['123', '1234567890123', '12a4', '', ' 1234']) throwsCode(() => encodePinBlock(pin, { format: 2 }), 'ERR_EMV_PIN');
    throwsCode(() => encodePinBlock('1234', { format: 4 } as never), 'ERR_EMV_PARAM');
    throwsCode(() => decodePinBlock(new Uint8Array(16), { format: 2 }), 'ERR_EMV_INPUT');
  });

  it('format 0/3 PAN field: 12 rightmost digits without the check digit, zero-padded on the left (§9.1.2)', () => {
    // By hand: PAN 4111111111111111 → without check digit 411111111111111 → rightmost 12 111111111111.
    assert.equal(toHex(panField('4111111111111111')), '0000111111111111');
    // PAN 123456789 (9 digits) → 12345678 → 000012345678.
    assert.equal(toHex(panField('123456789')), '0000000012345678');
  });

  it('format 1: any fill nibble decodes; the control nibble and length are checked', () => {
    const block = encodePinBlock('1234', { format: 1, random: (n) => new Uint8Array(n).fill(0x3c) });
    assert.equal(toHex(block), '141234CCCCCCCCCC');
    assert.equal(decodePinBlock(block, { format: 1 }), '1234');
    throwsCode(() => decodePinBlock(hex`141234CCCCCCCCCC`, { format: 2 }), 'ERR_EMV_PIN_BLOCK');
    throwsCode(() => decodePinBlock(hex`131234CCCCCCCCCC`, { format: 1 }), 'ERR_EMV_PIN_BLOCK'); // length 3
    throwsCode(() => decodePinBlock(hex`1412A4CCCCCCCCCC`, { format: 1 }), 'ERR_EMV_PIN_BLOCK'); // non-digit
  });

  it('decode failures say nothing about what failed', () => {
    const control = throwsCode(() => decodePinBlock(hex`341234FFFFFFFFFF`, { format: 2 }), 'ERR_EMV_PIN_BLOCK');
    const fill = throwsCode(() => decodePinBlock(hex`241234FFFFFFFFFE`, { format: 2 }), 'ERR_EMV_PIN_BLOCK');
    const digit = throwsCode(() => decodePinBlock(hex`24123AFFFFFFFFFF`, { format: 2 }), 'ERR_EMV_PIN_BLOCK');
    assert.equal(control.message, fill.message);
    assert.equal(fill.message, digit.message);
  });

  it('format 3 fill rejects 0–9 fill; a source with no usable fill ends in ERR_EMV_RANDOM, not a hang', () => {
    throwsCode(() => decodePinBlock(hex`341234AAAAAAAAA9`, { format: 3, pan: '0000000000000' }), 'ERR_EMV_PIN_BLOCK');
    throwsCode(() => encodePinBlock('1234', { format: 3, pan: '4111111111111111', random: (n) => new Uint8Array(n).fill(0xff) }), 'ERR_EMV_RANDOM');
    throwsCode(() => encodePinBlock('1234', { format: 1, random: () => new Uint8Array(2) }), 'ERR_EMV_RANDOM');
    throwsCode(() => encodePinFieldIso4('1234', { random: () => 'random' as never }), 'ERR_EMV_RANDOM');
  });

  it('the default random source is the CSPRNG: two format 4 PIN fields differ in their random half', () => {
    const a = encodePinFieldIso4('1234');
    const b = encodePinFieldIso4('1234');
    assert.equal(toHex(a.subarray(0, 8)), '441234AAAAAAAAAA');
    assert.notEqual(toHex(a.subarray(8)), toHex(b.subarray(8)));
  });
});

describe('CVN profiles', () => {
  it('assembleAcData checks presence and length of each element', () => {
    const profile = CVN_PROFILES['visa-10'];
    const values = Object.fromEntries(profile.acData.map((e) => [e.id, new Uint8Array(e.length ?? 7)]));
    assert.equal(assembleAcData(profile, values).length, 37);
    throwsCode(() => assembleAcData(profile, { ...values, CVR: new Uint8Array(5) }), 'ERR_EMV_INPUT');
    const { CVR: _cvr, ...missing } = values;
    throwsCode(() => assembleAcData(profile, missing), 'ERR_EMV_INPUT');
    throwsCode(() => assembleAcData(null as never, values), 'ERR_EMV_PARAM');
  });
});
