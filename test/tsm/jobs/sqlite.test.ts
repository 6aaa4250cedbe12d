/**
 * The job engine suite on SQLite, in memory and in a temp file (the PostgreSQL run registers the
 * same `jobEngineSuite` in test/services).
 */
import { after } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../../src/store/index.ts';
import { jobEngineSuite } from './suite/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'opentsm-jobs-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

jobEngineSuite('SQLite :memory:', () => openDatabase(':memory:'));
jobEngineSuite('SQLite file', () => openDatabase(join(dir, `jobs-${++files}.db`)));
