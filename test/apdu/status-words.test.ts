import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SW, STATUS_WORDS, describeSw, swFamily } from '../../src/apdu/index.ts';

describe('status words (ISO 7816-4 §5.6, GP)', () => {
  it('describes exact status words', () => {
    assert.equal(describeSw(0x6a82), '6A82 application/file not found');
    assert.equal(describeSw(SW.OK), '9000 success');
    assert.equal(describeSw(SW.SECURITY_STATUS_NOT_SATISFIED), '6982 security status not satisfied');
    assert.equal(describeSw(0x6310), '6310 more data available (GP GET STATUS: send get next)');
    assert.equal(describeSw(0x9485), '9485 invalid key check value');
  });

  it('renders ranges with their parameter', () => {
    assert.equal(describeSw(0x6110), '6110 16 response bytes still available (send GET RESPONSE)');
    assert.equal(describeSw(0x6100), '6100 256 response bytes still available (send GET RESPONSE)');
    assert.equal(describeSw(0x6c08), '6C08 wrong Le: 8 bytes available (resend with Le)');
    assert.equal(describeSw(0x63c2), '63C2 warning: counter 2 (retries left)');
  });

  it('falls back to the SW1 family, then to unknown', () => {
    assert.equal(describeSw(0x6a99), '6A99 wrong parameters P1-P2');
    assert.equal(describeSw(0x6899), '6899 functions in CLA not supported');
    assert.equal(describeSw(0x9101), '9101 unknown status');
    assert.equal(describeSw(0x0000), '0000 unknown status');
  });

  it('has an exact row for every SW constant and for each GP status word of gp.md §1.3', () => {
    const gp = [0x9000, 0x6310, 0x6300, 0x6400, 0x6581, 0x6700, 0x6881, 0x6882, 0x6982, 0x6983, 0x6984, 0x6985, 0x6986, 0x6999,
      0x6a80, 0x6a81, 0x6a82, 0x6a84, 0x6a86, 0x6a88, 0x6d00, 0x6e00, 0x6f00, 0x9484, 0x9485];
    for (const sw of [...Object.values(SW), ...gp]) {
      assert.equal(swFamily(sw)?.mask, 0xffff, describeSw(sw));
    }
  });

  it('keeps the table frozen and unambiguous', () => {
    assert.ok(Object.isFrozen(STATUS_WORDS) && STATUS_WORDS.every((e) => Object.isFrozen(e)));
    const keys = STATUS_WORDS.map((e) => `${e.value}/${e.mask}`);
    assert.equal(new Set(keys).size, keys.length);
    assert.throws(() => describeSw(0x10000), { code: 'ERR_BYTES_RANGE' });
  });
});
