/**
 * The store on PostgreSQL: the conformance suite (test/store/store-suite.ts) unchanged, each test
 * on an emptied database (its schema dropped and recreated: ten times faster than CREATE DATABASE),
 * then what is PostgreSQL's own. Needs OPENTSM_SERVICES=1 and
 * OPENTSM_PG_URL (`npm run test:services` starts a throwaway cluster and sets both); skipped otherwise.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { closeDatabase, dialectOf, getKey, migrateToLatest, openDatabase, putKey, queryAuditEvents, appendAuditEvent, type StoreDb } from '../../src/store/index.ts';
import { sanitizeCause } from '../../src/store/errors.ts';
import { storeSuite } from '../store/store-suite.ts';
import { jobEngineSuite } from '../tsm/jobs/suite/index.ts';
import { auditEvent, keyBlock, keyRecord, rejectsWithCode } from '../store/suite/fixtures.ts';

const baseUrl = process.env.OPENTSM_PG_URL;
const skip = process.env.OPENTSM_SERVICES === '1' && baseUrl !== undefined && baseUrl !== '' ? false : 'needs PostgreSQL: run `npm run test:services`';

let admin: Promise<StoreDb> | undefined;
const created: string[] = [];

/** A new, empty database on the test cluster, and its URL. */
async function createDatabase(): Promise<string> {
  admin ??= openDatabase(baseUrl!);
  const name = `opentsm_store_${process.pid}_${created.length + 1}`;
  created.push(name);
  await sql`create database ${sql.id(name)}`.execute(await admin);
  const url = new URL(baseUrl!);
  url.pathname = `/${name}`;
  return url.toString();
}

let shared: Promise<{ url: string; owner: StoreDb }> | undefined;

/** The suite's database, emptied: every table, index and the migration tables go with the schema. */
async function emptiedDatabase(): Promise<string> {
  shared ??= createDatabase().then(async (url) => ({ url, owner: await openDatabase(url, { poolSize: 1 }) }));
  const { url, owner } = await shared;
  await sql`drop schema if exists public cascade`.execute(owner);
  await sql`create schema public`.execute(owner);
  return url;
}

after(async () => {
  if (shared !== undefined) await closeDatabase((await shared).owner);
  if (admin === undefined) return;
  const db = await admin;
  for (const name of created) await sql`drop database if exists ${sql.id(name)} with (force)`.execute(db);
  await closeDatabase(db);
});

storeSuite('PostgreSQL', async () => openDatabase(await emptiedDatabase()), { skip });
// The job engine suite on PostgreSQL: a database of its own per test (engines reopen it after a crash).
jobEngineSuite('PostgreSQL', async () => openDatabase(await createDatabase()), { skip });

describe('store on PostgreSQL', { skip, timeout: 60_000 }, () => {
  it('opens a pool on a postgres:// URL; two pools write one record concurrently and a whole writer wins', async () => {
    const url = await createDatabase();
    const first = await openDatabase(url, { poolSize: 4 });
    const second = await openDatabase(url.replace(/^postgresql:/, 'postgres:'), { poolSize: 4 });
    try {
      assert.equal(dialectOf(first), 'postgres');
      await migrateToLatest(first);
      const attrs = keyRecord('x').attributes;
      const writer = (i: number) => keyRecord('shared', { kcv: `KCV${i}`, keyBlock: keyBlock(`w${i}`, 100 + i), attributes: { ...attrs, version: i } });
      await Promise.all(Array.from({ length: 40 }, (_, i) => putKey(i % 2 === 0 ? first : second, writer(i))));
      const final = await getKey(second, 'shared');
      assert.ok(final !== undefined);
      assert.deepEqual(final, writer(final.attributes.version));
    } finally {
      await closeDatabase(first);
      await closeDatabase(second);
    }
  });

  it('bigint columns come back as numbers (audit sequence numbers, counts)', async () => {
    const db = await openDatabase(await createDatabase());
    try {
      await migrateToLatest(db);
      const seq = await appendAuditEvent(db, auditEvent());
      assert.equal(typeof seq, 'number');
      assert.equal(typeof (await queryAuditEvents(db))[0]?.seq, 'number');
      const { rows } = await sql<{ n: unknown }>`select count(*) as n from audit_events`.execute(db);
      assert.equal(rows[0]?.n, 1);
    } finally {
      await closeDatabase(db);
    }
  });

  it('a server that cannot be reached is ERR_STORE_OPEN, bounded, and the password is in no message', async () => {
    const url = new URL(baseUrl!);
    url.password = 'hunter2-secret';
    url.port = '1'; // nothing listens on port 1
    const started = Date.now();
    const error = await rejectsWithCode(openDatabase(url.toString(), { connectTimeoutMs: 2000 }), 'ERR_STORE_OPEN');
    assert.ok(Date.now() - started < 10_000);
    assert.ok(!JSON.stringify({ message: error.message, cause: String(error.cause) }).includes('hunter2'));
    const wrongDb = new URL(baseUrl!);
    wrongDb.pathname = '/opentsm_no_such_database';
    await rejectsWithCode(openDatabase(wrongDb.toString()), 'ERR_STORE_OPEN');
  });

  it('a PostgreSQL error quoting the failing row loses the row when sanitized', async () => {
    const db = await openDatabase(await createDatabase());
    try {
      await migrateToLatest(db);
      let raw: unknown;
      await sql`insert into custodians (name, passphrase_hash) values ('alice', 'S3CRET-HASH')`.execute(db).catch((e: unknown) => (raw = e));
      assert.ok(raw instanceof Error);
      assert.match(String((raw as Error & { detail?: string }).detail), /S3CRET-HASH/, 'the driver error does quote the row');
      const clean = sanitizeCause(raw) as Error & Record<string, unknown>;
      assert.equal(clean.code, '23502'); // not_null_violation
      assert.ok(!JSON.stringify({ ...clean, message: clean.message }).includes('S3CRET'));
    } finally {
      await closeDatabase(db);
    }
  });
});
