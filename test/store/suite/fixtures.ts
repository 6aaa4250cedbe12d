/** Records, events and helpers shared by the store conformance suite. */
import assert from 'node:assert/strict';
import { closeDatabase, migrateToLatest, StoreError, type AuditEventRecord, type StoreDb, type StoredKeyRecord, type StoreErrorCode } from '../../../src/store/index.ts';

/** Opens a fresh, empty, unmigrated database; each call must return a new one. */
export type StoreFactory = () => Promise<StoreDb>;

/** Runs `body` on a fresh database (migrated unless `migrate: false`), closing it afterwards. */
export async function withStore(open: StoreFactory, body: (db: StoreDb) => Promise<void>, migrate = true): Promise<void> {
  const db = await open();
  try {
    if (migrate) await migrateToLatest(db);
    await body(db);
  } finally {
    await closeDatabase(db);
  }
}

/**
 * A string shaped like a TR-31 version D key block of `length` characters whose body carries
 * `seed` (the store checks only the shape: it never unwraps). Not a real block: no key is in it.
 */
export function keyBlock(seed: string, length = 112): string {
  const header = `D${String(length).padStart(4, '0')}P0AE00E0000`;
  const body = `${seed}:`.repeat(length).replace(/[^\x20-\x7E]/g, '?');
  return (header + body).slice(0, length);
}

/** A complete active key record; every field differs with `id`. */
export function keyRecord(id: string, overrides: Partial<StoredKeyRecord> = {}): StoredKeyRecord {
  return {
    id,
    attributes: {
      usage: 'B3',
      algorithm: 'A',
      modeOfUse: 'X',
      exportability: 'N',
      length: 16,
      version: 1,
      owner: 'tenant-a',
      label: `label of ${id}`,
      class: 'hsm',
    },
    kcv: 'A1B2C3',
    status: 'active',
    keyBlock: keyBlock(id),
    lmkKcv: 'LMK001',
    publicKey: '3059301306072A8648CE3D020106082A8648CE3D030107034200',
    createdAt: '2026-11-27T05:00:00.000Z',
    updatedAt: '2026-11-27T05:00:01.000Z',
    ...overrides,
  };
}

/** A complete audit event. */
export function auditEvent(overrides: Partial<AuditEventRecord> = {}): AuditEventRecord {
  return {
    kind: 'hsm-audit',
    at: '2026-11-27T05:00:00.000Z',
    tenant: 'tenant-a',
    actor: 'alice',
    requestId: 'req-1',
    operation: 'generateKey',
    keys: [{ id: 'k1', kcv: 'A1B2C3' }],
    result: 'ok',
    ...overrides,
  };
}

/** Asserts that `promise` rejects with a StoreError of `code` and returns it. */
export async function rejectsWithCode(promise: Promise<unknown>, code: StoreErrorCode): Promise<StoreError> {
  let caught: unknown;
  await assert.rejects(promise, (error: unknown) => {
    caught = error;
    return true;
  });
  assert.ok(caught instanceof StoreError, `expected a StoreError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  return caught;
}

/** Asserts that `run` throws (synchronously or not) a StoreError of `code`. */
export async function failsWithCode(run: () => Promise<unknown>, code: StoreErrorCode): Promise<StoreError> {
  return rejectsWithCode(Promise.resolve().then(run), code);
}
