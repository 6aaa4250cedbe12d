/** Conformance: key records (get/put/list/listKeysNotUnder) and what putKey refuses. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getKey, listKeys, listKeysNotUnder, MAX_KEY_PAGE, putKey, type StoredKeyRecord } from '../../../src/store/index.ts';
import { failsWithCode, keyBlock, keyRecord, withStore, type StoreFactory } from './fixtures.ts';

export function keyRecordTests(open: StoreFactory): void {
  describe('key records', () => {
    it('put then get returns every field, optional ones absent when not given', () =>
      withStore(open, async (db) => {
        const full = keyRecord('k-full');
        const { label: _label, ...bare } = full.attributes;
        const minimal: StoredKeyRecord = { ...keyRecord('k-min'), attributes: bare, publicKey: undefined };
        delete (minimal as { publicKey?: string }).publicKey;
        await putKey(db, full);
        await putKey(db, minimal);
        assert.deepEqual(await getKey(db, 'k-full'), full);
        const back = await getKey(db, 'k-min');
        assert.deepEqual(back, minimal);
        assert.ok(back !== undefined && !('label' in back.attributes) && !('publicKey' in back));
        const destroyed = keyRecord('k-gone', { status: 'destroyed', keyBlock: '' });
        await putKey(db, destroyed);
        assert.deepEqual(await getKey(db, 'k-gone'), destroyed);
      }));

    it('get of an unknown or unstorable id is undefined', () =>
      withStore(open, async (db) => {
        await putKey(db, keyRecord('k1'));
        for (const id of ['k2', '', 'K1', 'k1 ', 'x'.repeat(300), 'a\u0000b', '\uD800']) assert.equal(await getKey(db, id), undefined);
        await failsWithCode(() => getKey(db, 42 as unknown as string), 'ERR_STORE_PARAM');
      }));

    it('put replaces every field of a record with the same id (upsert), keeping one row', () =>
      withStore(open, async (db) => {
        await putKey(db, keyRecord('k1'));
        const next: StoredKeyRecord = {
          id: 'k1',
          attributes: { usage: 'K0', algorithm: 'T', modeOfUse: 'E', exportability: 'E', length: 24, version: 7, owner: 'tenant-b', label: 'new', class: 'protocol-memory' },
          kcv: 'FFEE11',
          status: 'retired',
          keyBlock: keyBlock('rewrapped', 144),
          lmkKcv: 'LMK002',
          publicKey: 'AA',
          createdAt: '2027-01-01T00:00:00.000Z',
          updatedAt: '2027-01-02T00:00:00.000Z',
        };
        await putKey(db, next);
        assert.deepEqual(await getKey(db, 'k1'), next);
        assert.equal((await listKeys(db)).length, 1);
        const cleared = { ...keyRecord('k1'), attributes: { ...keyRecord('k1').attributes, label: undefined }, publicKey: undefined };
        await putKey(db, cleared);
        const back = await getKey(db, 'k1');
        assert.ok(back !== undefined && !('label' in back.attributes) && !('publicKey' in back), 'optional fields are cleared by a put without them');
      }));

    it('listKeys matches owner, usage, label and status exactly, in id order', () =>
      withStore(open, async (db) => {
        const attrs = keyRecord('x').attributes;
        const records = [
          keyRecord('k3', { attributes: { ...attrs, owner: 'b', usage: 'B3', label: 'GP-ENC' } }),
          keyRecord('k1', { attributes: { ...attrs, owner: 'a', usage: 'B3', label: 'GP-ENC' } }),
          keyRecord('k2', { attributes: { ...attrs, owner: 'a', usage: 'K0', label: 'GP-DEK' }, status: 'retired' }),
          keyRecord('k4', { attributes: { ...attrs, owner: 'a', usage: 'E5', label: undefined }, status: 'destroyed', keyBlock: '' }),
        ];
        for (const r of records) await putKey(db, r);
        const ids = async (filter: Parameters<typeof listKeys>[1]): Promise<string[]> => (await listKeys(db, filter)).map((r) => r.id);
        assert.deepEqual(await ids({}), ['k1', 'k2', 'k3', 'k4']);
        assert.deepEqual(await ids(undefined), ['k1', 'k2', 'k3', 'k4']);
        assert.deepEqual(await ids({ owner: 'a' }), ['k1', 'k2', 'k4']);
        assert.deepEqual(await ids({ owner: 'a', usage: 'B3' }), ['k1']);
        assert.deepEqual(await ids({ label: 'GP-ENC' }), ['k1', 'k3']);
        assert.deepEqual(await ids({ label: 'GP-ENC', owner: 'b' }), ['k3']);
        assert.deepEqual(await ids({ status: 'retired' }), ['k2']);
        assert.deepEqual(await ids({ status: 'destroyed', owner: 'a' }), ['k4']);
        assert.deepEqual(await ids({ owner: 'A' }), [], 'matching is case-sensitive');
        assert.deepEqual(await ids({ label: 'GP-%' }), [], 'no wildcards');
        assert.deepEqual(await ids({ owner: 'a\u0000' }), []);
        assert.deepEqual(await ids({ owner: 'c' }), []);
        assert.deepEqual(await listKeys(db, { owner: 'a', usage: 'K0' }), [records[2]]);
        await failsWithCode(() => listKeys(db, { owner: 1 as unknown as string }), 'ERR_STORE_PARAM');
      }));

    it('listKeysNotUnder pages through every record of other LMKs, destroyed ones too, until re-wrapping empties it', () =>
      withStore(open, async (db) => {
        const old = Array.from({ length: 23 }, (_, i) =>
          keyRecord(`k${String(i).padStart(2, '0')}`, { lmkKcv: i % 2 === 0 ? 'LMK001' : 'LMK000', ...(i === 7 ? { status: 'destroyed', keyBlock: '' } : {}) }),
        );
        for (const r of old) await putKey(db, r);
        for (const id of ['c1', 'c2']) await putKey(db, keyRecord(id, { lmkKcv: 'LMK002' }));
        const seen: string[] = [];
        const pages: number[] = [];
        for (let round = 0; round < 20; round++) {
          const page = await listKeysNotUnder(db, 'LMK002', 5);
          if (page.length === 0) break;
          pages.push(page.length);
          for (const r of page) {
            assert.notEqual(r.lmkKcv, 'LMK002');
            seen.push(r.id);
            await putKey(db, { ...r, keyBlock: r.status === 'destroyed' ? '' : keyBlock(`${r.id}-new`), lmkKcv: 'LMK002' });
          }
        }
        assert.deepEqual(pages, [5, 5, 5, 5, 3]);
        assert.deepEqual(seen, old.map((r) => r.id));
        assert.deepEqual(await listKeysNotUnder(db, 'LMK002', MAX_KEY_PAGE), []);
        assert.deepEqual((await listKeysNotUnder(db, 'LMK003', 100)).map((r) => r.id), [...old.map((r) => r.id), 'c1', 'c2'].sort());
        for (const limit of [0, -1, 1.5, MAX_KEY_PAGE + 1, Number.NaN, '5' as unknown as number]) {
          await failsWithCode(() => listKeysNotUnder(db, 'LMK002', limit), 'ERR_STORE_PARAM');
        }
      }));

    it('putKey refuses a malformed record, writes nothing and never quotes the values', () =>
      withStore(open, async (db) => {
        const secret = 'S3CRET-MARKER';
        const base = keyRecord('k1', { keyBlock: keyBlock(secret) });
        const attrs = base.attributes;
        const bad: unknown[] = [
          null,
          'k1',
          { ...base, id: '' },
          { ...base, id: 'x'.repeat(257) },
          { ...base, status: 'lost' },
          { ...base, attributes: undefined },
          { ...base, attributes: { ...attrs, length: 1.5 } },
          { ...base, attributes: { ...attrs, version: -1 } },
          { ...base, attributes: { ...attrs, owner: 7 } },
          { ...base, attributes: { ...attrs, label: `${secret}\u0000` } },
          { ...base, attributes: { ...attrs, label: `${secret}\uDC00` } },
          { ...base, keyBlock: '00112233445566778899AABBCCDDEEFF' }, // a clear key in hex
          { ...base, keyBlock: `${base.keyBlock}X` }, // length field disagrees
          { ...base, keyBlock: '' }, // an active key without a block
          { ...base, status: 'destroyed' }, // a destroyed key that kept its block
          { ...base, kcv: undefined },
          { ...base, createdAt: 12 },
        ];
        for (const record of bad) {
          const error = await failsWithCode(() => putKey(db, record as StoredKeyRecord), 'ERR_STORE_RECORD');
          assert.ok(!error.message.includes(secret) && !error.message.includes('MARKER'), error.message);
          assert.ok(!error.message.includes('00112233'), error.message);
        }
        assert.deepEqual(await listKeys(db), []);
      }));
  });
}
