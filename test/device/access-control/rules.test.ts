/**
 * The device's own FF40 parser (GP SEAC v1.1 Tables 3-1..3-9, 4-2): what it reads, what it refuses,
 * and — property tests — that any bytes, random or a good listing mutated, end in a rule list or
 * ERR_DEVICE_CARD_DATA, and through the enforcer in a decision or a DeviceError.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { hex, toHex } from '../../../src/bytes/index.ts';
import { AraEnforcer, DeviceError, parseAllRefArDo } from '../../../src/device/index.ts';
import { AID1, ScriptedAra, app, ff40, listing, sha1, sha256 } from './helpers.ts';

const WALLET = app('wallet');

function isCardData(e: unknown): boolean {
  return e instanceof DeviceError && e.code === 'ERR_DEVICE_CARD_DATA';
}

describe('parseAllRefArDo', () => {
  it('reads the three-rule example of research/tsm.md §3.2 (deny, filters, allow all)', () => {
    const rules = parseAllRefArDo(ff40(hex`
      E2 17 E1 0D 4F 09 A000000476EE05FE01 C1 00 E3 06 D0 01 00 D1 01 00
      E2 1E E1 0D 4F 09 A000000476EE050101 C1 00 E3 0D D0 08 00100100 00FFFFFF D1 01 01
      E2 0E E1 04 4F 00 C1 00 E3 06 D0 01 01 D1 01 01`));
    assert.equal(rules.length, 3);
    assert.deepEqual(rules[0]!.target, { kind: 'aid', aid: hex`A000000476EE05FE01` });
    assert.equal(rules[0]!.apdu, 'never');
    assert.equal(rules[0]!.nfc, false);
    const filters = rules[1]!.apdu;
    assert.ok(typeof filters === 'object');
    assert.equal(toHex(filters.filters[0]!.header), '00100100');
    assert.equal(toHex(filters.filters[0]!.mask), '00FFFFFF');
    assert.deepEqual(rules[2]!.target, { kind: 'all' });
    assert.equal(rules[2]!.appHash.length, 0);
    assert.equal(rules[2]!.apdu, 'always');
  });

  it('reads SHA-1 and SHA-256 hashes, C0, PKG-REF-DO, and absent AR members', () => {
    const rules = parseAllRefArDo(listing([
      { aid: 'default', hash: sha1(WALLET.leaf), apdu: 'always' },
      { aid: AID1, hash: sha256(WALLET.leaf), pkg: 'com.example.wallet' },
    ]));
    assert.deepEqual(rules[0]!.target, { kind: 'default' });
    assert.equal(rules[0]!.appHash.length, 20);
    assert.equal(rules[0]!.nfc, undefined);
    assert.equal(rules[1]!.packageName, 'com.example.wallet');
    assert.equal(rules[1]!.apdu, undefined);
    assert.equal(rules[1]!.carrierPrivilege, false);
  });

  it('FF40 00 is an ARA-M without rules', () => {
    assert.deepEqual(parseAllRefArDo(hex`FF4000`), []);
  });

  /** `tag` + one-byte length + `body`, in hex. */
  const t = (tag: string, ...body: string[]): string => {
    const value = body.join('');
    return tag + (value.length / 2).toString(16).padStart(2, '0') + value;
  };
  const ALL = t('4F');
  const ANY_APP = t('C1');
  const HASH20 = t('C1', '11'.repeat(20));
  const rule = (e1: string, e3 = t('E3')): string => t('FF40', t('E2', t('E1', e1), e3));
  const BAD: readonly (readonly [string, string])[] = [
    ['not FF40', 'FF5000'],
    ['length beyond the data', 'FF4005E200'],
    ['data beyond the length', 'FF4000E2'],
    ['not E2 at the top', t('FF40', t('E1', ALL + ANY_APP))],
    ['E2 without E3', t('FF40', t('E2', t('E1', ALL + ANY_APP)))],
    ['E3 before E1', t('FF40', t('E2', t('E3'), t('E1', ALL + ANY_APP)))],
    ['E2 with a third member', t('FF40', t('E2', t('E1', ALL + ANY_APP), t('E3'), t('E3')))],
    ['E1 without C1', rule(ALL)],
    ['two AID-REF-DOs', rule(ALL + t('C0') + ANY_APP)],
    ['AID of 4 bytes', rule(t('4F', 'A0000001') + ANY_APP)],
    ['AID of 17 bytes', rule(t('4F', '00'.repeat(17)) + ANY_APP)],
    ['C0 with a value', rule(t('C0', '01') + ANY_APP)],
    ['hash of 19 bytes', rule(ALL + t('C1', '00'.repeat(19)))],
    ['two hashes', rule(ALL + HASH20 + HASH20)],
    ['unknown tag in E1', rule(ALL + ANY_APP + t('80'))],
    ['unknown tag in E3', rule(ALL + ANY_APP, t('E3', t('80')))],
    ['APDU-AR-DO 02', rule(ALL + ANY_APP, t('E3', t('D0', '02')))],
    ['APDU-AR-DO of 7 bytes', rule(ALL + ANY_APP, t('E3', t('D0', '00'.repeat(7))))],
    ['NFC-AR-DO of 2 bytes', rule(ALL + ANY_APP, t('E3', t('D1', '0101')))],
    ['two APDU-AR-DOs', rule(ALL + ANY_APP, t('E3', t('D0', '01'), t('D0', '01')))],
    ['package name with an empty hash', rule(ALL + ANY_APP + t('CA', '61'))],
    ['package name not UTF-8', rule(ALL + HASH20 + t('CA', 'FF'))],
    ['empty package name', rule(ALL + HASH20 + t('CA'))],
    ['not BER-TLV', 'FF4003E2FF01'],
  ];
  for (const [name, text] of BAD) {
    it(`refuses ${name}: ERR_DEVICE_CARD_DATA`, () => {
      assert.throws(() => parseAllRefArDo(hex`${text}`), isCardData);
    });
  }
});

/** A good listing with several kinds of rule, to mutate. */
const GOOD = listing([
  { aid: AID1, hash: sha256(WALLET.leaf), apdu: 'always', nfc: true },
  { aid: 'all', hash: 'all', apdu: ['00A4040000FFFF00', '80CA000000FF0000'] },
  { aid: 'default', hash: sha1(WALLET.intermediate), pkg: 'com.example.wallet', nfc: false },
  { aid: 'none', hash: sha256(WALLET.leaf), pkg: 'com.example.carrier', apdu: 'never' },
]);

const mutated = fc.tuple(
  fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
  fc.option(fc.nat(), { nil: undefined }),
  fc.uint8Array({ maxLength: 8 }),
).map(([flips, cut, extra]) => {
  const bytes = GOOD.slice();
  for (const [at, value] of flips) bytes[at % bytes.length] = value;
  const body = cut === undefined ? bytes : bytes.subarray(0, cut % (bytes.length + 1));
  return new Uint8Array([...body, ...extra]);
});

describe('hostile listings (property)', () => {
  it('random bytes: a rule list or ERR_DEVICE_CARD_DATA', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (body, wrap) => {
        try {
          parseAllRefArDo(wrap ? ff40(body) : body);
        } catch (e) {
          assert.ok(isCardData(e), String(e));
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('a good listing with bytes flipped, cut or extended: a rule list or ERR_DEVICE_CARD_DATA', () => {
    fc.assert(
      fc.property(mutated, (bytes) => {
        try {
          const rules = parseAllRefArDo(bytes);
          assert.ok(Array.isArray(rules));
        } catch (e) {
          assert.ok(isCardData(e), String(e));
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('through the enforcer, paged: a decision or a DeviceError, and the channel closed', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutated, fc.uint8Array({ maxLength: 120 }).map(ff40)), fc.integer({ min: 1, max: 64 }), async (bytes, pageSize) => {
        const card = new ScriptedAra({ listing: bytes, pageSize });
        try {
          const d = await new AraEnforcer({ reader: { maxPages: 64 } }).decide(card, AID1, WALLET);
          assert.ok(d.apdu === 'always' || d.apdu === 'never' || typeof d.apdu === 'object');
        } catch (e) {
          assert.ok(e instanceof DeviceError && ['ERR_DEVICE_CARD_DATA', 'ERR_DEVICE_STATUS'].includes(e.code), String(e));
        }
        assert.equal(card.open.size, 0);
      }),
      { numRuns: 300 },
    );
  });
});
