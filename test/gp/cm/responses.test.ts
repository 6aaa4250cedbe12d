/**
 * Host-side response parsers: FCI (Table 11-82), Card Data (Table H-1), CPLC, Key Information
 * Template (Tables 11-28/11-29), sequence counter, GET STATUS paging (Table 11-38).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { responseApdu, type CommandApdu } from '../../../src/apdu/index.ts';
import { fromHex, toHex } from '../../../src/bytes/index.ts';
import { encodeTlv, tlv } from '../../../src/tlv/index.ts';
import {
  decodeCplcDate,
  decodeOid,
  encodeCardData,
  encodeCplcDate,
  encodeFci,
  encodeKeyInformationTemplate,
  encodeOid,
  encodeRegistryEntries,
  getDataValue,
  getStatusAll,
  GP_ISD_AID,
  maxPlainBlockSize,
  paginateRegistry,
  parseCardData,
  parseCplc,
  parseFci,
  parseGetStatusCommand,
  parseKeyInformationTemplate,
  parseSequenceCounter,
  type RegistryEntryFields,
} from '../../../src/gp/index.ts';
import { gpError } from './helpers.ts';

const h = (s: string) => fromHex(s.replace(/\s+/g, ''));

describe('Card Data 66 (Table H-1)', () => {
  // Written from Table H-1: 66 { 73 { 06 {gp 1}, 60 { 06 {gp 2 2 1 1} }, 63 { 06 {gp 3} }, 64 { 06 {gp 4 2 15} } } }
  const data = h('66 31 73 2F 06 07 2A864886FC6B01 60 0C 06 0A 2A864886FC6B02020101 63 09 06 07 2A864886FC6B03 64 0B 06 09 2A864886FC6B040215');
  it('reads GP version, identification scheme and SCP02 i=15 from the OIDs', () => {
    const card = parseCardData(data);
    assert.equal(card.gpVersion, '2.1.1');
    assert.equal(card.cardIdentificationScheme, true);
    assert.deepEqual(card.secureChannels, [{ scp: 2, i: 0x15 }]);
  });
  it('encodes the same structure (card side)', () => {
    assert.equal(toHex(encodeCardData({ gpVersion: '2.1.1', cardIdentificationScheme: true, secureChannels: [{ scp: 2, i: 0x15 }] })), toHex(data));
  });
  it('format 2: one 64 holding several OIDs (Table H-2), and a bare 73', () => {
    const oid = (dotted: string) => tlv(0x06, encodeOid(dotted));
    const f2 = tlv(0x73, [oid('1.2.840.114283.1'), tlv(0x64, [oid('1.2.840.114283.4.3.112'), oid('1.2.840.114283.4.2.85')])]);
    assert.deepEqual(parseCardData(encodeTlv(f2)).secureChannels, [{ scp: 3, i: 0x70 }, { scp: 2, i: 0x55 }]);
  });
  it('refuses a 73 that does not start with {globalPlatform 1}', () => {
    assert.throws(() => parseCardData(h('73 03 06 01 2A')), gpError('ERR_GP_PARSE'));
  });
  it('OIDs decode and encode (X.690 §8.19)', () => {
    assert.equal(decodeOid(h('2A864886FC6B040215')), '1.2.840.114283.4.2.21');
    assert.equal(toHex(encodeOid('1.2.840.114283.4.2.21')), '2A864886FC6B040215');
    assert.equal(decodeOid(h('2A86')), undefined);
    assert.equal(decodeOid(h('8001')), undefined);
  });
});

describe('FCI (Table 11-82)', () => {
  it('reads AID, 9F65 and the Security Domain Management Data', () => {
    const fci = encodeFci({ aid: GP_ISD_AID, maxCommandDataLength: 0xef, managementData: tlv(0x73, [tlv(0x06, encodeOid('1.2.840.114283.1'))]) });
    assert.equal(toHex(fci), '6F1B8408A000000151000000A50F730906072A864886FC6B019F6501EF');
    const parsed = parseFci(fci);
    assert.equal(toHex(parsed.aid), 'A000000151000000');
    assert.equal(parsed.maxCommandDataLength, 0xef);
    assert.ok(parsed.managementData);
  });
  it('refuses a response without 6F or 84', () => {
    assert.throws(() => parseFci(h('6F 03 A5 01 00')), gpError('ERR_GP_PARSE'));
    assert.throws(() => parseFci(h('84 05 0102030405')), gpError('ERR_GP_PARSE'));
  });
});

describe('CPLC 9F7F', () => {
  // 42 bytes laid out field by field (GPPro CPLC.java order); dates YDDD
  const body = h('4790 5040 4791 9032 0400 9126 12345678 0001 4812 9128 4812 9129 0000 0000 00000000 0000 0000 00000000');
  it('parses with and without the 9F7F 2A header into named fields', () => {
    for (const data of [body, h(`9F7F2A${toHex(body)}`)]) {
      const cplc = parseCplc(data);
      assert.equal(toHex(cplc.icFabricator), '4790');
      assert.equal(toHex(cplc.osReleaseDate), '9032');
      assert.equal(toHex(cplc.icSerialNumber), '12345678');
      assert.equal(toHex(cplc.icPersonalizationEquipmentId), '00000000');
    }
    assert.throws(() => parseCplc(body.subarray(1)), gpError('ERR_GP_PARSE'));
  });
  it('decodes YDDD dates relative to a reference day', () => {
    assert.equal(decodeCplcDate(h('9032'), new Date('2020-06-01'))?.iso, '2019-02-01');
    assert.equal(decodeCplcDate(h('0032'), new Date('2020-06-01'))?.iso, '2020-02-01');
    assert.equal(decodeCplcDate(h('0200'), new Date('2020-06-01'))?.iso, '2010-07-19', 'day 200 of 2020 is after the reference: a decade earlier');
    assert.equal(decodeCplcDate(h('0000'), new Date('2020-06-01')), undefined);
    assert.equal(decodeCplcDate(h('FFFF'), new Date('2020-06-01')), undefined);
    assert.equal(decodeCplcDate(h('9366'), new Date('2020-06-01')), undefined, '2019 has 365 days');
    assert.equal(toHex(encodeCplcDate(2019, 32)), '9032');
  });
});

describe('Key Information Template E0 (Tables 11-28, 11-29)', () => {
  it('round-trips basic and extended entries', () => {
    const keys = [
      { format: 'basic' as const, keyId: 1, kvn: 0x30, components: [{ type: 0x88, length: 16 }], usage: undefined, access: undefined },
      { format: 'extended' as const, keyId: 2, kvn: 0x30, components: [{ type: 0x88, length: 32 }], usage: Uint8Array.of(0x34), access: undefined },
    ];
    const data = encodeKeyInformationTemplate(keys);
    assert.equal(toHex(data), 'E011C00401308810C0090230FF880020013400');
    assert.deepEqual(parseKeyInformationTemplate(data), keys.map((k) => ({ kind: 'key-info', ...k })));
  });
  it('skips an empty C0 and refuses other objects', () => {
    assert.deepEqual(parseKeyInformationTemplate(h('E0 02 C0 00')), []);
    assert.throws(() => parseKeyInformationTemplate(h('E0 03 C1 01 00')), gpError('ERR_GP_PARSE'));
    assert.throws(() => parseKeyInformationTemplate(h('E0 05 C0 03 01 01 88')), gpError('ERR_GP_PARSE'));
  });
});

describe('simple GET DATA values', () => {
  it('IIN / CIN values and the sequence counter (2 or 3 bytes)', () => {
    assert.equal(toHex(getDataValue(h('45 03 112233'), 0x45)), '112233');
    assert.throws(() => getDataValue(h('42 01 00'), 0x45), gpError('ERR_GP_PARSE'));
    assert.equal(parseSequenceCounter(h('C1 02 0065')), 0x65);
    assert.equal(parseSequenceCounter(h('C1 03 000102')), 0x102);
    assert.throws(() => parseSequenceCounter(h('C1 01 01')), gpError('ERR_GP_PARSE'));
  });
});

describe('GET STATUS paging (Table 11-38)', () => {
  const entries: RegistryEntryFields[] = Array.from({ length: 12 }, (_, i) => ({ aid: h(`A0000001510000${i.toString(16).padStart(2, '0')}`), lifecycle: 0x07, privileges: h('000000') }));
  const pages = paginateRegistry(entries, { format: 'tag', scope: 'applications', maxLength: 64 });
  it('the card side pages whole E3 entries within the limit', () => {
    assert.ok(pages.length > 1);
    assert.ok(pages.every((p) => p.length <= 64));
    assert.equal(toHex(pages.reduce((a, b) => new Uint8Array([...a, ...b]))), toHex(encodeRegistryEntries(entries)));
  });
  it('the host follows 6310 with get next until 9000', async () => {
    const sent: CommandApdu[] = [];
    const result = await getStatusAll((c) => {
      sent.push(c);
      const i = sent.length - 1;
      return Promise.resolve(responseApdu(pages[i]!, i === pages.length - 1 ? 0x9000 : 0x6310));
    }, { scope: 'applications' });
    assert.equal(result.length, 12);
    assert.deepEqual(sent.map((c) => parseGetStatusCommand(c).next), pages.map((_, i) => i > 0));
  });
  it('6A88 first means nothing matches; another SW is ERR_GP_STATUS; endless 6310 stops', async () => {
    assert.deepEqual(await getStatusAll(() => Promise.resolve(responseApdu(new Uint8Array(0), 0x6a88)), { scope: 'loadFiles' }), []);
    await assert.rejects(getStatusAll(() => Promise.resolve(responseApdu(new Uint8Array(0), 0x6982)), { scope: 'isd' }), gpError('ERR_GP_STATUS', 0x6982));
    await assert.rejects(getStatusAll(() => Promise.resolve(responseApdu(pages[0]!, 0x6310)), { scope: 'applications' }, { maxPages: 3 }), gpError('ERR_GP_STATUS', 0x6310));
  });
});

describe('block sizes with secure-channel overhead (gp.md §1.1)', () => {
  it('SCP03 C-MAC + C-DEC leaves 239 bytes; C-MAC only 247; S16 with C-DEC 223', () => {
    assert.equal(maxPlainBlockSize({ macLength: 8, paddedBlockSize: 16 }), 239);
    assert.equal(maxPlainBlockSize({ macLength: 8 }), 247);
    assert.equal(maxPlainBlockSize({ macLength: 16, paddedBlockSize: 16 }), 223);
    assert.equal(maxPlainBlockSize({ macLength: 8, paddedBlockSize: 8 }), 239);
  });
});
