/**
 * The MNO's SE registry rows (migration 2026-11-27T1305-registry): card batches, Secure Elements,
 * subscriptions and notifications. The store checks shapes only; statuses and JSON fields are
 * tsm/registry's vocabulary. Every read is scoped by the owning MNO where the caller is one, so
 * another tenant's id reads as a missing one. Plain functions taking `db` first.
 */
import type { Transaction } from 'kysely';
import { StoreError, storeOperation } from './errors.ts';
import type { SecureElementsTable, SeBatchesTable, SeNotificationsTable, SubscriptionsTable } from './registry-tables.ts';
import type { StoreDb, StoreSchema } from './schema.ts';
import { assertInteger, assertLookup, assertObject, assertText, isStorableText, MAX_KEY_TEXT, MAX_TEXT } from './validate.ts';

/** A Secure Element row (JSON columns as text owned by tsm/registry). */
export type StoredSecureElement = Readonly<SecureElementsTable>;
/** A card batch row. */
export type StoredSeBatch = Readonly<SeBatchesTable>;
/** A subscription row. */
export type StoredSubscription = Readonly<SubscriptionsTable>;
/** A notification row. */
export type StoredSeNotification = Readonly<SeNotificationsTable>;

function assertColumns(row: unknown, what: string, keys: readonly string[], nullableKeys: readonly string[], texts: readonly string[]): asserts row is Record<string, unknown> {
  assertObject(row, what);
  for (const k of keys) assertText(row[k], `${what} ${k}`, MAX_KEY_TEXT);
  for (const k of nullableKeys) if (row[k] !== null) assertText(row[k], `${what} ${k}`, MAX_KEY_TEXT);
  for (const k of texts) assertText(row[k], `${what} ${k}`, MAX_TEXT);
}

const inserted = (r: { numInsertedOrUpdatedRows?: bigint }): boolean => Number(r.numInsertedOrUpdatedRows ?? 0n) === 1;
const keyOk = (...values: string[]): boolean => values.every((v) => isStorableText(v, MAX_KEY_TEXT));

/** Adds a batch; ERR_STORE_CONFLICT when the id is taken. */
export async function insertSeBatch(db: StoreDb, row: StoredSeBatch): Promise<void> {
  assertColumns(row, 'se batch', ['id', 'mno', 'method', 'enc', 'mac', 'dek', 'created_at'], [], []);
  const r = await storeOperation('insertSeBatch', () => db.insertInto('se_batches').values({ ...row }).onConflict((oc) => oc.doNothing()).executeTakeFirst());
  if (!inserted(r)) throw new StoreError('ERR_STORE_CONFLICT', 'se_batches: a batch with this id exists');
}

/** The batch `id` of `mno`, or undefined. */
export async function getSeBatch(db: StoreDb, mno: string, id: string): Promise<StoredSeBatch | undefined> {
  assertLookup(mno, 'getSeBatch mno');
  assertLookup(id, 'getSeBatch id');
  if (!keyOk(mno, id)) return undefined;
  return storeOperation('getSeBatch', () => db.selectFrom('se_batches').selectAll().where('mno', '=', mno).where('id', '=', id).executeTakeFirst());
}

/** Adds an SE unless its id is taken: true when added (one `INSERT … ON CONFLICT DO NOTHING`). */
export async function insertSecureElement(db: StoreDb, row: StoredSecureElement): Promise<boolean> {
  assertColumns(row, 'secure element', ['se_id', 'mno', 'platform', 'status', 'request_hash', 'created_at', 'updated_at'], ['ara_aid', 'batch_id'], ['isd']);
  if (row.ota !== null) assertText(row.ota, 'secure element ota', MAX_TEXT);
  const r = await storeOperation('insertSecureElement', () => db.insertInto('secure_elements').values({ ...row }).onConflict((oc) => oc.doNothing()).executeTakeFirst());
  return inserted(r);
}

/** The SE `seId` (of `mno` when given; any MNO's otherwise — the SP side), or undefined. */
export async function getSecureElement(db: StoreDb, seId: string, mno?: string): Promise<StoredSecureElement | undefined> {
  assertLookup(seId, 'getSecureElement seId');
  if (mno !== undefined) assertLookup(mno, 'getSecureElement mno');
  if (!keyOk(seId, mno ?? '')) return undefined;
  return storeOperation('getSecureElement', () => {
    let q = db.selectFrom('secure_elements').selectAll().where('se_id', '=', seId);
    if (mno !== undefined) q = q.where('mno', '=', mno);
    return q.executeTakeFirst();
  });
}

/** Moves the SE's status from `from` to `to` (one conditional UPDATE): false when it was not `from`. */
export async function updateSecureElementStatus(db: StoreDb, seId: string, from: string, to: string, at: string): Promise<boolean> {
  for (const [v, w] of [[seId, 'seId'], [from, 'from'], [to, 'to'], [at, 'at']] as const) assertText(v, `updateSecureElementStatus ${w}`, MAX_KEY_TEXT);
  const r = await storeOperation('updateSecureElementStatus', () =>
    db.updateTable('secure_elements').set({ status: to, updated_at: at }).where('se_id', '=', seId).where('status', '=', from).executeTakeFirst());
  return Number(r.numUpdatedRows) === 1;
}

/** Adds a subscription; ERR_STORE_CONFLICT when the MNO already has a live one for the MSISDN (or the id/alias is taken). */
export async function insertSubscription(db: StoreDb, row: StoredSubscription): Promise<void> {
  assertColumns(row, 'subscription', ['id', 'mno', 'alias', 'msisdn_hash', 'se_id', 'status', 'created_at', 'updated_at'], ['live_msisdn_hash', 'ended_at'], []);
  const r = await storeOperation('insertSubscription', () => db.insertInto('subscriptions').values({ ...row }).onConflict((oc) => oc.doNothing()).executeTakeFirst());
  if (!inserted(r)) throw new StoreError('ERR_STORE_CONFLICT', 'subscriptions: a live subscription for this MSISDN exists');
}

/** What selects one subscription: its id (with its MNO) or its alias (the SP side). */
export type SubscriptionKey = { readonly id: string; readonly mno: string } | { readonly alias: string };

/** The subscription named by `key`, or undefined. */
export async function getSubscription(db: StoreDb, key: SubscriptionKey): Promise<StoredSubscription | undefined> {
  assertObject(key, 'getSubscription key');
  const values = 'alias' in key ? [key.alias] : [key.id, key.mno];
  for (const v of values) assertLookup(v, 'getSubscription key');
  if (!keyOk(...values)) return undefined;
  return storeOperation('getSubscription', () => {
    const q = db.selectFrom('subscriptions').selectAll();
    return ('alias' in key ? q.where('alias', '=', key.alias) : q.where('id', '=', key.id).where('mno', '=', key.mno)).executeTakeFirst();
  });
}

/** The SE's subscriptions that have not ended (normally one), oldest first. */
export async function liveSubscriptionsOf(db: StoreDb, seId: string): Promise<readonly StoredSubscription[]> {
  assertLookup(seId, 'liveSubscriptionsOf seId');
  if (!keyOk(seId)) return [];
  return storeOperation('liveSubscriptionsOf', () =>
    db.selectFrom('subscriptions').selectAll().where('se_id', '=', seId).where('ended_at', 'is', null).orderBy('created_at').execute());
}

/** Changes a live subscription's status and/or SE, or ends it (`ended`): false when it is not live. */
export async function updateSubscription(
  db: StoreDb,
  id: string,
  change: { readonly status: string; readonly seId?: string; readonly ended?: boolean; readonly at: string },
): Promise<boolean> {
  assertLookup(id, 'updateSubscription id');
  assertText(change.status, 'subscription status', MAX_KEY_TEXT);
  assertText(change.at, 'subscription at', 64);
  if (change.seId !== undefined) assertText(change.seId, 'subscription seId', MAX_KEY_TEXT);
  const set: Partial<SubscriptionsTable> = { status: change.status, updated_at: change.at };
  if (change.seId !== undefined) set.se_id = change.seId;
  if (change.ended === true) Object.assign(set, { ended_at: change.at, live_msisdn_hash: null });
  const r = await storeOperation('updateSubscription', () =>
    db.updateTable('subscriptions').set(set).where('id', '=', id).where('ended_at', 'is', null).executeTakeFirst());
  return Number(r.numUpdatedRows) === 1;
}

/** Records a notification. */
export async function insertSeNotification(db: StoreDb, row: StoredSeNotification): Promise<void> {
  assertColumns(row, 'se notification', ['id', 'mno', 'kind', 'se_id', 'received_at'], ['from_status', 'to_status'], ['detail']);
  if (row.reason !== null) assertInteger(row.reason, 'se notification reason', 0, 0x7fffffff);
  await storeOperation('insertSeNotification', () => db.insertInto('se_notifications').values({ ...row }).execute());
}

/** The SE's notifications, oldest first (at most `limit`, 1..1000). */
export async function listSeNotifications(db: StoreDb, seId: string, limit = 100): Promise<readonly StoredSeNotification[]> {
  assertLookup(seId, 'listSeNotifications seId');
  assertInteger(limit, 'listSeNotifications limit', 1, 1000);
  if (!keyOk(seId)) return [];
  return storeOperation('listSeNotifications', () =>
    db.selectFrom('se_notifications').selectAll().where('se_id', '=', seId).orderBy('received_at').orderBy('id').limit(limit).execute());
}

/** Runs `body` in one transaction (or in the caller's when `db` already is one). */
export function inRegistryTransaction<T>(db: StoreDb, body: (trx: StoreDb) => Promise<T>): Promise<T> {
  if (db.isTransaction) return body(db);
  return db.transaction().execute((trx: Transaction<StoreSchema>) => body(trx));
}
