/**
 * Schema migrations: Kysely's Migrator over a static list (no directory scanning, so the same code
 * runs from src/ under tsx and from dist/). One timestamp-named file per migration in
 * migrations/; forward only — a schema change is a new migration, never an edit of an old one.
 *
 * Atomicity: on PostgreSQL Kysely runs all pending migrations in one transaction. On SQLite it uses
 * none (its SqliteAdapter reports no transactional DDL), so every statement of a migration is
 * `if not exists`: a migration cut short (a crash, a full disk) completes when run again.
 */
import { Migrator, type Migration, type MigrationProvider } from 'kysely';
import { StoreError, sanitizeCause } from './errors.ts';
import type { StoreDb } from './schema.ts';
import * as keyRecords from './migrations/2026-11-27T0500-key-records.ts';
import * as custodians from './migrations/2026-11-27T0510-custodians.ts';
import * as auditEvents from './migrations/2026-11-27T0520-audit-events.ts';
import * as issuerCards from './migrations/2026-11-27T0530-issuer-cards.ts';
import * as apiClients from './migrations/2026-11-27T1100-api-clients.ts';
import * as auditChain from './migrations/2026-11-27T1220-audit-chain.ts';
import * as jobs from './migrations/2026-11-27T1210-jobs.ts';
import * as webhooks from './migrations/2026-11-27T1300-webhooks.ts';
import * as registry from './migrations/2026-11-27T1305-registry.ts';
import * as services from './migrations/2026-11-27T1310-services.ts';
import * as provisioning from './migrations/2026-11-27T1300-provisioning.ts';
import * as otaCounters from './migrations/2026-11-27T1700-ota-counters.ts';

/** Every migration, by name (= its file name without `.ts`); names sort in the order they run. */
const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '2026-11-27T0500-key-records': keyRecords,
  '2026-11-27T0510-custodians': custodians,
  '2026-11-27T0520-audit-events': auditEvents,
  '2026-11-27T0530-issuer-cards': issuerCards,
  '2026-11-27T1100-api-clients': apiClients,
  '2026-11-27T1220-audit-chain': auditChain,
  '2026-11-27T1210-jobs': jobs,
  '2026-11-27T1300-webhooks': webhooks,
  '2026-11-27T1305-registry': registry,
  '2026-11-27T1310-services': services,
  '2026-11-27T1300-provisioning': provisioning,
  '2026-11-27T1700-ota-counters': otaCounters,
};

/** The migration names, in the order they run. */
export const MIGRATION_NAMES: readonly string[] = Object.freeze(Object.keys(MIGRATIONS).sort(compareNames));

const provider: MigrationProvider = { getMigrations: () => Promise.resolve(MIGRATIONS) };

/** Code-unit order: the same on every machine, unlike the default `localeCompare`. */
function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Brings the schema up to date and returns the names of the migrations it ran (none when it was).
 * Each migration runs in a transaction; concurrent callers are serialized by Kysely's lock table.
 * @example await migrateToLatest(await openDatabase(':memory:')) // ['2026-11-27T0500-key-records', …]
 */
export async function migrateToLatest(db: StoreDb): Promise<readonly string[]> {
  const migrator = new Migrator({ db, provider, nameComparator: compareNames });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new StoreError('ERR_STORE_MIGRATION', failed === undefined ? 'store: could not read the migration state' : `store: migration ${failed} failed`, {
      cause: sanitizeCause(error),
    });
  }
  return (results ?? []).map((r) => r.migrationName);
}
