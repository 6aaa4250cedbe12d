/**
 * The store conformance suite (CONVENTIONS.md §7): one set of tests, run unchanged on every
 * dialect — SQLite in a file and in memory (test/store/sqlite.test.ts) and PostgreSQL
 * (test/services/store-postgres.test.ts).
 */
import { describe } from 'node:test';
import type { StoreFactory } from './suite/fixtures.ts';
import { keyRecordTests } from './suite/key-records.ts';
import { migrationTests } from './suite/migrations.ts';
import { auditTests, custodianTests } from './suite/custodians-audit.ts';
import { issuerCardTests } from './suite/issuer-cards.ts';
import { apiClientTests } from './suite/api-clients.ts';
import { jobTests } from './suite/jobs.ts';
import { auditChainTests } from './suite/audit-chain.ts';
import { concurrencyTests, hostileStringTests, repositoryTests, transactionTests } from './suite/robustness.ts';
import { provisioningStoreSuite } from './suite/provisioning.ts';
import { registryStoreTests } from '../tsm/registry/store-suite.ts';
import { otaCounterTests } from './suite/ota-counters.ts';

export type { StoreFactory } from './suite/fixtures.ts';

/**
 * Registers the suite under `name`. `open` must return a fresh, empty, unmigrated database on
 * every call; each test opens one, migrates it and closes it.
 */
export function storeSuite(name: string, open: StoreFactory, options: { readonly skip?: string | false } = {}): void {
  describe(`store conformance: ${name}`, { skip: options.skip ?? false }, () => {
    migrationTests(open);
    keyRecordTests(open);
    custodianTests(open);
    auditTests(open);
    concurrencyTests(open);
    hostileStringTests(open);
    transactionTests(open);
    repositoryTests(open);
    issuerCardTests(open);
    apiClientTests(open);
    jobTests(open);
    auditChainTests(open);
    registryStoreTests(open);
    provisioningStoreSuite(open);
    otaCounterTests(open);
  });
}
