/**
 * Store pieces that need no database: URL parsing, the error sanitiser, the migration list against
 * the migration files, and the rule that store/ logs nothing.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MIGRATION_NAMES, openDatabase, parseDatabaseUrl, StoreError } from '../../src/store/index.ts';
import { sanitizeCause, storeOperation } from '../../src/store/errors.ts';
import { rejectsWithCode } from './suite/fixtures.ts';

const storeDir = join(import.meta.dirname, '..', '..', 'src', 'store');

describe('store URLs', () => {
  it('picks the dialect from the URL', () => {
    assert.deepEqual(parseDatabaseUrl('postgres://u:p@h:5432/db'), { dialect: 'postgres', url: 'postgres://u:p@h:5432/db' });
    assert.deepEqual(parseDatabaseUrl('postgresql://h/db'), { dialect: 'postgres', url: 'postgresql://h/db' });
    assert.deepEqual(parseDatabaseUrl('PostgreSQL://h/db'), { dialect: 'postgres', url: 'PostgreSQL://h/db' });
    assert.deepEqual(parseDatabaseUrl(':memory:'), { dialect: 'sqlite', path: ':memory:' });
    assert.deepEqual(parseDatabaseUrl('sqlite::memory:'), { dialect: 'sqlite', path: ':memory:' });
    assert.deepEqual(parseDatabaseUrl('sqlite:data/tsm.db'), { dialect: 'sqlite', path: 'data/tsm.db' });
    assert.deepEqual(parseDatabaseUrl('sqlite:///var/lib/tsm.db'), { dialect: 'sqlite', path: '/var/lib/tsm.db' });
    assert.deepEqual(parseDatabaseUrl('./tsm.db'), { dialect: 'sqlite', path: './tsm.db' });
    assert.deepEqual(parseDatabaseUrl('/abs/tsm.db'), { dialect: 'sqlite', path: '/abs/tsm.db' });
  });

  it('refuses an empty URL, a bare sqlite: and other schemes, without repeating the URL', async () => {
    for (const url of ['', '   ', 'sqlite:', 'sqlite://', 'mysql://root:hunter2@h/db', 'http://hunter2@x', 42 as unknown as string]) {
      const error = await rejectsWithCode(openDatabase(url), 'ERR_STORE_URL');
      assert.ok(!error.message.includes('hunter2'), error.message);
    }
  });
});

describe('store errors', () => {
  it('a driver error keeps its message and code but loses the fields that quote rows', () => {
    const driver = Object.assign(new Error('new row for relation "custodians" violates check constraint'), {
      code: '23514',
      severity: 'ERROR',
      detail: 'Failing row contains (alice, S3CRET-HASH).',
      where: 'S3CRET',
      parameters: ['S3CRET-HASH'],
    });
    const clean = sanitizeCause(driver) as Error & Record<string, unknown>;
    assert.equal(clean.message, driver.message);
    assert.equal(clean.code, '23514');
    assert.equal(clean.severity, 'ERROR');
    assert.ok(!JSON.stringify({ ...clean, stack: clean.stack }).includes('S3CRET'));
    assert.equal(sanitizeCause('text'), 'text');
    const own = new StoreError('ERR_STORE_PARAM', 'x');
    assert.equal(sanitizeCause(own), own);
  });

  it('storeOperation wraps driver failures as ERR_STORE_QUERY naming the operation, and passes StoreErrors through', async () => {
    const error = await rejectsWithCode(
      storeOperation('putKey', () => Promise.reject(Object.assign(new Error('boom'), { detail: 'row S3CRET' }))),
      'ERR_STORE_QUERY',
    );
    assert.match(error.message, /putKey/);
    assert.ok(!JSON.stringify(error.cause).includes('S3CRET'));
    const own = new StoreError('ERR_STORE_RECORD', 'bad');
    await assert.rejects(storeOperation('x', () => Promise.reject(own)), (e) => e === own);
  });
});

describe('store migrations', () => {
  it('the static list names exactly the files in src/store/migrations, timestamp-named', () => {
    const files = readdirSync(join(storeDir, 'migrations'))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => f.slice(0, -3))
      .sort();
    assert.deepEqual([...MIGRATION_NAMES], files);
    for (const name of files) assert.match(name, /^\d{4}-\d{2}-\d{2}T\d{4}-[a-z0-9-]+$/);
  });
});

describe('store logs nothing', () => {
  it('no console, stdout/stderr write or Kysely log hook in src/store', () => {
    const sources = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : [join(dir, e.name)]));
    for (const file of sources(storeDir)) {
      const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, ''); // comments may say "log"
      const hit = /\bconsole\.|process\.(stdout|stderr)|\blog\s*:|debuglog|pino/.exec(code);
      assert.equal(hit, null, `${file}: ${hit?.[0]}`);
    }
  });
});
