/** The service's end-to-end test (e2e-service-suite.ts) on SQLite: a database file in a temp dir, as `opentsm demo` keeps it. */
import { after } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/store/index.ts';
import { e2eServiceSuite } from './e2e-service-suite.ts';

const dir = mkdtempSync(join(tmpdir(), 'opentsm-e2e-'));
after(() => rmSync(dir, { recursive: true, force: true }));

e2eServiceSuite('SQLite', () => openDatabase(join(dir, 'opentsm.db')));
