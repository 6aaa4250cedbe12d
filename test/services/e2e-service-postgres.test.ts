/**
 * The service's end-to-end test (test/tsm/e2e-service-suite.ts) on PostgreSQL: a new database on
 * the test cluster for the run, dropped afterwards. Needs OPENTSM_SERVICES=1 and OPENTSM_PG_URL
 * (`npm run test:services` starts a throwaway cluster and sets both); skipped otherwise.
 */
import { after } from 'node:test';
import { sql } from 'kysely';
import { closeDatabase, openDatabase, type StoreDb } from '../../src/store/index.ts';
import { e2eServiceSuite } from '../tsm/e2e-service-suite.ts';

const baseUrl = process.env.OPENTSM_PG_URL;
const skip = process.env.OPENTSM_SERVICES === '1' && baseUrl !== undefined && baseUrl !== '' ? false : 'needs PostgreSQL: run `npm run test:services`';

let admin: StoreDb | undefined;
const created: string[] = [];

/** A new, empty database on the test cluster, opened. */
async function freshDatabase(): Promise<StoreDb> {
  admin ??= await openDatabase(baseUrl!, { poolSize: 1 });
  const name = `opentsm_e2e_${process.pid}_${created.length + 1}`;
  created.push(name);
  await sql`create database ${sql.id(name)}`.execute(admin);
  const url = new URL(baseUrl!);
  url.pathname = `/${name}`;
  return openDatabase(url.toString());
}

after(async () => {
  if (admin === undefined) return;
  for (const name of created) await sql`drop database if exists ${sql.id(name)} with (force)`.execute(admin);
  await closeDatabase(admin);
});

e2eServiceSuite('PostgreSQL', freshDatabase, { skip });
