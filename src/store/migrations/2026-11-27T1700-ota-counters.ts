/**
 * SCP80 counters per SE and OTA key set (ETSI TS 102 225 §5.1.1 CNTR; docs/ota.md "The TSM side"):
 * the last counter value the TSM handed out, so a value is never sent twice, even across processes
 * and restarts. The counter is a 5-byte value: a 64-bit column holds it on both dialects.
 */
import type { Kysely } from 'kysely';
import { bigintColumnType } from '../column-types.ts';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('ota_counters').ifNotExists()
    .addColumn('se_id', 'text', (c) => c.notNull())
    .addColumn('key_set', 'text', (c) => c.notNull())
    .addColumn('counter', bigintColumnType(db), (c) => c.notNull())
    .addPrimaryKeyConstraint('ota_counters_pk', ['se_id', 'key_set'])
    .execute();
}
