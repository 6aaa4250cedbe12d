/**
 * nextOtaCounter across processes: several node processes take counters from one SQLite file at
 * once; together they hold every value from 1 once, none twice (the upsert is atomic, not the
 * process). PostgreSQL runs the same suite tests in test/services.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { closeDatabase, migrateToLatest, nextOtaCounter, openDatabase } from '../../src/store/index.ts';

const run = promisify(execFile);
const PROCESSES = 3;
const EACH = 40;

const child = (path: string): string => `
  import { closeDatabase, nextOtaCounter, openDatabase } from ${JSON.stringify(new URL('../../src/store/index.ts', import.meta.url).href)};
  const db = await openDatabase(${JSON.stringify(path)}, { busyTimeoutMs: 20000 });
  const got = [];
  for (let i = 0; i < ${EACH}; i++) got.push(String(await nextOtaCounter(db, 'se-1', 'ks-15')));
  await closeDatabase(db);
  console.log(got.join(','));
`;

describe('ota counters across processes (SQLite file)', () => {
  it(`${PROCESSES} processes × ${EACH} counters: every value once`, { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opentsm-ota-counters-'));
    try {
      const path = join(dir, 'counters.db');
      const db = await openDatabase(path);
      await migrateToLatest(db);
      const mine = [await nextOtaCounter(db, 'se-1', 'ks-15')];
      const children = Array.from({ length: PROCESSES }, () => run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', child(path)], { cwd: process.cwd() }));
      for (let i = 0; i < 10; i++) mine.push(await nextOtaCounter(db, 'se-1', 'ks-15'));
      const outputs = await Promise.all(children);
      await closeDatabase(db);
      const all = [...mine, ...outputs.flatMap((o) => o.stdout.trim().split(',').map((v) => BigInt(v)))];
      const total = 1 + 10 + PROCESSES * EACH;
      assert.equal(all.length, total);
      assert.deepEqual([...all].sort((a, b) => (a < b ? -1 : 1)), Array.from({ length: total }, (_, i) => BigInt(i + 1)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
