/**
 * One job at a time per SE (migration 2026-11-27T1210, docs/jobs.md): a lock row per busy SE,
 * taken with one `INSERT … ON CONFLICT DO NOTHING` (atomic on both dialects: of two concurrent
 * takers exactly one wins) and released by the job that holds it.
 */
import { storeOperation } from './errors.ts';
import type { StoreDb } from './schema.ts';
import { assertLookup, assertText, isStorableText, MAX_KEY_TEXT } from './validate.ts';

/** A held SE lock. */
export interface SeLock {
  readonly seId: string;
  readonly jobId: string;
  readonly at: string;
}

/** Takes the lock on `seId` for `jobId`: true when taken, false when another job (or this one) already holds it. */
export async function acquireSeLock(db: StoreDb, seId: string, jobId: string, at: string): Promise<boolean> {
  assertText(seId, 'se lock seId', MAX_KEY_TEXT);
  assertText(jobId, 'se lock jobId', MAX_KEY_TEXT);
  assertText(at, 'se lock at', 64);
  const inserted = await storeOperation('acquireSeLock', () =>
    db.insertInto('se_locks').values({ se_id: seId, job_id: jobId, at }).onConflict((oc) => oc.column('se_id').doNothing()).executeTakeFirst(),
  );
  return Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1;
}

/** Releases every lock `jobId` holds; returns how many (0 or 1). A lock held by another job is untouched. */
export async function releaseSeLocks(db: StoreDb, jobId: string): Promise<number> {
  assertLookup(jobId, 'releaseSeLocks jobId');
  if (!isStorableText(jobId, MAX_KEY_TEXT)) return 0;
  const result = await storeOperation('releaseSeLocks', () => db.deleteFrom('se_locks').where('job_id', '=', jobId).executeTakeFirst());
  return Number(result.numDeletedRows);
}

/** The lock on `seId`, or undefined when the SE is free. */
export async function getSeLock(db: StoreDb, seId: string): Promise<SeLock | undefined> {
  assertLookup(seId, 'getSeLock seId');
  if (!isStorableText(seId, MAX_KEY_TEXT)) return undefined;
  const row = await storeOperation('getSeLock', () => db.selectFrom('se_locks').selectAll().where('se_id', '=', seId).executeTakeFirst());
  return row === undefined ? undefined : { seId: row.se_id, jobId: row.job_id, at: row.at };
}

/** The SEs currently locked (for the dispatcher to skip), at most `limit`. */
export async function listSeLocks(db: StoreDb, limit: number): Promise<readonly SeLock[]> {
  const rows = await storeOperation('listSeLocks', () => db.selectFrom('se_locks').selectAll().orderBy('se_id').limit(limit).execute());
  return rows.map((row) => ({ seId: row.se_id, jobId: row.job_id, at: row.at }));
}

/** Releases the locks still held by jobs in one of `states` (the ended ones, after a crash); returns how many. */
export async function releaseSeLocksOfJobsIn(db: StoreDb, states: readonly string[]): Promise<number> {
  for (const s of states) assertLookup(s, 'releaseSeLocksOfJobsIn state');
  if (states.length === 0) return 0;
  const result = await storeOperation('releaseSeLocksOfJobsIn', () =>
    db.deleteFrom('se_locks').where('job_id', 'in', db.selectFrom('jobs').select('id').where('state', 'in', states)).executeTakeFirst(),
  );
  return Number(result.numDeletedRows);
}
