/**
 * Durable jobs (migration 2026-11-27T1210, docs/jobs.md): the job rows tsm/jobs drives. The store
 * checks shapes only; states and step statuses are tsm/'s vocabulary, kept here as text. Every
 * change is one conditional UPDATE guarded by the states (and owner) the caller expects, so two
 * writers cannot both move a job. Plain functions taking `db` first.
 */
import type { Insertable, Selectable, Updateable } from 'kysely';
import { StoreError, storeOperation } from './errors.ts';
import type { JobsTable, StoreDb } from './schema.ts';
import { bytesFromColumn } from './column-types.ts';
import { assertInteger, assertLimit, assertLookup, assertObject, assertText, isStorableText, MAX_KEY_TEXT, MAX_TEXT } from './validate.ts';

/** A job as the store keeps it; JSON fields are text owned by tsm/. */
export interface StoredJob {
  readonly id: string;
  readonly tenant: string;
  readonly seId: string;
  readonly kind: string;
  readonly state: string;
  readonly stepIndex: number;
  readonly stepName: string | null;
  readonly stepStatus: string;
  readonly idempotencyKey: string;
  readonly requestHash: string;
  readonly params: string;
  /** Sealed by tsm/ when `payloadSealed`; the store never sees the clear bytes of a sensitive payload. */
  readonly payload: Uint8Array | null;
  readonly payloadSealed: boolean;
  readonly expiresAt: string | null;
  readonly attempt: number;
  readonly owner: string | null;
  readonly waitToken: string | null;
  readonly delivery: string | null;
  readonly outputs: string;
  readonly result: string | null;
  readonly errorStep: string | null;
  readonly errorCode: string | null;
  readonly errorSw: number | null;
  readonly errorMessage: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly startedAt: string | null;
  readonly endedAt: string | null;
}

/** The fields a job change may set (`updatedAt` always). */
export type JobChange = Partial<Omit<StoredJob, 'id' | 'tenant' | 'seId' | 'kind' | 'idempotencyKey' | 'requestHash' | 'params' | 'createdAt'>> & {
  readonly updatedAt: string;
};

/** What the row must still be for a change to apply: one of `states`, and (when given) held by `owner`. */
export interface JobGuard {
  readonly states: readonly string[];
  readonly owner?: string | null;
}

/** Most jobs one `listJobs` call returns. */
export const MAX_JOB_PAGE = 1000;

const KEY_FIELDS = ['id', 'tenant', 'seId', 'kind', 'state', 'stepStatus', 'idempotencyKey', 'requestHash'] as const;
const NULLABLE_KEY_FIELDS = ['stepName', 'owner', 'waitToken', 'errorStep', 'errorCode', 'expiresAt', 'startedAt', 'endedAt'] as const;
const NULLABLE_TEXT_FIELDS = ['delivery', 'result', 'errorMessage'] as const;

function assertNullableText(value: unknown, what: string, max: number): void {
  if (value !== null) assertText(value, what, max, 0);
}

function assertFields(r: Record<string, unknown>, partial: boolean): void {
  const has = (f: string): boolean => !partial || r[f] !== undefined;
  for (const f of KEY_FIELDS) if (has(f)) assertText(r[f], `job ${f}`, MAX_KEY_TEXT);
  for (const f of NULLABLE_KEY_FIELDS) if (has(f)) assertNullableText(r[f], `job ${f}`, MAX_KEY_TEXT);
  for (const f of NULLABLE_TEXT_FIELDS) if (has(f)) assertNullableText(r[f], `job ${f}`, MAX_TEXT);
  for (const f of ['params', 'outputs'] as const) if (has(f)) assertText(r[f], `job ${f}`, MAX_TEXT);
  if (has('stepIndex')) assertInteger(r.stepIndex, 'job stepIndex', 0, 10_000);
  if (has('attempt')) assertInteger(r.attempt, 'job attempt', 1, 1_000_000);
  if (has('errorSw') && r.errorSw !== null) assertInteger(r.errorSw, 'job errorSw', 0, 0xffff);
  if (has('payload') && r.payload !== null && !(r.payload instanceof Uint8Array)) throw new StoreError('ERR_STORE_RECORD', 'job payload: expected bytes or null');
  if (has('payloadSealed') && typeof r.payloadSealed !== 'boolean') throw new StoreError('ERR_STORE_RECORD', 'job payloadSealed: expected a boolean');
  if (has('updatedAt')) assertText(r.updatedAt, 'job updatedAt', 64);
  if (has('createdAt')) assertText(r.createdAt, 'job createdAt', 64);
}

/** Validates a complete job record before it is written; messages never quote a value. */
export function assertJob(record: unknown): asserts record is StoredJob {
  assertObject(record, 'job');
  assertFields(record, false);
}

const COLUMNS: { readonly [K in keyof StoredJob]: keyof JobsTable } = {
  id: 'id', tenant: 'tenant', seId: 'se_id', kind: 'kind', state: 'state', stepIndex: 'step_index', stepName: 'step_name',
  stepStatus: 'step_status', idempotencyKey: 'idempotency_key', requestHash: 'request_hash', params: 'params', payload: 'payload',
  payloadSealed: 'payload_sealed', expiresAt: 'expires_at', attempt: 'attempt', owner: 'owner', waitToken: 'wait_token',
  delivery: 'delivery', outputs: 'outputs', result: 'result', errorStep: 'error_step', errorCode: 'error_code', errorSw: 'error_sw',
  errorMessage: 'error_message', createdAt: 'created_at', updatedAt: 'updated_at', startedAt: 'started_at', endedAt: 'ended_at',
};

function toColumns(r: Partial<StoredJob>): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(r)) {
    const column = COLUMNS[field as keyof StoredJob];
    if (column === undefined || value === undefined) continue;
    row[column] = field === 'payloadSealed' ? (value === true ? 1 : 0) : value;
  }
  return row;
}

function fromRow(row: Selectable<JobsTable>): StoredJob {
  const record: StoredJob = {
    id: row.id, tenant: row.tenant, seId: row.se_id, kind: row.kind, state: row.state, stepIndex: Number(row.step_index),
    stepName: row.step_name, stepStatus: row.step_status, idempotencyKey: row.idempotency_key, requestHash: row.request_hash,
    params: row.params, payload: row.payload === null ? null : bytesFromColumn(row.payload), payloadSealed: Number(row.payload_sealed) !== 0,
    expiresAt: row.expires_at, attempt: Number(row.attempt), owner: row.owner, waitToken: row.wait_token, delivery: row.delivery,
    outputs: row.outputs, result: row.result, errorStep: row.error_step, errorCode: row.error_code,
    errorSw: row.error_sw === null ? null : Number(row.error_sw), errorMessage: row.error_message, createdAt: row.created_at,
    updatedAt: row.updated_at, startedAt: row.started_at, endedAt: row.ended_at,
  };
  try {
    assertJob(record);
  } catch (cause) {
    throw new StoreError('ERR_STORE_RECORD', 'jobs: a stored row does not have the shape the store writes', { cause });
  }
  return record;
}

/**
 * Adds a job unless the tenant already has one under its idempotency key (or the id is taken):
 * true when added, false when not — one `INSERT … ON CONFLICT DO NOTHING`, atomic on both dialects.
 */
export async function insertJob(db: StoreDb, record: StoredJob): Promise<boolean> {
  assertJob(record);
  const inserted = await storeOperation('insertJob', () =>
    db.insertInto('jobs').values(toColumns(record) as Insertable<JobsTable>).onConflict((oc) => oc.doNothing()).executeTakeFirst(),
  );
  return Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1;
}

/** The job `id`, or undefined. */
export async function getJob(db: StoreDb, id: string): Promise<StoredJob | undefined> {
  assertLookup(id, 'getJob id');
  if (!isStorableText(id, MAX_KEY_TEXT)) return undefined;
  const row = await storeOperation('getJob', () => db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst());
  return row === undefined ? undefined : fromRow(row);
}

/** The tenant's job under `idempotencyKey`, or undefined. */
export async function findJobByKey(db: StoreDb, tenant: string, idempotencyKey: string): Promise<StoredJob | undefined> {
  assertLookup(tenant, 'findJobByKey tenant');
  assertLookup(idempotencyKey, 'findJobByKey idempotencyKey');
  if (!isStorableText(tenant, MAX_KEY_TEXT) || !isStorableText(idempotencyKey, MAX_KEY_TEXT)) return undefined;
  const row = await storeOperation('findJobByKey', () =>
    db.selectFrom('jobs').selectAll().where('tenant', '=', tenant).where('idempotency_key', '=', idempotencyKey).executeTakeFirst(),
  );
  return row === undefined ? undefined : fromRow(row);
}

/** The job waiting on `token`, or undefined. */
export async function findJobByWaitToken(db: StoreDb, token: string): Promise<StoredJob | undefined> {
  assertLookup(token, 'findJobByWaitToken token');
  if (!isStorableText(token, MAX_KEY_TEXT)) return undefined;
  const row = await storeOperation('findJobByWaitToken', () => db.selectFrom('jobs').selectAll().where('wait_token', '=', token).executeTakeFirst());
  return row === undefined ? undefined : fromRow(row);
}

/** What `listJobs` selects: jobs in one of `states`, narrowed by the optional fields. */
export interface JobFilter {
  readonly states: readonly string[];
  /** Only this SE's jobs. */
  readonly seId?: string;
  /** Only jobs no engine owns. */
  readonly unowned?: boolean;
  /** Only jobs whose SE has no lock row (docs/jobs.md: one job at a time per SE). */
  readonly seFree?: boolean;
  /** Only jobs that expire at or before this ISO 8601 time. */
  readonly expiredAt?: string;
  readonly limit: number;
}

/** Jobs matching `filter`, oldest first (queue order), at most `filter.limit`. */
export async function listJobs(db: StoreDb, filter: JobFilter): Promise<readonly StoredJob[]> {
  assertObject(filter, 'listJobs filter');
  assertLimit(filter.limit, 'listJobs limit', MAX_JOB_PAGE);
  if (!Array.isArray(filter.states) || filter.states.length === 0) throw new StoreError('ERR_STORE_PARAM', 'listJobs states: expected a non-empty array');
  for (const s of filter.states) assertLookup(s, 'listJobs state');
  if (filter.seId !== undefined) assertLookup(filter.seId, 'listJobs seId');
  if (filter.expiredAt !== undefined) assertLookup(filter.expiredAt, 'listJobs expiredAt');
  const rows = await storeOperation('listJobs', () => {
    let query = db.selectFrom('jobs').selectAll().where('state', 'in', filter.states);
    if (filter.seId !== undefined) query = query.where('se_id', '=', filter.seId);
    if (filter.unowned === true) query = query.where('owner', 'is', null);
    if (filter.seFree === true) query = query.where('se_id', 'not in', db.selectFrom('se_locks').select('se_id'));
    if (filter.expiredAt !== undefined) query = query.where('expires_at', 'is not', null).where('expires_at', '<=', filter.expiredAt);
    return query.orderBy('seq').limit(filter.limit).execute();
  });
  return rows.map(fromRow);
}

/**
 * Applies `change` to job `id` if and only if it is in one of `guard.states` (and, when
 * `guard.owner` is given, held by that owner; null = unowned): one conditional UPDATE. True when
 * it applied; false when the job is gone or no longer what the caller expected.
 */
export async function updateJob(db: StoreDb, id: string, guard: JobGuard, change: JobChange): Promise<boolean> {
  assertLookup(id, 'updateJob id');
  assertObject(guard, 'updateJob guard');
  if (!Array.isArray(guard.states) || guard.states.length === 0) throw new StoreError('ERR_STORE_PARAM', 'updateJob states: expected a non-empty array');
  assertObject(change, 'updateJob change');
  assertFields(change, true);
  const result = await storeOperation('updateJob', () => {
    let query = db.updateTable('jobs').set(toColumns(change) as Updateable<JobsTable>).where('id', '=', id).where('state', 'in', guard.states);
    if (guard.owner === null) query = query.where('owner', 'is', null);
    else if (guard.owner !== undefined) query = query.where('owner', '=', guard.owner);
    return query.executeTakeFirst();
  });
  return Number(result.numUpdatedRows) === 1;
}
