/**
 * What the engine's parts share: the database, this engine's owner id, the kinds, the cipher, the
 * clock, the event hook — and the one way a job changes: a fenced transition that updates the row
 * (guarded by the state and owner the writer expects) and appends to its history in one transaction.
 */
import { appendJobStep, releaseSeLocks, updateJob, type JobChange, type JobGuard, type StoreDb, type StoredJob } from '../../store/index.ts';
import type { JobEvent, JobInfo, JobKind } from './types.ts';
import type { PayloadCipher } from './payload-cipher.ts';

/** Internal: the engine was abandoned (a simulated or real crash); nothing more may be written. */
export class Abandoned extends Error {
  constructor() {
    super('jobs: the engine was abandoned');
  }
}

/** Internal: the job is no longer what this writer expected (terminated, or taken over by another engine). */
export class Fenced extends Error {
  constructor(jobId: string) {
    super(`jobs: job ${jobId} changed under this writer`);
  }
}

/** The engine's lifecycle flags, read by every writer. */
export interface EngineLife {
  /** Stop claiming; running jobs hand themselves back at the next step boundary. */
  closing: boolean;
  /** Stop at once and write nothing more: what a killed process does. */
  abandoned: boolean;
}

/** Shared state of one engine instance. */
export interface EngineRuntime {
  readonly db: StoreDb;
  /** This engine instance's id: the `owner` of the jobs it drives. */
  readonly owner: string;
  readonly kinds: ReadonlyMap<string, JobKind>;
  readonly cipher: PayloadCipher | undefined;
  readonly life: EngineLife;
  now(): Date;
  emit(event: JobEvent): void;
}

/** One history entry to append with a transition (`step` null: a job-level entry). */
export interface HistoryEntry {
  readonly step: string | null;
  readonly stepIndex: number | null;
  readonly outcome: string;
  readonly detail?: string;
}

/** Throws `Abandoned` once the engine was abandoned. */
export function checkAlive(rt: EngineRuntime): void {
  if (rt.life.abandoned) throw new Abandoned();
}

/**
 * Applies `change` to `job` under `guard` and appends `entry` (or several, in order), in one
 * transaction; releases the job's SE lock in it too when `release`. Throws `Fenced` (nothing
 * written) when the guard fails. Returns the job as it now is.
 */
export async function transition(
  rt: EngineRuntime,
  job: StoredJob,
  guard: JobGuard,
  change: Omit<JobChange, 'updatedAt'>,
  entry: HistoryEntry | readonly HistoryEntry[],
  release = false,
): Promise<StoredJob> {
  checkAlive(rt);
  const at = rt.now().toISOString();
  const full: JobChange = { ...change, updatedAt: at };
  await rt.db.transaction().execute(async (trx) => {
    if (!(await updateJob(trx, job.id, guard, full))) throw new Fenced(job.id);
    for (const e of Array.isArray(entry) ? (entry as readonly HistoryEntry[]) : [entry as HistoryEntry]) {
      await appendJobStep(trx, {
        jobId: job.id, step: e.step, stepIndex: e.stepIndex, outcome: e.outcome, attempt: change.attempt ?? job.attempt, at, detail: e.detail ?? null,
      });
    }
    if (release) await releaseSeLocks(trx, job.id);
  });
  if (change.payload === null && job.payload !== null && job.payloadSealed) discardSealed(rt, job.payload, job.tenant);
  return { ...job, ...full };
}

/**
 * Once an erased sealed payload is committed gone, lets the cipher destroy what it sealed it with
 * (HsmPayloadCipher: the payload's own record key). Best effort: a key left behind by a crash here
 * opens nothing, since the sealed bytes are already erased.
 */
function discardSealed(rt: EngineRuntime, sealed: Uint8Array, tenant: string): void {
  const cipher = rt.cipher;
  if (cipher?.discard === undefined) return;
  cipher.discard(sealed, tenant).catch(() => undefined);
}

/** Who a stored job is, for steps and events. */
export function jobInfo(job: StoredJob): JobInfo {
  return { id: job.id, tenant: job.tenant, seId: job.seId, kind: job.kind, attempt: job.attempt };
}

/** Emits an event, keeping a throwing hook from breaking the engine. */
export function emitSafely(hook: ((event: JobEvent) => void) | undefined, event: JobEvent): void {
  if (hook === undefined) return;
  try {
    hook(event);
  } catch {
    // A hook's failure is the hook's: the job's state is already committed.
  }
}
