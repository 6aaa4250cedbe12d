/** Conformance: concurrent writers, hostile strings, transactions and the bound repository. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import {
  appendAuditEvent,
  getCustodian,
  getKey,
  keyRecordStore,
  listCustodians,
  listKeys,
  listKeysNotUnder,
  putCustodian,
  putKey,
  queryAuditEvents,
  type StoreDb,
  type StoredKeyRecord,
} from '../../../src/store/index.ts';
import { auditEvent, keyBlock, keyRecord, rejectsWithCode, withStore, type StoreFactory } from './fixtures.ts';

/** Strings that break naive SQL, encodings or comparisons; each must come back exactly as written. */
const HOSTILE = [
  `'; DROP TABLE key_records; --`,
  `" OR "1"="1`,
  `Robert'); DELETE FROM custodians;--`,
  `\\'\\"\\\\ \\x00 \\u0000`,
  `%_*?[]^$.|+(){}`,
  'line1\nline2\r\n\ttab\u0001\u001F\u007F',
  'ünïcödé Ελληνικά 中文 العربية עברית',
  '👩‍👩‍👧‍👦🔑\u{10FFFF}\u{1F600}',
  'e\u0301 vs \u00E9', // not normalised
  '\u202Eright-to-left override\u202C',
  '\uFEFFbom\u200Bzero-width',
  ' leading and trailing spaces  ',
  '$1 $$ ${x} ?? :name @p1',
];

/** 100 K UTF-16 code units (179 KB of UTF-8) of quotes, a backslash and multi-byte characters. */
const BIG = `'"\\ü中👩\u0301`.repeat(12_800);

function firstCodePoints(text: string, n: number): string {
  return [...text].slice(0, n).join('');
}

async function countRows(db: StoreDb, table: 'key_records' | 'custodians' | 'audit_events' | 'audit_event_keys'): Promise<number> {
  const { n } = await db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(n);
}

export function concurrencyTests(open: StoreFactory): void {
  describe('concurrency', () => {
    it('concurrent puts of one id: every read and the final record is one writer whole, never a mix', () =>
      withStore(open, async (db) => {
        const attrs = keyRecord('x').attributes;
        const writer = (i: number): StoredKeyRecord =>
          keyRecord('same', {
            attributes: { ...attrs, version: i, label: `writer ${i}`, owner: `owner-${i}` },
            kcv: `KCV${i}`,
            keyBlock: keyBlock(`writer-${i}`, 112 + i),
            lmkKcv: `LMK${i}`,
            updatedAt: `2026-11-27T05:00:${String(i).padStart(2, '0')}.000Z`,
          });
        const writers = Array.from({ length: 32 }, (_, i) => writer(i + 1));
        for (const id of ['same', 'fresh']) {
          const expected = (version: number): StoredKeyRecord => ({ ...writer(version), id });
          if (id === 'same') await putKey(db, writer(0));
          const reads: (StoredKeyRecord | undefined)[] = [];
          await Promise.all(
            writers.flatMap((w) => [putKey(db, { ...w, id }), getKey(db, id).then((r) => void reads.push(r))]),
          );
          for (const r of reads) {
            if (r === undefined && id === 'fresh') continue;
            assert.ok(r !== undefined);
            assert.deepEqual(r, expected(r.attributes.version), 'a read returned a torn record');
          }
          const final = await getKey(db, id);
          assert.ok(final !== undefined && final.attributes.version >= 1);
          assert.deepEqual(final, expected(final.attributes.version));
        }
        assert.equal((await listKeys(db)).length, 2);
        await putKey(db, writer(40));
        await putKey(db, writer(41));
        assert.deepEqual(await getKey(db, 'same'), writer(41), 'the last write wins');
      }));

    it('concurrent appends get distinct sequence numbers and keep their own keys', () =>
      withStore(open, async (db) => {
        const events = Array.from({ length: 40 }, (_, i) =>
          auditEvent({ operation: `op-${i}`, keys: [0, 1, 2].map((j) => ({ id: `e${i}-k${j}`, kcv: `${i}-${j}` })) }),
        );
        const seqs = await Promise.all(events.map((e) => appendAuditEvent(db, e)));
        assert.equal(new Set(seqs).size, events.length);
        const stored = await queryAuditEvents(db, { limit: 1000 });
        assert.equal(stored.length, events.length);
        for (const { seq, event } of stored) {
          const i = Number(event.operation.slice(3));
          assert.equal(seq, seqs[i]);
          assert.deepEqual(event, events[i]);
        }
      }));
  });
}

export function hostileStringTests(open: StoreFactory): void {
  describe('hostile strings', () => {
    it('key records keep quotes, escapes, unicode and a 100 KB label verbatim, and find them by exact match', () =>
      withStore(open, async (db) => {
        const records = HOSTILE.map((h, i): StoredKeyRecord => {
          const short = firstCodePoints(h, 8);
          return {
            id: h,
            attributes: { usage: short, algorithm: short, modeOfUse: short, exportability: short, length: i, version: i, owner: h, label: i === 0 ? BIG : h, class: h },
            kcv: h,
            status: 'active',
            keyBlock: keyBlock(h),
            lmkKcv: h,
            publicKey: BIG,
            createdAt: h,
            updatedAt: h,
          };
        });
        for (const r of records) await putKey(db, r);
        for (const r of records) {
          assert.deepEqual(await getKey(db, r.id), r);
          assert.deepEqual(await listKeys(db, { owner: r.attributes.owner }), [r]);
          assert.deepEqual(await listKeys(db, { label: r.attributes.label! }), [r]);
        }
        assert.equal((await getKey(db, HOSTILE[0]!))?.attributes.label?.length, 100 * 1024);
        assert.equal((await listKeys(db)).length, HOSTILE.length, 'no statement was injected');
        assert.equal((await listKeysNotUnder(db, 'LMK', 1000)).length, HOSTILE.length);
      }));

    it('custodians and audit events keep hostile text verbatim', () =>
      withStore(open, async (db) => {
        for (const h of HOSTILE) {
          const custodian = { name: h, passphraseHash: BIG, createdAt: firstCodePoints(h, 16) };
          await putCustodian(db, custodian);
          assert.deepEqual(await getCustodian(db, h), custodian);
          const event = auditEvent({ tenant: h, actor: h, requestId: h, operation: h, result: h, code: h, detail: `${h}${BIG}`, keys: [{ id: h, kcv: h }] });
          await appendAuditEvent(db, event);
          assert.deepEqual((await queryAuditEvents(db, { keyId: h })).map((e) => e.event), [event]);
          assert.deepEqual((await queryAuditEvents(db, { tenant: h, operation: h, actor: h, result: h })).map((e) => e.event), [event]);
        }
        assert.equal((await listCustodians(db)).length, HOSTILE.length);
        assert.equal((await queryAuditEvents(db, { limit: 1000 })).length, HOSTILE.length);
      }));
  });
}

export function transactionTests(open: StoreFactory): void {
  describe('transactions', () => {
    const writeAll = async (trx: StoreDb): Promise<void> => {
      await putKey(trx, keyRecord('k1'));
      await keyRecordStore(trx).putKey(keyRecord('k2'));
      await putCustodian(trx, { name: 'alice', passphraseHash: 'h', createdAt: 't' });
      await appendAuditEvent(trx, auditEvent());
    };
    const assertEmpty = async (db: StoreDb): Promise<void> => {
      for (const table of ['key_records', 'custodians', 'audit_events', 'audit_event_keys'] as const) {
        assert.equal(await countRows(db, table), 0, `${table} is empty`);
      }
    };

    it('an error thrown inside a transaction leaves nothing behind', () =>
      withStore(open, async (db) => {
        await assert.rejects(
          db.transaction().execute(async (trx) => {
            await writeAll(trx);
            throw new Error('boom');
          }),
          /boom/,
        );
        await assertEmpty(db);
      }));

    it('a refused record or a database error inside a transaction rolls back the earlier writes', () =>
      withStore(open, async (db) => {
        await rejectsWithCode(
          db.transaction().execute(async (trx) => {
            await writeAll(trx);
            await putKey(trx, { ...keyRecord('k3'), status: 'lost' as 'active' });
          }),
          'ERR_STORE_RECORD',
        );
        await assertEmpty(db);
        await assert.rejects(
          db.transaction().execute(async (trx) => {
            await writeAll(trx);
            await sql`insert into custodians (name) values ('no hash')`.execute(trx); // NOT NULL violation
          }),
        );
        await assertEmpty(db);
      }));

    it('a committed transaction keeps every write', () =>
      withStore(open, async (db) => {
        await db.transaction().execute(writeAll);
        assert.deepEqual((await listKeys(db)).map((r) => r.id), ['k1', 'k2']);
        assert.equal(await countRows(db, 'custodians'), 1);
        assert.equal(await countRows(db, 'audit_event_keys'), 1);
      }));
  });
}

export function repositoryTests(open: StoreFactory): void {
  describe('keyRecordStore', () => {
    it('binds the repositories to db and passes every record read through narrow', () =>
      withStore(open, async (db) => {
        const narrowed: string[] = [];
        const store = keyRecordStore(db, (attributes, id) => {
          narrowed.push(id);
          return { ...attributes, usage: attributes.usage.toLowerCase() };
        });
        await store.putKey(keyRecord('k1'));
        await store.putKey(keyRecord('k2', { lmkKcv: 'LMK000' }));
        assert.equal((await store.getKey('k1'))?.attributes.usage, 'b3');
        assert.equal(await store.getKey('nope'), undefined);
        assert.deepEqual((await store.listKeys({ owner: 'tenant-a' })).map((r) => r.attributes.usage), ['b3', 'b3']);
        assert.deepEqual((await store.listKeysNotUnder('LMK001', 10)).map((r) => r.id), ['k2']);
        assert.deepEqual(narrowed, ['k1', 'k1', 'k2', 'k2']);
        await store.putCustodian({ name: 'alice', passphraseHash: 'h', createdAt: 't' });
        assert.deepEqual(await store.getCustodian('alice'), { name: 'alice', passphraseHash: 'h', createdAt: 't' });
        assert.equal((await store.listCustodians()).length, 1);
        const refusal = new Error('unknown usage');
        const strict = keyRecordStore(db, () => {
          throw refusal;
        });
        await assert.rejects(strict.getKey('k1'), (e) => e === refusal);
        assert.deepEqual(await keyRecordStore(db).getKey('k1'), keyRecord('k1'));
      }));
  });
}
