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
import type { PayloadCipher } from '../../../../src/tsm/jobs/index.ts';

export type { StoreFactory } from './harness.ts';

/**
 * Registers the whole job engine suite under `name`; `open` returns a fresh, empty, unmigrated database per call;
 * `cipher` seals the sensitive payloads (default the test cipher; test/tsm/jobs/hsm-cipher.test.ts runs the HSM's).
 */
export function jobEngineSuite(name: string, open: StoreFactory, options: { readonly skip?: string | false; readonly cipher?: PayloadCipher } = {}): void {
  describe(`job engine: ${name}`, { skip: options.skip ?? false }, () => {
    faultTests(open, options.cipher);
    idempotencyTests(open, options.cipher);
    serializationTests(open);
    lifecycleTests(open);
    engineApiTests(open);
  });
}
