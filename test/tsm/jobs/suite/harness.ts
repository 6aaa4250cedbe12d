/** Opening engines on a fresh database for the job engine suite, and collecting their events. */
import { closeDatabase, migrateToLatest, type StoreDb } from '../../../../src/store/index.ts';
import { JobEngine, type JobEngineOptions, type JobEvent } from '../../../../src/tsm/jobs/index.ts';

/** Opens a fresh, empty, unmigrated database; each call must return a new one. */
export type StoreFactory = () => Promise<StoreDb>;

/** Runs `body` on a fresh migrated database, closing it afterwards. */
export async function withDb(open: StoreFactory, body: (db: StoreDb) => Promise<void>): Promise<void> {
  const db = await open();
  try {
    await migrateToLatest(db);
    await body(db);
  } finally {
    await closeDatabase(db);
  }
}

/** Events seen by every engine of one test, in order. */
export class EventLog {
  readonly events: JobEvent[] = [];
  ended(jobId: string): JobEvent[] {
    return this.events.filter((e) => e.type === 'ended' && e.job.id === jobId);
  }
  types(jobId: string): string[] {
    return this.events.filter((e) => e.job.id === jobId).map((e) => (e.step === undefined ? e.type : `${e.type}:${e.step}`));
  }
}

/** A new engine on `db` recording into `log`, with `extra` called on each event after recording. */
export function engineOn(
  db: StoreDb,
  log: EventLog,
  options: Omit<JobEngineOptions, 'db' | 'onEvent'> & { readonly onEvent?: (e: JobEvent) => void },
): JobEngine {
  const { onEvent, ...rest } = options;
  return new JobEngine({
    db, pollIntervalMs: 0, ...rest,
    onEvent: (e) => {
      log.events.push(e);
      onEvent?.(e);
    },
  });
}
