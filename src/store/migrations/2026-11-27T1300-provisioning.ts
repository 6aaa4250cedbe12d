/**
 * Provisioning (docs/provisioning.md): service instances on SEs, the SP's Supplementary Security
 * Domains with the HSM ids of their per-SE keys (never values), and the per-SE mirror of the card's
 * GlobalPlatform registry as last read with GET STATUS.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('service_instances')
    .ifNotExists()
    .addColumn('instance_id', 'text', (c) => c.primaryKey())
    .addColumn('sp', 'text', (c) => c.notNull())
    .addColumn('service_id', 'text', (c) => c.notNull())
    .addColumn('se_id', 'text', (c) => c.notNull())
    .addColumn('aid', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('card_id', 'text')
    .addColumn('job_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  // One live instance of an AID per SE (a terminated one may be deployed again).
  await db.schema.createIndex('service_instances_live_aid').ifNotExists().on('service_instances').columns(['se_id', 'aid']).unique()
    .where(sql.ref('state'), '<>', 'terminated').execute();
  await db.schema.createIndex('service_instances_se').ifNotExists().on('service_instances').column('se_id').execute();
  await db.schema.createIndex('service_instances_sp').ifNotExists().on('service_instances').columns(['sp', 'service_id']).execute();

  await db.schema
    .createTable('sp_security_domains')
    .ifNotExists()
    .addColumn('se_id', 'text', (c) => c.notNull())
    .addColumn('aid', 'text', (c) => c.notNull())
    .addColumn('sp', 'text', (c) => c.notNull())
    .addColumn('kvn', 'integer', (c) => c.notNull())
    .addColumn('enc_key', 'text', (c) => c.notNull())
    .addColumn('mac_key', 'text', (c) => c.notNull())
    .addColumn('dek_key', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('sp_security_domains_pk', ['se_id', 'aid'])
    .execute();

  await db.schema
    .createTable('se_registry_mirror')
    .ifNotExists()
    .addColumn('se_id', 'text', (c) => c.notNull())
    .addColumn('aid', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('lifecycle', 'integer', (c) => c.notNull())
    .addColumn('privileges', 'text')
    .addColumn('sd_aid', 'text')
    .addColumn('read_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('se_registry_mirror_pk', ['se_id', 'kind', 'aid'])
    .execute();
}
