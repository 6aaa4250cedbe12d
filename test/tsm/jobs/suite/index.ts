/**
 * The job engine suite (CONVENTIONS.md §7): one set of tests, a function of a store factory, run on
 * SQLite by test/tsm/jobs/sqlite.test.ts and on PostgreSQL by the services run.
 */
import { describe } from 'node:test';
import { engineApiTests } from './engine-api.ts';
import { faultTests } from './faults.ts';
import { idempotencyTests } from './idempotency.ts';
import { lifecycleTests } from './lifecycle.ts';
import { serializationTests } from './serialization.ts';
import type { StoreFactory } from './harness.ts';

export type { StoreFactory } from './harness.ts';

/** Registers the whole job engine suite under `name`; `open` returns a fresh, empty, unmigrated database per call. */
export function jobEngineSuite(name: string, open: StoreFactory, options: { readonly skip?: string | false } = {}): void {
  describe(`job engine: ${name}`, { skip: options.skip ?? false }, () => {
    faultTests(open);
    idempotencyTests(open);
    serializationTests(open);
    lifecycleTests(open);
    engineApiTests(open);
  });
}
