/**
 * The MNO's SE registry (docs/service.md "MNO API"): card batches (ISD master key ids), Secure
 * Elements (ISD/OTA key ids, platform, status), subscriptions (MSISDN only as a keyed hash, one live
 * subscription per MSISDN and MNO) and the notifications received.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('se_batches').ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('mno', 'text', (c) => c.notNull())
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('enc', 'text', (c) => c.notNull())
    .addColumn('mac', 'text', (c) => c.notNull())
    .addColumn('dek', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createTable('secure_elements').ifNotExists()
    .addColumn('se_id', 'text', (c) => c.primaryKey())
    .addColumn('mno', 'text', (c) => c.notNull())
    .addColumn('platform', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('isd', 'text', (c) => c.notNull())
    .addColumn('ara_aid', 'text')
    .addColumn('ota', 'text')
    .addColumn('batch_id', 'text')
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('secure_elements_mno').ifNotExists().on('secure_elements').columns(['mno', 'se_id']).execute();
  await db.schema.createTable('subscriptions').ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('mno', 'text', (c) => c.notNull())
    .addColumn('alias', 'text', (c) => c.notNull().unique())
    .addColumn('msisdn_hash', 'text', (c) => c.notNull())
    .addColumn('live_msisdn_hash', 'text')
    .addColumn('se_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('ended_at', 'text')
    .execute();
  // NULLs are distinct in a unique index on both dialects: ended subscriptions do not collide.
  await db.schema.createIndex('subscriptions_live_msisdn').ifNotExists().unique().on('subscriptions').columns(['mno', 'live_msisdn_hash']).execute();
  await db.schema.createIndex('subscriptions_se_id').ifNotExists().on('subscriptions').column('se_id').execute();
  await db.schema.createTable('se_notifications').ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('mno', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('se_id', 'text', (c) => c.notNull())
    .addColumn('reason', 'integer')
    .addColumn('from_status', 'text')
    .addColumn('to_status', 'text')
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('se_notifications_se_id').ifNotExists().on('se_notifications').columns(['se_id', 'received_at']).execute();
}
