/**
 * SPI and KIc/KID codings (ETSI TS 102 225 §5.1.1–§5.1.3) against hand-written values, the PoR
 * status table, refusals (DS, implicit/proprietary algorithms, reserved bits, wrong key lengths),
 * the unsecured error PoR and the counter rules.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex } from '../../src/bytes/index.ts';
import {
  OtaError,
  POR_STATUS,
  buildCommandPacket,
  checkCounter,
  encodeKeyId,
  encodeSpi,
  parseKeyId,
  parseCommandHeader,
  parseSpi,
  porWanted,
  spi,
  unwrapResponsePacket,
  type OtaErrorCode,
} from '../../src/ota/index.ts';

const isOta = (code: OtaErrorCode, porStatus?: number) => (e: unknown) =>
  e instanceof OtaError && e.code === code && (porStatus === undefined || e.porStatus === porStatus);

describe('SPI', () => {
  it('1639: CC, ciphered, counter higher; PoR required, CC, ciphered, via SMS-SUBMIT', () => {
    assert.deepEqual(parseSpi(fromHex('1639')), {
      kind: 'spi', rcCcDs: 'cc', ciphered: true, counter: 'higher', por: 'required', porRcCcDs: 'cc', porCiphered: true, porVia: 'submit',
    });
  });
  it('1221: CC, counter higher; PoR required, plain, via SMS-SUBMIT', () => {
    assert.deepEqual(parseSpi(fromHex('1221')), {
      kind: 'spi', rcCcDs: 'cc', ciphered: false, counter: 'higher', por: 'required', porRcCcDs: 'none', porCiphered: false, porVia: 'submit',
    });
  });
  it('every counter mode and PoR mode by its bits', () => {
    assert.deepEqual([0x00, 0x08, 0x10, 0x18].map((b) => parseSpi(Uint8Array.of(b, 0)).counter), ['none', 'no-check', 'higher', 'one-higher']);
    assert.deepEqual([0x00, 0x01, 0x02].map((b) => parseSpi(Uint8Array.of(0, b)).por), ['none', 'required', 'on-error']);
    assert.deepEqual([0x00, 0x04, 0x08, 0x0c].map((b) => parseSpi(Uint8Array.of(0, b)).porRcCcDs), ['none', 'rc', 'cc', 'ds']);
    assert.equal(parseSpi(fromHex('0300')).rcCcDs, 'ds');
  });
  it('encodes back to the same bytes for every accepted value', () => {
    for (let b1 = 0; b1 < 0x20; b1++) {
      for (let b2 = 0; b2 < 0x40; b2++) {
        if ((b2 & 3) === 3) continue;
        assert.deepEqual(encodeSpi(parseSpi(Uint8Array.of(b1, b2))), Uint8Array.of(b1, b2));
      }
    }
  });
  it('refuses reserved bits and the reserved PoR mode 11', () => {
    for (const h of ['2000', '8000', '0040', '0080', '0003']) assert.throws(() => parseSpi(fromHex(h)), isOta('ERR_OTA_PARSE'), h);
  });
});

describe('KIc / KID', () => {
  it('low nibble 1, 5, 9, 2: DES-CBC, 3DES 2-key, 3DES 3-key, AES; high nibble the index', () => {
    assert.deepEqual(parseKeyId(0x11, 'KIc'), { kind: 'ota-key-id', index: 1, algorithm: 'des-cbc' });
    assert.deepEqual(parseKeyId(0x35, 'KID'), { kind: 'ota-key-id', index: 3, algorithm: '3des-2key' });
    assert.deepEqual(parseKeyId(0x79, 'KIc'), { kind: 'ota-key-id', index: 7, algorithm: '3des-3key' });
    assert.deepEqual(parseKeyId(0xf2, 'KID'), { kind: 'ota-key-id', index: 15, algorithm: 'aes' });
    for (const b of [0x11, 0x35, 0x79, 0xf2, 0x02]) assert.equal(encodeKeyId(parseKeyId(b, 'KIc')), b);
  });
  it('refuses implicit, proprietary and reserved codings', () => {
    for (const b of [0x10, 0x13, 0x1d, 0x16, 0x1a, 0x1e]) assert.throws(() => parseKeyId(b, 'KID'), isOta('ERR_OTA_UNSUPPORTED'), b.toString(16));
  });
});

const base = { ciphered: false, counter: 'none', por: 'required', porRcCcDs: 'none', porCiphered: false, porVia: 'submit' } as const;
const keys = { kic: fromHex('000102030405060708090a0b0c0d0e0f'), kid: fromHex('0f0e0d0c0b0a09080706050403020100') };
const fields = { kic: 0x12, kid: 0x12, tar: fromHex('b00000'), counter: fromHex('0000000001'), data: fromHex('00a4000000') };

describe('command packet refusals on the host side', () => {
  it('DS is refused: ETSI leaves it proprietary', () => {
    assert.throws(() => buildCommandPacket(keys, { ...fields, spi: spi({ ...base, rcCcDs: 'ds' }) }), isOta('ERR_OTA_UNSUPPORTED', 0x06));
  });
  it('RC is refused (not implemented)', () => {
    assert.throws(() => buildCommandPacket(keys, { ...fields, spi: spi({ ...base, rcCcDs: 'rc' }) }), isOta('ERR_OTA_UNSUPPORTED'));
  });
  it('a key of the wrong length for its KID algorithm is refused', () => {
    assert.throws(() => buildCommandPacket({ ...keys, kid: new Uint8Array(8) }, { ...fields, spi: spi({ ...base, rcCcDs: 'cc' }) }), isOta('ERR_OTA_KEY'));
  });
  it('a TAR that is not 3 bytes is refused', () => {
    assert.throws(() => buildCommandPacket(keys, { ...fields, tar: new Uint8Array(2), spi: spi({ ...base, rcCcDs: 'cc' }) }), (e: unknown) => e instanceof Error);
  });
});

describe('PoR', () => {
  it('status table 00–0B', () => {
    assert.deepEqual(Object.keys(POR_STATUS).map(Number), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    assert.equal(POR_STATUS[0x09], 'TAR unknown');
  });
  const s = parseSpi(fromHex('0619')); // PoR with CC, ciphered
  it('an unsecured error PoR (RHL 0A) is accepted with its status and marked unsecured', () => {
    const por = unwrapResponsePacket(keys, fromHex('027100000b0ab00011000000000000' + '01'), { spi: s, kic: 0x12, kid: 0x12 });
    assert.equal(por.status, 1);
    assert.equal(por.statusName, 'RC/CC/DS failed');
    assert.equal(por.secured, false);
  });
  it('an unsecured PoR claiming success is refused', () => {
    assert.throws(() => unwrapResponsePacket(keys, fromHex('027100000b0ab00011000000000000' + '00'), { spi: s, kic: 0x12, kid: 0x12 }), isOta('ERR_OTA_CC'));
  });
  it('a PoR whose TAR does not match the command is refused', () => {
    const plain = parseSpi(fromHex('0601'));
    assert.throws(
      () => unwrapResponsePacket(keys, fromHex('027100000b0ab00011000000000000' + '00'), { spi: plain, kic: 0x12, kid: 0x12, tar: fromHex('b00010') }),
      isOta('ERR_OTA_MISMATCH'),
    );
  });
});

describe('counter (§5.1.1 b5b4)', () => {
  const c = (h: string) => fromHex(h);
  it('higher: greater passes, equal or lower is CNTR low (02)', () => {
    checkCounter('higher', c('0000000001'), c('00000000ff'));
    assert.throws(() => checkCounter('higher', c('0000000002'), c('0000000002')), isOta('ERR_OTA_COUNTER', 0x02));
  });
  it('one-higher: +1 passes, +2 is CNTR high (03), lower is CNTR low (02)', () => {
    checkCounter('one-higher', c('00000000ff'), c('0000000100'));
    assert.throws(() => checkCounter('one-higher', c('0000000001'), c('0000000003')), isOta('ERR_OTA_COUNTER', 0x03));
    assert.throws(() => checkCounter('one-higher', c('0000000005'), c('0000000001')), isOta('ERR_OTA_COUNTER', 0x02));
  });
  it('a stored counter at its maximum is CNTR blocked (04)', () => {
    assert.throws(() => checkCounter('higher', c('ffffffffff'), c('ffffffffff')), isOta('ERR_OTA_COUNTER', 0x04));
  });
  it('none and no-check never look at the stored counter', () => {
    checkCounter('none', undefined, c('0000000000'));
    checkCounter('no-check', c('0000000009'), c('0000000000'));
  });
});

describe('card-side helpers', () => {
  it('porWanted: required always, on-error only for a non-zero status, none never', () => {
    const withPor = (por: 'none' | 'required' | 'on-error') => spi({ ...base, rcCcDs: 'none', por });
    assert.deepEqual([0, 1].map((st) => porWanted(withPor('required'), st)), [true, true]);
    assert.deepEqual([0, 1].map((st) => porWanted(withPor('on-error'), st)), [false, true]);
    assert.deepEqual([0, 1].map((st) => porWanted(withPor('none'), st)), [false, false]);
  });
  it('parseCommandHeader reads SPI, KIc, KID and TAR before any key is chosen', () => {
    const h = parseCommandHeader(fromHex('00201506193535b00011ae733256918d050b87c94fbfe12e4dc402f262c41cf67f2f'));
    assert.deepEqual(h, { kind: 'ota-command-header', spi: parseSpi(fromHex('0619')), kic: 0x35, kid: 0x35, tar: fromHex('b00011') });
  });
});
