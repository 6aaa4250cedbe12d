/**
 * Signed webhooks (migration 2026-11-27T1300, docs/webhooks.md): Service Providers' endpoints and
 * the deliveries of events to them. The store keeps no signing secret (tsm/ re-derives it in the
 * HSM for each signing) and checks shapes only; states and event types are tsm/'s vocabulary, kept
 * here as text. A delivery is claimed with one conditional UPDATE on its `next_attempt_at`, so two
 * dispatchers never send the same attempt. Plain functions taking `db` first.
 *
 * The tables are typed here (`withTables`) rather than in schema.ts, so this file is their one home.
 */
import type { Generated, Kysely, Selectable } from 'kysely';
import { StoreError, storeOperation } from './errors.ts';
import type { StoreDb, StoreSchema } from './schema.ts';
import { assertInteger, assertLimit, assertLookup, assertObject, assertText, isStorableText, MAX_KEY_TEXT, MAX_TEXT } from './validate.ts';

/** A webhook endpoint row: the URL and the event types as a JSON array; never the secret. */
export interface WebhookEndpointsTable {
  id: string;
  tenant: string;
  url: string;
  events: string;
  created_at: string;
}

/** One event for one endpoint: the exact body sent on every attempt, and where its delivery stands. */
export interface WebhookDeliveriesTable {
  seq: Generated<number>;
  id: string;
  event_id: string;
  tenant: string;
  endpoint_id: string;
  type: string;
  body: string;
  state: string;
  attempts: number;
  next_attempt_at: string;
  last_status: number | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
  delivered_at: string | null;
}

/** The webhook tables, for `db.withTables<WebhookTables>()`. */
export type WebhookTables = {
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
};

/** An endpoint as the store keeps it. */
export interface StoredWebhookEndpoint {
  readonly id: string;
  readonly tenant: string;
  readonly url: string;
  readonly events: readonly string[];
  readonly createdAt: string;
}

/** A delivery as the store keeps it. */
export interface StoredWebhookDelivery {
  readonly id: string;
  readonly eventId: string;
  readonly tenant: string;
  readonly endpointId: string;
  readonly type: string;
  readonly body: string;
  /** pending | delivered | dead | cancelled (tsm/'s vocabulary). */
  readonly state: string;
  readonly attempts: number;
  readonly nextAttemptAt: string;
  readonly lastStatus: number | null;
  readonly lastError: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly deliveredAt: string | null;
}

/** What finishing an attempt may set. */
export type WebhookDeliveryChange = Pick<StoredWebhookDelivery, 'state' | 'nextAttemptAt' | 'lastStatus' | 'lastError' | 'updatedAt' | 'deliveredAt'>;

/** Most rows one list call returns. */
export const MAX_WEBHOOK_PAGE = 1000;

function tables(db: StoreDb): Kysely<StoreSchema & WebhookTables> {
  return db.withTables<WebhookTables>();
}

/** Validates an endpoint record before it is written; messages never quote a value. */
export function assertWebhookEndpoint(record: unknown): asserts record is StoredWebhookEndpoint {
  assertObject(record, 'webhook endpoint');
  for (const f of ['id', 'tenant'] as const) assertText(record[f], `webhook endpoint ${f}`, MAX_KEY_TEXT);
  assertText(record.url, 'webhook endpoint url', 4096);
  assertText(record.createdAt, 'webhook endpoint createdAt', 64);
  if (!Array.isArray(record.events) || record.events.length === 0 || record.events.length > 64) {
    throw new StoreError('ERR_STORE_RECORD', 'webhook endpoint events: expected an array of 1..64 names');
  }
  for (const e of record.events as unknown[]) assertText(e, 'webhook endpoint event', 64);
}

/** Validates a delivery record before it is written. */
export function assertWebhookDelivery(record: unknown): asserts record is StoredWebhookDelivery {
  assertObject(record, 'webhook delivery');
  for (const f of ['id', 'eventId', 'tenant', 'endpointId', 'type', 'state'] as const) assertText(record[f], `webhook delivery ${f}`, MAX_KEY_TEXT);
  assertText(record.body, 'webhook delivery body', MAX_TEXT);
  for (const f of ['nextAttemptAt', 'createdAt', 'updatedAt'] as const) assertText(record[f], `webhook delivery ${f}`, 64);
  assertInteger(record.attempts, 'webhook delivery attempts', 0, 1_000_000);
  if (record.lastStatus !== null) assertInteger(record.lastStatus, 'webhook delivery lastStatus', 0, 999);
  if (record.lastError !== null) assertText(record.lastError, 'webhook delivery lastError', MAX_KEY_TEXT);
  if (record.deliveredAt !== null) assertText(record.deliveredAt, 'webhook delivery deliveredAt', 64);
}

function endpointFromRow(row: WebhookEndpointsTable): StoredWebhookEndpoint {
  try {
    const record = { id: row.id, tenant: row.tenant, url: row.url, events: JSON.parse(row.events) as unknown, createdAt: row.created_at };
    assertWebhookEndpoint(record);
    return record;
  } catch (cause) {
    throw new StoreError('ERR_STORE_RECORD', 'webhook_endpoints: a stored row does not have the shape the store writes', { cause });
  }
}

function deliveryToRow(r: StoredWebhookDelivery): Omit<WebhookDeliveriesTable, 'seq'> {
  return {
    id: r.id, event_id: r.eventId, tenant: r.tenant, endpoint_id: r.endpointId, type: r.type, body: r.body, state: r.state, attempts: r.attempts,
    next_attempt_at: r.nextAttemptAt, last_status: r.lastStatus, last_error: r.lastError, created_at: r.createdAt, updated_at: r.updatedAt, delivered_at: r.deliveredAt,
  };
}

function deliveryFromRow(row: Selectable<WebhookDeliveriesTable>): StoredWebhookDelivery {
  const record = {
    id: row.id, eventId: row.event_id, tenant: row.tenant, endpointId: row.endpoint_id, type: row.type, body: row.body, state: row.state,
    attempts: Number(row.attempts), nextAttemptAt: row.next_attempt_at, lastStatus: row.last_status === null ? null : Number(row.last_status),
    lastError: row.last_error, createdAt: row.created_at, updatedAt: row.updated_at, deliveredAt: row.delivered_at,
  };
  try {
    assertWebhookDelivery(record);
  } catch (cause) {
    throw new StoreError('ERR_STORE_RECORD', 'webhook_deliveries: a stored row does not have the shape the store writes', { cause });
  }
  return record;
}

/** Adds an endpoint; ERR_STORE_CONFLICT when the id exists. */
export async function insertWebhookEndpoint(db: StoreDb, record: StoredWebhookEndpoint): Promise<void> {
  assertWebhookEndpoint(record);
  const row = { id: record.id, tenant: record.tenant, url: record.url, events: JSON.stringify(record.events), created_at: record.createdAt };
  const inserted = await storeOperation('insertWebhookEndpoint', () =>
    tables(db).insertInto('webhook_endpoints').values(row).onConflict((oc) => oc.doNothing()).executeTakeFirst(),
  );
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) !== 1) throw new StoreError('ERR_STORE_CONFLICT', 'webhook_endpoints: an endpoint with this id already exists');
}

/** The endpoint `id` of `tenant`, or undefined (another tenant's endpoint is not found). */
export async function getWebhookEndpoint(db: StoreDb, tenant: string, id: string): Promise<StoredWebhookEndpoint | undefined> {
  assertLookup(tenant, 'getWebhookEndpoint tenant');
  assertLookup(id, 'getWebhookEndpoint id');
  if (!isStorableText(id, MAX_KEY_TEXT) || !isStorableText(tenant, MAX_KEY_TEXT)) return undefined;
  const row = await storeOperation('getWebhookEndpoint', () =>
    tables(db).selectFrom('webhook_endpoints').selectAll().where('id', '=', id).where('tenant', '=', tenant).executeTakeFirst(),
  );
  return row === undefined ? undefined : endpointFromRow(row);
}

/** The endpoints of `tenant`, in id order. */
export async function listWebhookEndpoints(db: StoreDb, tenant: string): Promise<readonly StoredWebhookEndpoint[]> {
  assertLookup(tenant, 'listWebhookEndpoints tenant');
  const rows = await storeOperation('listWebhookEndpoints', () =>
    tables(db).selectFrom('webhook_endpoints').selectAll().where('tenant', '=', tenant).orderBy('id').limit(MAX_WEBHOOK_PAGE).execute(),
  );
  return rows.map(endpointFromRow);
}

/**
 * Deletes `tenant`'s endpoint `id` and cancels its pending deliveries; false when there is none.
 * Two statements: a crash between them leaves pending deliveries of a missing endpoint, which the
 * dispatcher cancels when it claims them.
 */
export async function deleteWebhookEndpoint(db: StoreDb, tenant: string, id: string, at: string): Promise<boolean> {
  assertLookup(tenant, 'deleteWebhookEndpoint tenant');
  assertLookup(id, 'deleteWebhookEndpoint id');
  const deleted = await storeOperation('deleteWebhookEndpoint', () =>
    tables(db).deleteFrom('webhook_endpoints').where('id', '=', id).where('tenant', '=', tenant).executeTakeFirst(),
  );
  if (Number(deleted.numDeletedRows) !== 1) return false;
  await storeOperation('deleteWebhookEndpoint', () =>
    tables(db).updateTable('webhook_deliveries').set({ state: 'cancelled', updated_at: at, last_error: 'endpoint deleted' })
      .where('endpoint_id', '=', id).where('state', '=', 'pending').execute(),
  );
  return true;
}

/** Adds deliveries in one statement (all or none); ERR_STORE_CONFLICT when an id exists. */
export async function insertWebhookDeliveries(db: StoreDb, records: readonly StoredWebhookDelivery[]): Promise<void> {
  if (records.length === 0) return;
  for (const r of records) assertWebhookDelivery(r);
  await storeOperation('insertWebhookDeliveries', async () => {
    try {
      await tables(db).insertInto('webhook_deliveries').values(records.map(deliveryToRow)).execute();
    } catch (cause) {
      if (/unique|duplicate/i.test(String((cause as Error).message))) throw new StoreError('ERR_STORE_CONFLICT', 'webhook_deliveries: a delivery with this id already exists');
      throw cause;
    }
  });
}

/** The delivery `id`, or undefined. */
export async function getWebhookDelivery(db: StoreDb, id: string): Promise<StoredWebhookDelivery | undefined> {
  assertLookup(id, 'getWebhookDelivery id');
  const row = await storeOperation('getWebhookDelivery', () => tables(db).selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirst());
  return row === undefined ? undefined : deliveryFromRow(row);
}

/** Deliveries in creation order, optionally of one tenant, endpoint, event or state. */
export async function listWebhookDeliveries(
  db: StoreDb,
  filter: { readonly tenant?: string; readonly endpointId?: string; readonly eventId?: string; readonly state?: string; readonly limit?: number } = {},
): Promise<readonly StoredWebhookDelivery[]> {
  const limit = filter.limit ?? MAX_WEBHOOK_PAGE;
  assertLimit(limit, 'listWebhookDeliveries limit', MAX_WEBHOOK_PAGE);
  const rows = await storeOperation('listWebhookDeliveries', () => {
    let q = tables(db).selectFrom('webhook_deliveries').selectAll();
    if (filter.tenant !== undefined) q = q.where('tenant', '=', filter.tenant);
    if (filter.endpointId !== undefined) q = q.where('endpoint_id', '=', filter.endpointId);
    if (filter.eventId !== undefined) q = q.where('event_id', '=', filter.eventId);
    if (filter.state !== undefined) q = q.where('state', '=', filter.state);
    return q.orderBy('seq').limit(limit).execute();
  });
  return rows.map(deliveryFromRow);
}

/** Pending deliveries due at `now` (ISO text), earliest first. */
export async function listDueWebhookDeliveries(db: StoreDb, now: string, limit: number): Promise<readonly StoredWebhookDelivery[]> {
  assertLookup(now, 'listDueWebhookDeliveries now');
  assertLimit(limit, 'listDueWebhookDeliveries limit', MAX_WEBHOOK_PAGE);
  const rows = await storeOperation('listDueWebhookDeliveries', () =>
    tables(db).selectFrom('webhook_deliveries').selectAll().where('state', '=', 'pending').where('next_attempt_at', '<=', now)
      .orderBy('next_attempt_at').orderBy('seq').limit(limit).execute(),
  );
  return rows.map(deliveryFromRow);
}

/** When the earliest pending delivery is due (ISO text), or undefined when none is pending. */
export async function nextWebhookDeliveryAt(db: StoreDb): Promise<string | undefined> {
  const row = await storeOperation('nextWebhookDeliveryAt', () =>
    tables(db).selectFrom('webhook_deliveries').select('next_attempt_at').where('state', '=', 'pending').orderBy('next_attempt_at').limit(1).executeTakeFirst(),
  );
  return row?.next_attempt_at;
}

/**
 * Claims a pending delivery for one attempt: counts the attempt and moves `next_attempt_at` to
 * `leaseUntil` (when the attempt is retried if its sender vanished), only if the row is still
 * pending and still due at `expectedNext`. True when this caller won the claim.
 */
export async function claimWebhookDelivery(db: StoreDb, id: string, expectedNext: string, leaseUntil: string, at: string): Promise<boolean> {
  assertLookup(id, 'claimWebhookDelivery id');
  assertText(leaseUntil, 'claimWebhookDelivery leaseUntil', 64);
  const result = await storeOperation('claimWebhookDelivery', () =>
    tables(db).updateTable('webhook_deliveries')
      .set((eb) => ({ attempts: eb('attempts', '+', 1), next_attempt_at: leaseUntil, updated_at: at }))
      .where('id', '=', id).where('state', '=', 'pending').where('next_attempt_at', '=', expectedNext).executeTakeFirst(),
  );
  return Number(result.numUpdatedRows) === 1;
}

/** Records an attempt's outcome on a delivery that is still pending; false when it no longer is. */
export async function finishWebhookDelivery(db: StoreDb, id: string, change: WebhookDeliveryChange): Promise<boolean> {
  assertLookup(id, 'finishWebhookDelivery id');
  for (const f of ['state', 'nextAttemptAt', 'updatedAt'] as const) assertText(change[f], `webhook delivery ${f}`, 64);
  if (change.lastError !== null) assertText(change.lastError, 'webhook delivery lastError', MAX_KEY_TEXT);
  const result = await storeOperation('finishWebhookDelivery', () =>
    tables(db).updateTable('webhook_deliveries')
      .set({ state: change.state, next_attempt_at: change.nextAttemptAt, last_status: change.lastStatus, last_error: change.lastError, updated_at: change.updatedAt, delivered_at: change.deliveredAt })
      .where('id', '=', id).where('state', '=', 'pending').executeTakeFirst(),
  );
  return Number(result.numUpdatedRows) === 1;
}
