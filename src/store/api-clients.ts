/**
 * API clients of the TSM service (migration 2026-11-27T1100): who may call the HTTP API, for which
 * tenant, in which role. The secret is kept only as the hash tsm/ computes (docs/service.md §3); the
 * store checks shapes, never roles or hashes. Plain functions taking `db` first.
 */
import { StoreError, storeOperation } from './errors.ts';
import type { ApiClientsTable, StoreDb } from './schema.ts';
import { assertLookup, assertObject, assertText, isStorableText, MAX_KEY_TEXT } from './validate.ts';

/** An API client as the store keeps it. */
export interface StoredApiClient {
  readonly id: string;
  readonly tenant: string;
  /** sp | mno | admin | issuer (checked by tsm/, kept as text here). */
  readonly role: string;
  /** The salted, keyed hash of the secret in tsm/'s text form; never the secret. */
  readonly secretHash: string;
  readonly createdAt: string;
  readonly disabled: boolean;
}

/** Validates an API client record before it is written; messages never quote a value. */
export function assertApiClient(record: unknown): asserts record is StoredApiClient {
  assertObject(record, 'api client');
  for (const field of ['id', 'tenant', 'role', 'secretHash'] as const) assertText(record[field], `api client ${field}`, MAX_KEY_TEXT);
  assertText(record.createdAt, 'api client createdAt', 64);
  if (typeof record.disabled !== 'boolean') throw new StoreError('ERR_STORE_RECORD', 'api client disabled: expected a boolean');
}

function toRow(r: StoredApiClient): ApiClientsTable {
  return { id: r.id, tenant: r.tenant, role: r.role, secret_hash: r.secretHash, created_at: r.createdAt, disabled: r.disabled ? 1 : 0 };
}

function fromRow(row: ApiClientsTable): StoredApiClient {
  const record = {
    id: row.id, tenant: row.tenant, role: row.role, secretHash: row.secret_hash, createdAt: row.created_at, disabled: Number(row.disabled) !== 0,
  };
  try {
    assertApiClient(record);
  } catch (cause) {
    throw new StoreError('ERR_STORE_RECORD', 'api_clients: a stored row does not have the shape the store writes', { cause });
  }
  return record;
}

/** Adds a client; ERR_STORE_CONFLICT when the id exists. */
export async function insertApiClient(db: StoreDb, record: StoredApiClient): Promise<void> {
  assertApiClient(record);
  const inserted = await storeOperation('insertApiClient', () =>
    db.insertInto('api_clients').values(toRow(record)).onConflict((oc) => oc.doNothing()).executeTakeFirst(),
  );
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) !== 1) throw new StoreError('ERR_STORE_CONFLICT', 'api_clients: a client with this id already exists');
}

/** The client `id` (enabled or not), or undefined. */
export async function getApiClient(db: StoreDb, id: string): Promise<StoredApiClient | undefined> {
  assertLookup(id, 'getApiClient id');
  if (!isStorableText(id, MAX_KEY_TEXT)) return undefined;
  const row = await storeOperation('getApiClient', () => db.selectFrom('api_clients').selectAll().where('id', '=', id).executeTakeFirst());
  return row === undefined ? undefined : fromRow(row);
}

/** Every client, or those of one tenant, in id order. */
export async function listApiClients(db: StoreDb, filter: { readonly tenant?: string } = {}): Promise<readonly StoredApiClient[]> {
  if (filter.tenant !== undefined) assertLookup(filter.tenant, 'listApiClients tenant');
  const rows = await storeOperation('listApiClients', () => {
    let query = db.selectFrom('api_clients').selectAll();
    if (filter.tenant !== undefined) query = query.where('tenant', '=', filter.tenant);
    return query.orderBy('id').execute();
  });
  return rows.map(fromRow);
}

/** Disables (or re-enables) a client; false when there is no such client. */
export async function setApiClientDisabled(db: StoreDb, id: string, disabled: boolean): Promise<boolean> {
  assertLookup(id, 'setApiClientDisabled id');
  if (typeof disabled !== 'boolean') throw new StoreError('ERR_STORE_PARAM', 'setApiClientDisabled disabled: expected a boolean');
  const result = await storeOperation('setApiClientDisabled', () =>
    db.updateTable('api_clients').set({ disabled: disabled ? 1 : 0 }).where('id', '=', id).executeTakeFirst(),
  );
  return Number(result.numUpdatedRows) === 1;
}
