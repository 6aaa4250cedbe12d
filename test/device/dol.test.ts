/**
 * The terminal's DOL data (EMV Book 3 §5.4): transaction elements in their Annex A formats, the
 * contract's PDOL and CDOL1 answered byte for byte, unknown tags as zeros, and a DOL the terminal
 * cannot answer refused as card data.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hex, toHex } from '../../src/bytes/index.ts';
import { DeviceError, transactionData } from '../../src/device/index.ts';
import { dolData } from '../../src/device/pos/gpo.ts';
import { parseAfl } from '../../src/device/index.ts';
import { CDOL1, PDOL } from './fixtures/mock-card.ts';

const TX = { amount: 123456789012n, otherAmount: 500, currency: 978, country: 250, date: '261127', type: '20' };

describe('DOL data', () => {
  it('transaction elements: n12 amounts, n3 codes, YYMMDD, type', () => {
    const d = transactionData(TX);
    assert.deepEqual(Object.fromEntries(Object.entries(d).map(([k, v]) => [k, toHex(v)])), {
      '9F02': '123456789012', '9F03': '000000000500', '5F2A': '0978', '9F1A': '0250', '9A': '261127', '9C': '20',
    });
    assert.equal(toHex(transactionData({ ...TX, type: undefined, otherAmount: undefined })['9C']!), '00');
  });

  it('the contract PDOL (§4.1) and CDOL1 are answered in list order', () => {
    const values = { ...transactionData(TX), '9F66': hex`21804000`, '95': hex`0800000000`, '9F37': hex`DEADBEEF` };
    assert.equal(toHex(dolData(PDOL, values, 'PDOL')), '21804000' + '123456789012' + '000000000500' + '0250' + '0800000000' + '0978' + '261127' + '20' + 'DEADBEEF');
    assert.equal(toHex(dolData(CDOL1, values, 'CDOL1')), '123456789012000000000500025008000000000978261127' + '20' + 'DEADBEEF');
  });

  it('a tag the terminal does not know is answered with zeros; an empty DOL with nothing', () => {
    assert.equal(toHex(dolData(hex`9F4E029F3704`, { '9F37': hex`01020304` }, 'PDOL')), '000001020304');
    assert.equal(dolData(new Uint8Array(0), {}, 'PDOL').length, 0);
  });

  it('a DOL that does not parse or asks a known element at another length is ERR_DEVICE_CARD_DATA', () => {
    for (const dol of [hex`9F`, hex`9F02`, hex`9F0207`, hex`9F3700`, hex`9F37FF`, hex`9F8101`]) {
      assert.throws(() => dolData(dol, { ...transactionData(TX), '9F37': hex`01020304` }, 'PDOL'), (e) => e instanceof DeviceError && e.code === 'ERR_DEVICE_CARD_DATA', toHex(dol));
    }
  });

  it('transaction values out of range are ERR_DEVICE_PARAM', () => {
    for (const bad of [{ amount: 10n ** 12n }, { amount: -1 }, { otherAmount: Number.NaN }, { country: -1 }, { currency: 9999 }, { date: '2611' }, { date: '261232' }, { type: 'A0' }]) {
      assert.throws(() => transactionData({ ...TX, ...bad }), (e) => e instanceof DeviceError && e.code === 'ERR_DEVICE_PARAM', JSON.stringify(bad, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
    }
  });

  it('AFL (Book 3 §10.2): the contract AFL parses; malformed entries are ERR_DEVICE_CARD_DATA', () => {
    assert.deepEqual(parseAfl(hex`0801010110010200`), [{ sfi: 1, first: 1, last: 1, odaCount: 1 }, { sfi: 2, first: 1, last: 2, odaCount: 0 }]);
    for (const afl of [hex``, hex`080101`, hex`00010100`, hex`09010100`, hex`F8010100`, hex`08000100`, hex`08020100`, hex`08010102`]) {
      assert.throws(() => parseAfl(afl), (e) => e instanceof DeviceError && e.code === 'ERR_DEVICE_CARD_DATA', toHex(afl));
    }
  });
});
