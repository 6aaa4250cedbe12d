import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hex, toHex } from '../../src/bytes/index.ts';
import { ApduError, encodeResponse, isSuccess, parseResponse, responseApdu } from '../../src/apdu/index.ts';

describe('response APDU', () => {
  it('splits data and status word and round-trips', () => {
    const r = parseResponse(hex`6F10 8407A0000001510000 9000`);
    assert.equal(r.sw, 0x9000);
    assert.equal(toHex(r.data), '6F108407A0000001510000');
    assert.equal(toHex(encodeResponse(r)), '6F108407A00000015100009000');
    assert.deepEqual(parseResponse(hex`6A82`), responseApdu(new Uint8Array(0), 0x6a82));
  });

  it('rejects fewer than two bytes', () => {
    for (const bytes of [new Uint8Array(0), hex`90`]) {
      assert.throws(() => parseResponse(bytes), (e: unknown) => e instanceof ApduError && e.code === 'ERR_APDU_MALFORMED');
    }
  });

  it('calls 9000 and 61xx success, warnings not', () => {
    assert.deepEqual([0x9000, 0x6100, 0x61ff, 0x6310, 0x6283, 0x6a82].map(isSuccess), [true, true, true, false, false, false]);
  });
});
