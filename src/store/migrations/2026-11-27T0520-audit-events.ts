/**
 * The audit log (src/hsm/audit.ts AuditEvent): one row per event, ordered by a database-assigned
 * sequence number, and the keys each event names (by id and KCV) in a child table so that a key's
 * history can be found by index.
 */
import type { Kysely } from 'kysely';
import { addSerialPrimaryKey, bigintColumnType } from '../column-types.ts';

export async function up(db: Kysely<unknown>): Promise<void> {
  await addSerialPrimaryKey(db, db.schema.createTable('audit_events').ifNotExists(), 'seq')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('request_id', 'text')
    .addColumn('operation', 'text', (c) => c.notNull())
    .addColumn('result', 'text', (c) => c.notNull())
    .addColumn('code', 'text')
    .addColumn('detail', 'text')
    .execute();
  await db.schema.createIndex('audit_events_tenant_seq').ifNotExists().on('audit_events').columns(['tenant', 'seq']).execute();
  await db.schema
    .createTable('audit_event_keys')
    .ifNotExists()
    .addColumn('event_seq', bigintColumnType(db), (c) => c.notNull().references('audit_events.seq').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('kcv', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('audit_event_keys_pk', ['event_seq', 'position'])
    .execute();
  await db.schema.createIndex('audit_event_keys_key_id').ifNotExists().on('audit_event_keys').columns(['key_id', 'event_seq']).execute();
}
