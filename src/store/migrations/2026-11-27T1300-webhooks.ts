/**
 * Signed webhooks (docs/webhooks.md): the endpoints a Service Provider registered (URL and the event
 * types it wants; never its signing secret, which tsm/ re-derives in the HSM) and one delivery row
 * per event and endpoint, persisted before the first attempt so that a restart resumes it.
 */
import type { Kysely } from 'kysely';
import { addSerialPrimaryKey } from '../column-types.ts';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('webhook_endpoints')
    .ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('events', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('webhook_endpoints_tenant').ifNotExists().on('webhook_endpoints').column('tenant').execute();
  await addSerialPrimaryKey(db, db.schema.createTable('webhook_deliveries').ifNotExists(), 'seq')
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('endpoint_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at', 'text', (c) => c.notNull())
    .addColumn('last_status', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('delivered_at', 'text')
    .execute();
  await db.schema.createIndex('webhook_deliveries_state_next').ifNotExists().on('webhook_deliveries').columns(['state', 'next_attempt_at']).execute();
  await db.schema.createIndex('webhook_deliveries_endpoint_id').ifNotExists().on('webhook_deliveries').columns(['endpoint_id', 'state']).execute();
  await db.schema.createIndex('webhook_deliveries_event_id').ifNotExists().on('webhook_deliveries').column('event_id').execute();
}
