/**
 * The SP's service rows (migration 2026-11-27T1310-services): one row per service, its definition
 * as JSON text owned by tsm/catalog; every read is scoped by the owning SP, so another tenant's
 * service id reads as a missing one. Plain functions taking `db` first.
 */
import { StoreError, storeOperation } from './errors.ts';
import type { ServicesTable } from './registry-tables.ts';
import type { StoreDb } from './schema.ts';
import { assertInteger, assertLookup, assertObject, assertText, isStorableText, MAX_KEY_TEXT, MAX_TEXT } from './validate.ts';

/** A service row. */
export type StoredService = Readonly<ServicesTable>;

function assertService(row: unknown): asserts row is StoredService {
  assertObject(row, 'service');
  for (const k of ['id', 'sp', 'name', 'created_at', 'updated_at'] as const) assertText(row[k], `service ${k}`, MAX_KEY_TEXT);
  assertText(row.record, 'service record', MAX_TEXT);
}

/** Adds a service; ERR_STORE_CONFLICT when the id is taken. */
export async function insertService(db: StoreDb, row: StoredService): Promise<void> {
  assertService(row);
  const r = await storeOperation('insertService', () => db.insertInto('services').values({ ...row }).onConflict((oc) => oc.doNothing()).executeTakeFirst());
  if (Number(r.numInsertedOrUpdatedRows ?? 0n) !== 1) throw new StoreError('ERR_STORE_CONFLICT', 'services: a service with this id exists');
}

/** The service `id` of `sp` (any SP's when `sp` is undefined: the job engine), or undefined. */
export async function getService(db: StoreDb, id: string, sp?: string): Promise<StoredService | undefined> {
  assertLookup(id, 'getService id');
  if (sp !== undefined) assertLookup(sp, 'getService sp');
  if (!isStorableText(id, MAX_KEY_TEXT) || !isStorableText(sp ?? '', MAX_KEY_TEXT)) return undefined;
  return storeOperation('getService', () => {
    let q = db.selectFrom('services').selectAll().where('id', '=', id);
    if (sp !== undefined) q = q.where('sp', '=', sp);
    return q.executeTakeFirst();
  });
}

/** The SP's services, by id, at most `limit` (1..1000) after `after` (an id; paging). */
export async function listServices(db: StoreDb, sp: string, limit: number, after?: string): Promise<readonly StoredService[]> {
  assertLookup(sp, 'listServices sp');
  assertInteger(limit, 'listServices limit', 1, 1000);
  if (!isStorableText(sp, MAX_KEY_TEXT)) return [];
  return storeOperation('listServices', () => {
    let q = db.selectFrom('services').selectAll().where('sp', '=', sp);
    if (after !== undefined) q = q.where('id', '>', after);
    return q.orderBy('id').limit(limit).execute();
  });
}

/** Replaces the service's record if `updatedAt` is still `expectedUpdatedAt` (optimistic): false otherwise. */
export async function updateServiceRecord(db: StoreDb, id: string, sp: string, record: string, expectedUpdatedAt: string, updatedAt: string): Promise<boolean> {
  assertLookup(id, 'updateServiceRecord id');
  assertLookup(sp, 'updateServiceRecord sp');
  assertText(record, 'service record', MAX_TEXT);
  assertText(updatedAt, 'service updated_at', MAX_KEY_TEXT);
  const r = await storeOperation('updateServiceRecord', () =>
    db.updateTable('services').set({ record, updated_at: updatedAt }).where('id', '=', id).where('sp', '=', sp).where('updated_at', '=', expectedUpdatedAt).executeTakeFirst());
  return Number(r.numUpdatedRows) === 1;
}
