/**
 * The SP's service catalog (docs/service.md "SP API"): one row per service, its flavours, key ids
 * and issuer certificate as JSON text owned by tsm/catalog.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('services').ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('sp', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('record', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('services_sp_id').ifNotExists().on('services').columns(['sp', 'id']).execute();
}
