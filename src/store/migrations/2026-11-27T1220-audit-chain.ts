/**
 * The chained audit log of the TSM service (docs/audit.md): one row per log (its id and when it
 * began) and the records, keyed by (log id, seq). The primary key is what serializes appenders in
 * different processes: two racing appends of the same seq cannot both commit, so the chain cannot
 * fork. MACs are bytes; subjects and detail are JSON text, MACed exactly as stored.
 */
import type { Kysely } from 'kysely';
import { bigintColumnType, binaryColumnType } from '../column-types.ts';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('audit_logs')
    .ifNotExists()
    .addColumn('log_id', 'text', (c) => c.primaryKey())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('audit_chain')
    .ifNotExists()
    .addColumn('log_id', 'text', (c) => c.notNull())
    .addColumn('seq', bigintColumnType(db), (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('request_id', 'text')
    .addColumn('subjects', 'text', (c) => c.notNull())
    .addColumn('result', 'text', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('mac_key', 'text', (c) => c.notNull())
    .addColumn('prev_mac', binaryColumnType(db), (c) => c.notNull())
    .addColumn('mac', binaryColumnType(db), (c) => c.notNull())
    .addPrimaryKeyConstraint('audit_chain_pk', ['log_id', 'seq'])
    .execute();
  await db.schema.createIndex('audit_chain_tenant_seq').ifNotExists().on('audit_chain').columns(['tenant', 'seq']).execute();
}
