/**
 * Claiming work (docs/jobs.md §"Per-SE serialization"): jobs handed back to the pool (a delivery
 * arrived, a crashed engine's jobs taken over) and queued jobs, oldest first, at most one per SE —
 * a queued job starts only when the lock row of its SE is inserted, in the same transaction that
 * moves it to `running`. A queued job past its validity is expired instead, never executed.
 */
import { acquireSeLock, appendJobStep, listJobs, releaseSeLocks, updateJob, type StoredJob } from '../../store/index.ts';
import { checkAlive, Fenced, jobInfo, transition, type EngineRuntime } from './runtime.ts';

/** Expired queued jobs ended per claiming round. */
const QUEUE_WINDOW = 200;

/** Whether a queued job's validity (GP ValidityPeriod) has passed. */
export function isExpired(job: StoredJob, now: Date): boolean {
  return job.expiresAt !== null && job.expiresAt <= now.toISOString();
}

/** Expires a queued job (GPS_SPE_002: EXPIRED, not executed); false when it was no longer queued. */
export async function expireJob(rt: EngineRuntime, job: StoredJob): Promise<boolean> {
  try {
    const ended = await transition(
      rt, job, { states: ['queued'] },
      { state: 'expired', owner: null, payload: null, endedAt: rt.now().toISOString() },
      { step: null, stepIndex: null, outcome: 'expired' },
      true,
    );
    rt.emit({ type: 'ended', job: jobInfo(ended), at: ended.updatedAt, state: 'expired' });
    return true;
  } catch (error) {
    if (error instanceof Fenced) return false;
    throw error;
  }
}

/** Takes one queued job: its SE's lock and `running` under this owner, atomically; undefined when either is taken. */
async function claimQueued(rt: EngineRuntime, job: StoredJob): Promise<StoredJob | undefined> {
  checkAlive(rt);
  const at = rt.now().toISOString();
  const change = { state: 'running', owner: rt.owner, startedAt: job.startedAt ?? at, updatedAt: at } as const;
  const claimed = await rt.db.transaction().execute(async (trx) => {
    if (!(await acquireSeLock(trx, job.seId, job.id, at))) return false;
    if (!(await updateJob(trx, job.id, { states: ['queued'] }, change))) {
      await releaseSeLocks(trx, job.id);
      return false;
    }
    await appendJobStep(trx, { jobId: job.id, step: null, stepIndex: null, outcome: 'started', attempt: job.attempt, at, detail: null });
    return true;
  });
  if (!claimed) return undefined;
  const started: StoredJob = { ...job, ...change };
  rt.emit({ type: 'started', job: jobInfo(started), at, step: job.stepName ?? undefined });
  return started;
}

/** Takes a running job nobody owns (a delivery arrived, or its engine was replaced). */
async function claimUnowned(rt: EngineRuntime, job: StoredJob): Promise<StoredJob | undefined> {
  checkAlive(rt);
  const at = rt.now().toISOString();
  const ok = await updateJob(rt.db, job.id, { states: ['running'], owner: null }, { owner: rt.owner, updatedAt: at });
  return ok ? { ...job, owner: rt.owner, updatedAt: at } : undefined;
}

/** Claims up to `room` jobs for this engine, expiring the queued ones whose validity passed. */
export async function claimJobs(rt: EngineRuntime, room: number): Promise<StoredJob[]> {
  const claimed: StoredJob[] = [];
  if (room <= 0) return claimed;
  for (const job of await listJobs(rt.db, { states: ['running'], unowned: true, limit: room })) {
    const mine = await claimUnowned(rt, job);
    if (mine !== undefined) claimed.push(mine);
  }
  for (const job of await listJobs(rt.db, { states: ['queued'], expiredAt: rt.now().toISOString(), limit: QUEUE_WINDOW })) await expireJob(rt, job);
  const triedSe = new Set<string>();
  for (const job of await listJobs(rt.db, { states: ['queued'], seFree: true, limit: (room - claimed.length) * 2 + 8 })) {
    if (claimed.length >= room) break;
    if (isExpired(job, rt.now())) {
      await expireJob(rt, job);
      continue;
    }
    if (triedSe.has(job.seId)) continue; // one try per SE per round, oldest first
    triedSe.add(job.seId);
    const mine = await claimQueued(rt, job);
    if (mine !== undefined) claimed.push(mine);
  }
  return claimed;
}
