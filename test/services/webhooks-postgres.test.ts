/**
 * Webhooks on PostgreSQL: the dispatcher and job-event suites of test/tsm/webhooks run here again,
 * each world on a fresh PostgreSQL database — their fixture (test/tsm/webhooks/fixture.ts) opens
 * one when OPENTSM_SERVICES=1 and OPENTSM_PG_URL are set, as `npm run test:services` sets them.
 * Under a plain `npm test` this file skips (those suites already run there on SQLite in memory).
 * (routes.test.ts runs on the HTTP fixture's SQLite store only: its store paths are the same
 * webhook rows the two suites here exercise.)
 */
import { describe, it } from 'node:test';

const baseUrl = process.env.OPENTSM_PG_URL;
const onPostgres = process.env.OPENTSM_SERVICES === '1' && baseUrl !== undefined && baseUrl !== '';

if (onPostgres) {
  await import('../tsm/webhooks/dispatcher.test.ts');
  await import('../tsm/webhooks/job-events.test.ts');
} else {
  describe('webhooks on PostgreSQL', { skip: 'needs PostgreSQL: run `npm run test:services`' }, () => {
    it('dispatcher and job events on a PostgreSQL store', () => undefined);
  });
}
