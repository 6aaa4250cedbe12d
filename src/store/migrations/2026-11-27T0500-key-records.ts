/**
 * Key records of the software HSM (src/hsm/key-record-store.ts): attributes as columns so that
 * they can be filtered, the secret only as a TR-31 key block already wrapped under the LMK.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('key_records')
    .ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('usage', 'text', (c) => c.notNull())
    .addColumn('algorithm', 'text', (c) => c.notNull())
    .addColumn('mode_of_use', 'text', (c) => c.notNull())
    .addColumn('exportability', 'text', (c) => c.notNull())
    .addColumn('length', 'integer', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('label', 'text')
    .addColumn('class', 'text', (c) => c.notNull())
    .addColumn('kcv', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('active', 'retired', 'destroyed')`))
    .addColumn('key_block', 'text', (c) => c.notNull())
    .addColumn('lmk_kcv', 'text', (c) => c.notNull())
    .addColumn('public_key', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  // listKeys filters by owner (and usage); labels are not indexed: they may be long.
  await db.schema.createIndex('key_records_owner_usage').ifNotExists().on('key_records').columns(['owner', 'usage']).execute();
  // listKeysNotUnder pages through the records of an old LMK in id order.
  await db.schema.createIndex('key_records_lmk_kcv_id').ifNotExists().on('key_records').columns(['lmk_kcv', 'id']).execute();
}
