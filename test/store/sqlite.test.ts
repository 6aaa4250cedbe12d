/**
 * The store on SQLite: the conformance suite on a file in a temp dir and in memory, then what is
 * SQLite's own — URL forms, WAL and foreign keys, file mode, two connections to one file.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { closeDatabase, dialectOf, getKey, migrateToLatest, MIGRATION_NAMES, openDatabase, putKey, type StoreDb } from '../../src/store/index.ts';
import { up as createAuditTables } from '../../src/store/migrations/2026-11-27T0520-audit-events.ts';
import { storeSuite } from './store-suite.ts';
import { keyBlock, keyRecord, rejectsWithCode } from './suite/fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'opentsm-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

storeSuite('SQLite file', () => openDatabase(join(dir, `suite-${++files}.db`)));
storeSuite('SQLite :memory:', () => openDatabase(':memory:'));

async function pragma(db: StoreDb, name: string): Promise<unknown> {
  const { rows } = await sql<Record<string, unknown>>`pragma ${sql.raw(name)}`.execute(db);
  return Object.values(rows[0] ?? {})[0];
}

describe('store on SQLite', () => {
  it('opens sqlite:PATH, sqlite://PATH, a plain path and :memory:, with WAL, foreign keys and a busy timeout', async () => {
    const path = join(dir, 'forms.db');
    for (const url of [`sqlite:${path}`, `sqlite://${path}`, path, ':memory:', 'sqlite::memory:']) {
      const db = await openDatabase(url, { busyTimeoutMs: 1234 });
      try {
        assert.equal(dialectOf(db), 'sqlite');
        assert.equal(await pragma(db, 'journal_mode'), url.endsWith(':memory:') ? 'memory' : 'wal', url);
        assert.equal(await pragma(db, 'foreign_keys'), 1);
        assert.equal(await pragma(db, 'busy_timeout'), 1234);
      } finally {
        await closeDatabase(db);
      }
    }
  });

  it('creates a new database file readable by its owner only', async () => {
    const path = join(dir, 'mode.db');
    const db = await openDatabase(path);
    await migrateToLatest(db);
    await putKey(db, keyRecord('k1'));
    assert.equal(statSync(path).mode & 0o077, 0, 'no group or other access');
    assert.equal(statSync(`${path}-wal`).mode & 0o077, 0, 'the WAL file too');
    await closeDatabase(db);
  });

  it('keeps data across close and reopen', async () => {
    const path = join(dir, 'reopen.db');
    let db = await openDatabase(path);
    await migrateToLatest(db);
    await putKey(db, keyRecord('k1'));
    await closeDatabase(db);
    db = await openDatabase(`sqlite:${path}`);
    assert.deepEqual(await migrateToLatest(db), []);
    assert.deepEqual(await getKey(db, 'k1'), keyRecord('k1'));
    await closeDatabase(db);
  });

  it('two connections to one file write the same record concurrently: the busy timeout serialises them', async () => {
    const path = join(dir, 'two.db');
    const first = await openDatabase(path);
    const second = await openDatabase(`sqlite:${path}`);
    try {
      await migrateToLatest(first);
      const writes = Array.from({ length: 40 }, (_, i) => {
        const record = keyRecord('shared', { kcv: `KCV${i}`, keyBlock: keyBlock(`w${i}`), attributes: { ...keyRecord('x').attributes, version: i } });
        return putKey(i % 2 === 0 ? first : second, record);
      });
      await Promise.all(writes);
      const final = await getKey(second, 'shared');
      assert.ok(final !== undefined);
      const v = final.attributes.version;
      assert.deepEqual(final, keyRecord('shared', { kcv: `KCV${v}`, keyBlock: keyBlock(`w${v}`), attributes: { ...keyRecord('x').attributes, version: v } }));
    } finally {
      await closeDatabase(first);
      await closeDatabase(second);
    }
  });

  it('a migration cut short (no transaction on SQLite) completes when run again', async () => {
    const db = await openDatabase(':memory:');
    try {
      await createAuditTables(db as unknown as Kysely<unknown>); // the last migration's tables exist, but it is not recorded as run
      await sql`drop index audit_event_keys_key_id`.execute(db); // and it stopped before its last statement
      assert.deepEqual(await migrateToLatest(db), MIGRATION_NAMES);
      const { rows } = await sql<{ name: string }>`select name from sqlite_master where type = 'index' and name = 'audit_event_keys_key_id'`.execute(db);
      assert.equal(rows.length, 1);
    } finally {
      await closeDatabase(db);
    }
  });

  it('refuses a file that is not a database, or a missing directory, with ERR_STORE_OPEN', async () => {
    const junk = join(dir, 'junk.db');
    writeFileSync(junk, 'this is not a SQLite database, just some text that is long enough to have a header');
    await rejectsWithCode(openDatabase(junk), 'ERR_STORE_OPEN');
    await rejectsWithCode(openDatabase(join(dir, 'no', 'such', 'dir', 'x.db')), 'ERR_STORE_OPEN');
  });
});
