/** Conformance: migrations and the dialect-dependent column helpers. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Generated } from 'kysely';
import {
  addSerialPrimaryKey,
  bigintColumnType,
  binaryColumnType,
  bytesFromColumn,
  getKey,
  listCustodians,
  migrateToLatest,
  MIGRATION_NAMES,
  putKey,
  queryAuditEvents,
} from '../../../src/store/index.ts';
import { keyRecord, rejectsWithCode, withStore, type StoreFactory } from './fixtures.ts';

export function migrationTests(open: StoreFactory): void {
  describe('migrations', () => {
    it('runs every migration once, in name order; later runs do nothing and keep the data', () =>
      withStore(
        open,
        async (db) => {
          assert.ok(MIGRATION_NAMES.length >= 3);
          assert.deepEqual(await migrateToLatest(db), MIGRATION_NAMES);
          await putKey(db, keyRecord('k1'));
          assert.deepEqual(await migrateToLatest(db), []);
          assert.deepEqual(await migrateToLatest(db), []);
          assert.deepEqual(await getKey(db, 'k1'), keyRecord('k1'));
        },
        false,
      ));

    it('applies each migration exactly once when callers race', () =>
      withStore(
        open,
        async (db) => {
          const runs = await Promise.all([migrateToLatest(db), migrateToLatest(db), migrateToLatest(db)]);
          assert.deepEqual(runs.flat().sort(), [...MIGRATION_NAMES].sort());
          await putKey(db, keyRecord('k1'));
          assert.equal((await getKey(db, 'k1'))?.id, 'k1');
        },
        false,
      ));

    it('repositories fail with ERR_STORE_QUERY on a database that was never migrated', () =>
      withStore(
        open,
        async (db) => {
          await rejectsWithCode(getKey(db, 'k1'), 'ERR_STORE_QUERY');
          await rejectsWithCode(listCustodians(db), 'ERR_STORE_QUERY');
          await rejectsWithCode(queryAuditEvents(db), 'ERR_STORE_QUERY');
        },
        false,
      ));
  });

  describe('column helpers', () => {
    it('a binary column returns the bytes written, as a Uint8Array; a bigint column holds 2^53 - 1 as a number', () =>
      withStore(open, async (db) => {
        await addSerialPrimaryKey(db, db.schema.createTable('scratch_columns'), 'id')
          .addColumn('data', binaryColumnType(db), (c) => c.notNull())
          .addColumn('big', bigintColumnType(db), (c) => c.notNull())
          .execute();
        const scratch = db.withTables<{ scratch_columns: { id: Generated<number>; data: Uint8Array; big: number } }>();
        const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
        const { id } = await scratch
          .insertInto('scratch_columns')
          .values({ data: bytes, big: Number.MAX_SAFE_INTEGER })
          .returning('id')
          .executeTakeFirstOrThrow();
        assert.equal(typeof id, 'number');
        const row = await scratch.selectFrom('scratch_columns').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
        const data = bytesFromColumn(row.data);
        assert.equal(Object.getPrototypeOf(data), Uint8Array.prototype);
        assert.deepEqual(data, bytes);
        assert.equal(row.big, Number.MAX_SAFE_INTEGER);
        await db.schema.dropTable('scratch_columns').execute();
      }));
  });
}
