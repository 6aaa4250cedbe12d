/**
 * A job's step history (migration 2026-11-27T1210, docs/jobs.md): append-only — the store has no
 * function that changes or removes an entry. Entries are ordered by a database-assigned `seq`.
 */
import { StoreError, storeOperation } from './errors.ts';
import type { StoreDb } from './schema.ts';
import { assertInteger, assertLookup, assertObject, assertText, isStorableText, MAX_KEY_TEXT, MAX_TEXT } from './validate.ts';

/** One history entry. `step` is null for job-level entries (queued, retry, expired, terminated…). */
export interface JobStepRecord {
  readonly jobId: string;
  readonly step: string | null;
  readonly stepIndex: number | null;
  readonly outcome: string;
  readonly attempt: number;
  readonly at: string;
  /** JSON text owned by tsm/ (never personal data), or null. */
  readonly detail: string | null;
}

/** A stored history entry with its sequence number. */
export interface StoredJobStep extends JobStepRecord {
  readonly seq: number;
}

/** Validates a history entry before it is written; messages never quote a value. */
export function assertJobStep(record: unknown): asserts record is JobStepRecord {
  assertObject(record, 'job step');
  assertText(record.jobId, 'job step jobId', MAX_KEY_TEXT);
  if (record.step !== null) assertText(record.step, 'job step step', MAX_KEY_TEXT);
  if (record.stepIndex !== null) assertInteger(record.stepIndex, 'job step stepIndex', 0, 10_000);
  if ((record.step === null) !== (record.stepIndex === null)) throw new StoreError('ERR_STORE_RECORD', 'job step: step and stepIndex are both set or both null');
  assertText(record.outcome, 'job step outcome', MAX_KEY_TEXT);
  assertInteger(record.attempt, 'job step attempt', 1, 1_000_000);
  assertText(record.at, 'job step at', 64);
  if (record.detail !== null) assertText(record.detail, 'job step detail', MAX_TEXT, 0);
}

/** Appends one entry to a job's history (the caller's transaction, when `db` is one); returns its `seq`. */
export async function appendJobStep(db: StoreDb, record: JobStepRecord): Promise<number> {
  assertJobStep(record);
  const row = await storeOperation('appendJobStep', () =>
    db
      .insertInto('job_steps')
      .values({
        job_id: record.jobId, step: record.step, step_index: record.stepIndex, outcome: record.outcome, attempt: record.attempt,
        at: record.at, detail: record.detail,
      })
      .returning('seq')
      .executeTakeFirstOrThrow(),
  );
  return Number(row.seq);
}

/** A job's history, oldest first. */
export async function listJobSteps(db: StoreDb, jobId: string): Promise<readonly StoredJobStep[]> {
  assertLookup(jobId, 'listJobSteps jobId');
  if (!isStorableText(jobId, MAX_KEY_TEXT)) return [];
  const rows = await storeOperation('listJobSteps', () => db.selectFrom('job_steps').selectAll().where('job_id', '=', jobId).orderBy('seq').execute());
  return rows.map((row) => {
    const record: StoredJobStep = {
      seq: Number(row.seq), jobId: row.job_id, step: row.step, stepIndex: row.step_index === null ? null : Number(row.step_index),
      outcome: row.outcome, attempt: Number(row.attempt), at: row.at, detail: row.detail,
    };
    try {
      assertJobStep(record);
    } catch (cause) {
      throw new StoreError('ERR_STORE_RECORD', 'job_steps: a stored row does not have the shape the store writes', { cause });
    }
    return record;
  });
}
