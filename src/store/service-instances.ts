/**
 * Service instances (migration 2026-11-27T1300, docs/provisioning.md): which SP service is deployed
 * to which SE under which AID, and in what state. One live (not terminated) instance per AID per SE,
 * enforced by a partial unique index, so two concurrent deploys of one AID cannot both be accepted.
 * No personal data here: the card's PAN stays in the job's sealed payload and the issuer's keyed index.
 */
import { StoreError, storeOperation } from './errors.ts';
import type { ServiceInstancesTable, StoreDb } from './schema.ts';
import { assertLimit, assertLookup, assertObject, assertOptionalText, assertText, isStorableText, MAX_KEY_TEXT } from './validate.ts';

/** A service instance as the store keeps it (states are tsm/'s, kept as text here). */
export interface StoredServiceInstance {
  readonly instanceId: string;
  readonly sp: string;
  readonly serviceId: string;
  readonly seId: string;
  /** Application instance AID, upper-case hex. */
  readonly aid: string;
  readonly state: string;
  readonly cardId?: string;
  readonly jobId?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export function assertServiceInstance(record: unknown): asserts record is StoredServiceInstance {
  assertObject(record, 'service instance');
  for (const field of ['instanceId', 'sp', 'serviceId', 'seId', 'aid', 'state'] as const) assertText(record[field], `service instance ${field}`, MAX_KEY_TEXT);
  assertOptionalText(record.cardId, 'service instance cardId', MAX_KEY_TEXT);
  assertOptionalText(record.jobId, 'service instance jobId', MAX_KEY_TEXT);
  assertText(record.createdAt, 'service instance createdAt', 64);
  assertText(record.updatedAt, 'service instance updatedAt', 64);
}

function toRow(r: StoredServiceInstance): ServiceInstancesTable {
  return {
    instance_id: r.instanceId, sp: r.sp, service_id: r.serviceId, se_id: r.seId, aid: r.aid, state: r.state,
    card_id: r.cardId ?? null, job_id: r.jobId ?? null, created_at: r.createdAt, updated_at: r.updatedAt,
  };
}

function fromRow(row: ServiceInstancesTable): StoredServiceInstance {
  const record = {
    instanceId: row.instance_id, sp: row.sp, serviceId: row.service_id, seId: row.se_id, aid: row.aid, state: row.state,
    ...(row.card_id === null ? {} : { cardId: row.card_id }), ...(row.job_id === null ? {} : { jobId: row.job_id }),
    createdAt: row.created_at, updatedAt: row.updated_at,
  };
  try {
    assertServiceInstance(record);
  } catch (cause) {
    throw new StoreError('ERR_STORE_RECORD', 'service_instances: a stored row does not have the shape the store writes', { cause });
  }
  return record;
}

/** Adds an instance; ERR_STORE_CONFLICT when the id exists or the SE already has a live instance of the AID. */
export async function insertServiceInstance(db: StoreDb, record: StoredServiceInstance): Promise<void> {
  assertServiceInstance(record);
  const inserted = await storeOperation('insertServiceInstance', () =>
    db.insertInto('service_instances').values(toRow(record)).onConflict((oc) => oc.doNothing()).executeTakeFirst(),
  );
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) !== 1) throw new StoreError('ERR_STORE_CONFLICT', 'service_instances: this instance, or a live instance of this AID on this SE, exists');
}

/** The instance `instanceId`, or undefined. */
export async function getServiceInstance(db: StoreDb, instanceId: string): Promise<StoredServiceInstance | undefined> {
  assertLookup(instanceId, 'getServiceInstance instanceId');
  if (!isStorableText(instanceId, MAX_KEY_TEXT)) return undefined;
  const row = await storeOperation('getServiceInstance', () => db.selectFrom('service_instances').selectAll().where('instance_id', '=', instanceId).executeTakeFirst());
  return row === undefined ? undefined : fromRow(row);
}

/** Instances on an SE (all states), or of an SP's service, oldest first, at most `limit` (default 1000). */
export async function listServiceInstances(
  db: StoreDb,
  filter: { readonly seId?: string; readonly sp?: string; readonly serviceId?: string; readonly states?: readonly string[]; readonly limit?: number },
): Promise<readonly StoredServiceInstance[]> {
  if (filter.seId !== undefined) assertLookup(filter.seId, 'listServiceInstances seId');
  if (filter.sp !== undefined) assertLookup(filter.sp, 'listServiceInstances sp');
  if (filter.serviceId !== undefined) assertLookup(filter.serviceId, 'listServiceInstances serviceId');
  const limit = filter.limit ?? 1000;
  assertLimit(limit, 'listServiceInstances limit', 10000);
  const rows = await storeOperation('listServiceInstances', () => {
    let q = db.selectFrom('service_instances').selectAll();
    if (filter.seId !== undefined) q = q.where('se_id', '=', filter.seId);
    if (filter.sp !== undefined) q = q.where('sp', '=', filter.sp);
    if (filter.serviceId !== undefined) q = q.where('service_id', '=', filter.serviceId);
    if (filter.states !== undefined && filter.states.length > 0) q = q.where('state', 'in', [...filter.states]);
    return q.orderBy('created_at').orderBy('instance_id').limit(limit).execute();
  });
  return rows.map(fromRow);
}

/**
 * Moves an instance to `to` when it is in one of `from` (a guard: a concurrent change wins, this one
 * reports false); sets the card id and the job id when given.
 */
export async function updateServiceInstanceState(
  db: StoreDb,
  instanceId: string,
  change: { readonly from: readonly string[]; readonly to: string; readonly at: string; readonly cardId?: string; readonly jobId?: string },
): Promise<boolean> {
  assertLookup(instanceId, 'updateServiceInstanceState instanceId');
  assertText(change.to, 'updateServiceInstanceState to', MAX_KEY_TEXT);
  assertText(change.at, 'updateServiceInstanceState at', 64);
  assertOptionalText(change.cardId, 'updateServiceInstanceState cardId', MAX_KEY_TEXT);
  assertOptionalText(change.jobId, 'updateServiceInstanceState jobId', MAX_KEY_TEXT);
  if (!Array.isArray(change.from) || change.from.length === 0) throw new StoreError('ERR_STORE_PARAM', 'updateServiceInstanceState from: expected states');
  const result = await storeOperation('updateServiceInstanceState', () =>
    db.updateTable('service_instances')
      .set({ state: change.to, updated_at: change.at, ...(change.cardId === undefined ? {} : { card_id: change.cardId }), ...(change.jobId === undefined ? {} : { job_id: change.jobId }) })
      .where('instance_id', '=', instanceId).where('state', 'in', [...change.from])
      .executeTakeFirst(),
  );
  return Number(result.numUpdatedRows) === 1;
}
