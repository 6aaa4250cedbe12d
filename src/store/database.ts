/**
 * Opening the store: one URL picks the dialect. SQLite (the embedded default) through
 * better-sqlite3, PostgreSQL (scale-out) through a node-postgres pool; both behind the same
 * Kysely interface, so every repository and the one test suite run unchanged on either.
 */
import { closeSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import { cachingStatements } from './sqlite-statements.ts';
import { Kysely, PostgresAdapter, PostgresDialect, SqliteAdapter, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { StoreError, sanitizeCause } from './errors.ts';
import type { StoreDb, StoreSchema } from './schema.ts';

/** The SQL dialects the store runs on. */
export type StoreDialect = 'sqlite' | 'postgres';

/** Where a store lives, as parsed from its URL. */
export type DatabaseLocation =
  | { readonly dialect: 'sqlite'; readonly path: string }
  | { readonly dialect: 'postgres'; readonly url: string };

export interface OpenDatabaseOptions {
  /** SQLite: how long a writer waits for another connection's lock, in ms (default 5000). */
  readonly busyTimeoutMs?: number;
  /** PostgreSQL: most connections in the pool (default 10). */
  readonly poolSize?: number;
  /** PostgreSQL: how long to wait for a connection, in ms (default 10000). */
  readonly connectTimeoutMs?: number;
}

const SQLITE_MEMORY = ':memory:';

/**
 * Parses a store URL: `postgres://…` or `postgresql://…` → PostgreSQL; `:memory:`, `sqlite::memory:`,
 * `sqlite:PATH` (also `sqlite://PATH`, so `sqlite:///abs/file.db`) or a plain file path → SQLite.
 * Error messages never repeat the URL: it may hold a password.
 * @example parseDatabaseUrl('sqlite:data/opentsm.db') // { dialect: 'sqlite', path: 'data/opentsm.db' }
 */
export function parseDatabaseUrl(url: string): DatabaseLocation {
  if (typeof url !== 'string' || url.trim() === '') {
    throw new StoreError('ERR_STORE_URL', 'store URL: expected a sqlite: path, a file path, :memory: or a postgres:// URL, got an empty value');
  }
  if (/^postgres(ql)?:\/\//i.test(url)) return { dialect: 'postgres', url };
  if (/^sqlite:/i.test(url)) {
    let path = url.slice('sqlite:'.length);
    if (path.startsWith('//')) path = path.slice(2);
    if (path === '') throw new StoreError('ERR_STORE_URL', 'store URL: sqlite: needs a file path or :memory:');
    return { dialect: 'sqlite', path };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url);
  if (scheme !== null) {
    throw new StoreError('ERR_STORE_URL', `store URL: unsupported scheme "${scheme[1]!.slice(0, 32)}" (use sqlite: or postgres://)`);
  }
  return { dialect: 'sqlite', path: url };
}

/**
 * Opens the store named by `url` (see `parseDatabaseUrl`). SQLite: a new file is created mode 0600;
 * WAL journal, foreign keys on, a busy timeout. PostgreSQL: a pool, checked with one round trip.
 * Nothing is logged. Run `migrateToLatest` before use; `closeDatabase` when done.
 * @example const db = await openDatabase('sqlite:opentsm.db'); await migrateToLatest(db);
 */
export async function openDatabase(url: string, options: OpenDatabaseOptions = {}): Promise<StoreDb> {
  const location = parseDatabaseUrl(url);
  return location.dialect === 'sqlite' ? openSqlite(location.path, options) : openPostgres(location.url, options);
}

/** Closes the database: the SQLite connection or every connection of the PostgreSQL pool. */
export async function closeDatabase(db: StoreDb): Promise<void> {
  await db.destroy();
}

/** The dialect a Kysely instance (or transaction) talks. */
export function dialectOf<DB>(db: Kysely<DB>): StoreDialect {
  const adapter = db.getExecutor().adapter;
  if (adapter instanceof PostgresAdapter) return 'postgres';
  if (adapter instanceof SqliteAdapter) return 'sqlite';
  throw new StoreError('ERR_STORE_PARAM', 'store: the database is neither SQLite nor PostgreSQL');
}

function openSqlite(path: string, options: OpenDatabaseOptions): StoreDb {
  const timeout = options.busyTimeoutMs ?? 5000;
  let database: Database.Database | undefined;
  try {
    // A new file gets mode 0600 (SQLite gives its -wal and -shm files the same mode).
    if (path !== SQLITE_MEMORY) closeSync(openSync(path, 'a', 0o600));
    database = new Database(path, { timeout });
    database.pragma('journal_mode = WAL');
    database.pragma('foreign_keys = ON');
    database.pragma(`busy_timeout = ${Math.trunc(timeout)}`);
  } catch (error) {
    database?.close();
    throw new StoreError('ERR_STORE_OPEN', `store: could not open the SQLite database ${path === SQLITE_MEMORY ? 'in memory' : `at ${path}`}`, {
      cause: sanitizeCause(error),
    });
  }
  return new Kysely<StoreSchema>({ dialect: new SqliteDialect({ database: cachingStatements(database) }) });
}

/** PostgreSQL int8 (OID 20): a number, as SQLite gives, refused past 2^53 rather than rounded. */
const PG_INT8_OID = 20;
function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new StoreError('ERR_STORE_QUERY', 'store: a bigint column holds a value beyond 2^53');
  return value;
}
const PG_TYPES: pg.CustomTypesConfig = {
  getTypeParser: (oid: number, format?: 'text' | 'binary'): ((value: string) => unknown) =>
    oid === PG_INT8_OID && format !== 'binary' ? parseInt8 : (pg.types.getTypeParser(oid, format) as (value: string) => unknown),
};

async function openPostgres(url: string, options: OpenDatabaseOptions): Promise<StoreDb> {
  let pool: pg.Pool;
  try {
    pool = new pg.Pool({
      connectionString: url,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      types: PG_TYPES,
    });
  } catch (error) {
    throw new StoreError('ERR_STORE_URL', 'store URL: not a valid postgres:// URL', { cause: sanitizeCause(error) });
  }
  // An idle connection the server drops is discarded by the pool and the next query opens a new
  // one; without a listener the 'error' event would end the process.
  pool.on('error', () => undefined);
  const db = new Kysely<StoreSchema>({ dialect: new PostgresDialect({ pool }) });
  try {
    await sql`select 1`.execute(db);
  } catch (error) {
    await db.destroy().catch(() => undefined);
    throw new StoreError('ERR_STORE_OPEN', 'store: could not connect to the PostgreSQL server', { cause: sanitizeCause(error) });
  }
  return db;
}
