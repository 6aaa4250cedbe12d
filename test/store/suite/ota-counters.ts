/** SCP80 counters (src/store/ota-counters.ts): one increasing sequence per SE and key set, never a value twice. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getOtaCounter, MAX_OTA_COUNTER, nextOtaCounter } from '../../../src/store/index.ts';
import { rejectsWithCode, withStore, type StoreFactory } from './fixtures.ts';

export function otaCounterTests(open: StoreFactory): void {
  describe('ota counters', () => {
    it('start at 1 and increase by one, per SE and key set', () =>
      withStore(open, async (db) => {
        assert.equal(await getOtaCounter(db, 'se-1', 'ks-15'), undefined);
        assert.equal(await nextOtaCounter(db, 'se-1', 'ks-15'), 1n);
        assert.equal(await nextOtaCounter(db, 'se-1', 'ks-15'), 2n);
        assert.equal(await nextOtaCounter(db, 'se-1', 'ks-14'), 1n);
        assert.equal(await nextOtaCounter(db, 'se-2', 'ks-15'), 1n);
        assert.equal(await nextOtaCounter(db, 'se-1', 'ks-15'), 3n);
        assert.equal(await getOtaCounter(db, 'se-1', 'ks-15'), 3n);
        assert.equal(await getOtaCounter(db, 'se-1', 'ks-14'), 1n);
      }));

    it('concurrent takers each get a distinct value, with no gap', () =>
      withStore(open, async (db) => {
        const values = await Promise.all(Array.from({ length: 40 }, () => nextOtaCounter(db, 'se-c', 'ks')));
        assert.deepEqual([...values].sort((a, b) => (a < b ? -1 : 1)), Array.from({ length: 40 }, (_, i) => BigInt(i + 1)));
      }));

    it('atLeast moves the counter up to a floor, never down', () =>
      withStore(open, async (db) => {
        assert.equal(await nextOtaCounter(db, 'se-f', 'ks', { atLeast: 100n }), 100n);
        assert.equal(await nextOtaCounter(db, 'se-f', 'ks', { atLeast: 5n }), 101n);
        assert.equal(await nextOtaCounter(db, 'se-f', 'ks', { atLeast: 0x1_0000_0000n }), 0x1_0000_0000n);
        assert.equal(await nextOtaCounter(db, 'se-f', 'ks'), 0x1_0000_0001n);
      }));

    it('is exhausted at 2^40 − 1, and refuses bad arguments', () =>
      withStore(open, async (db) => {
        assert.equal(await nextOtaCounter(db, 'se-x', 'ks', { atLeast: MAX_OTA_COUNTER }), MAX_OTA_COUNTER);
        await rejectsWithCode(nextOtaCounter(db, 'se-x', 'ks'), 'ERR_STORE_CONFLICT');
        assert.equal(await getOtaCounter(db, 'se-x', 'ks'), MAX_OTA_COUNTER);
        await rejectsWithCode(nextOtaCounter(db, 'se-x', 'ks', { atLeast: 0n }), 'ERR_STORE_PARAM');
        await rejectsWithCode(nextOtaCounter(db, 'se-x', 'ks', { atLeast: MAX_OTA_COUNTER + 1n }), 'ERR_STORE_PARAM');
        await rejectsWithCode(nextOtaCounter(db, '', 'ks'), 'ERR_STORE_RECORD');
        await rejectsWithCode(nextOtaCounter(db, 'se-x', 'k\u0000s'), 'ERR_STORE_RECORD');
        assert.equal(await getOtaCounter(db, 'se-x', 'k\u0000s'), undefined);
      }));
  });
}
