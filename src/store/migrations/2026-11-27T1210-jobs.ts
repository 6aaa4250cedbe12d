/**
 * Durable jobs (docs/jobs.md): one row per job with its state, current step and idempotency key
 * (unique per tenant); an append-only step history; and one lock row per SE, held by the job that
 * is working on it, so that at most one job at a time touches an SE.
 */
import type { Kysely } from 'kysely';
import { addSerialPrimaryKey, binaryColumnType } from '../column-types.ts';

export async function up(db: Kysely<unknown>): Promise<void> {
  await addSerialPrimaryKey(db, db.schema.createTable('jobs').ifNotExists(), 'seq')
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('tenant', 'text', (c) => c.notNull())
    .addColumn('se_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('step_index', 'integer', (c) => c.notNull())
    .addColumn('step_name', 'text')
    .addColumn('step_status', 'text', (c) => c.notNull())
    .addColumn('idempotency_key', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('params', 'text', (c) => c.notNull())
    .addColumn('payload', binaryColumnType(db))
    .addColumn('payload_sealed', 'integer', (c) => c.notNull())
    .addColumn('expires_at', 'text')
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('owner', 'text')
    .addColumn('wait_token', 'text', (c) => c.unique())
    .addColumn('delivery', 'text')
    .addColumn('outputs', 'text', (c) => c.notNull())
    .addColumn('result', 'text')
    .addColumn('error_step', 'text')
    .addColumn('error_code', 'text')
    .addColumn('error_sw', 'integer')
    .addColumn('error_message', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('ended_at', 'text')
    .addUniqueConstraint('jobs_tenant_idempotency_key', ['tenant', 'idempotency_key'])
    .execute();
  await db.schema.createIndex('jobs_state_seq').ifNotExists().on('jobs').columns(['state', 'seq']).execute();
  await db.schema.createIndex('jobs_se_id_seq').ifNotExists().on('jobs').columns(['se_id', 'seq']).execute();
  await addSerialPrimaryKey(db, db.schema.createTable('job_steps').ifNotExists(), 'seq')
    .addColumn('job_id', 'text', (c) => c.notNull().references('jobs.id').onDelete('cascade'))
    .addColumn('step', 'text')
    .addColumn('step_index', 'integer')
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('detail', 'text')
    .execute();
  await db.schema.createIndex('job_steps_job_id_seq').ifNotExists().on('job_steps').columns(['job_id', 'seq']).execute();
  await db.schema
    .createTable('se_locks')
    .ifNotExists()
    .addColumn('se_id', 'text', (c) => c.primaryKey())
    .addColumn('job_id', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('se_locks_job_id').ifNotExists().on('se_locks').column('job_id').execute();
}
