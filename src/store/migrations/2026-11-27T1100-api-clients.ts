/**
 * The TSM service's API clients (docs/service.md §3): a client id, the tenant and role it acts as,
 * and its secret only as a salted, keyed hash — never the secret itself.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('api_clients')
    .ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('disabled', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('api_clients_tenant').ifNotExists().on('api_clients').column('tenant').execute();
}
