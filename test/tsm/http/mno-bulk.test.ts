/**
 * A bulk registration of 1,000 SEs in one call (keys diversified in the HSM from one batch), on the
 * software HSM and SQLite in memory: every item created, a spot check of the derived keys, the time
 * printed. A second identical call answers `exists` for every item and creates no key.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { toHex } from '../../../src/bytes/index.ts';
import { bearer } from './fixture.ts';
import { importBatch, seItem, withMno } from './mno-fixture.ts';

describe('MNO routes: bulk registration', () => {
  it('registers 1,000 SEs in one call (each with three HSM-derived keys), then answers "exists" for all of them', () =>
    withMno(async (f) => {
      const batchId = await importBatch(f);
      const items = Array.from({ length: 1000 }, (_, i) => {
        const item = seItem(f, batchId, i % 2, `se-${String(i).padStart(4, '0')}`) as { isd: { keys: { kdd: string } } };
        item.isd.keys.kdd = i < 2 ? item.isd.keys.kdd : toHex(new Uint8Array(randomBytes(10)));
        return item;
      });
      const payload = { items };
      const started = performance.now();
      const r = await f.app.inject({ method: 'POST', url: '/v1/mno/secure-elements', headers: bearer(f.mno.a), payload });
      const ms = performance.now() - started;
      assert.equal(r.statusCode, 200, r.body.slice(0, 500));
      const body = r.json<{ created: number; existing: number; failed: number }>();
      assert.deepEqual([body.created, body.existing, body.failed], [1000, 0, 0]);
      console.log(`# bulk register: 1000 SEs in ${ms.toFixed(0)} ms (${(1000 / (ms / 1000)).toFixed(0)} SEs/s; ${JSON.stringify(payload).length} bytes of JSON)`);
      const keys = (await f.t.hsm.listKeys({}, f.mnoCtx)).length;
      const again = await f.app.inject({ method: 'POST', url: '/v1/mno/secure-elements', headers: bearer(f.mno.a), payload });
      const second = again.json<{ created: number; existing: number; failed: number }>();
      assert.deepEqual([second.created, second.existing, second.failed], [0, 1000, 0]);
      assert.equal((await f.t.hsm.listKeys({}, f.mnoCtx)).length, keys);
      const se1 = await f.db.selectFrom('secure_elements').select('isd').where('se_id', '=', 'se-0001').executeTakeFirstOrThrow();
      const enc = (JSON.parse(se1.isd) as { keys: { enc: string } }).keys.enc;
      assert.equal((await f.t.hsm.getKey(enc, f.mnoCtx)).kcv, f.batch.keyFile.cards[1]!.isdKeys.enc.kcv.toUpperCase());
    }, 2, { bodyLimit: 1024 * 1024 }));
});
