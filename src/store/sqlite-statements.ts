/**
 * Prepared-statement reuse for SQLite: Kysely's SQLite driver prepares every query it runs, and
 * compiling the SQL costs more than running a point lookup. This keeps the most recently used
 * statements by SQL text (queries bind their values as parameters, so the texts repeat). Safe for
 * better-sqlite3: a statement runs to completion synchronously before the next one starts (the store
 * never streams), and SQLite recompiles a statement whose schema changed.
 */
import type Database from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';

/** Statements kept per connection (a few per repository function). */
export const STATEMENT_CACHE_SIZE = 256;

/** `database` as Kysely's SqliteDialect wants it, with `prepare` answered from the cache. */
export function cachingStatements(database: Database.Database, size = STATEMENT_CACHE_SIZE): SqliteDatabase {
  const cache = new Map<string, Database.Statement>();
  return {
    prepare(sql: string) {
      let statement = cache.get(sql);
      if (statement !== undefined) {
        cache.delete(sql); // most recently used last
      } else {
        statement = database.prepare(sql);
        if (cache.size >= size) cache.delete(cache.keys().next().value!);
      }
      cache.set(sql, statement);
      return statement;
    },
    close() {
      cache.clear();
      database.close();
    },
  };
}
