/**
 * The audit log: append-only events (the shape of `AuditEvent` in src/hsm/audit.ts, with opaque
 * strings for its codes), ordered by a sequence number the database assigns. Events name keys by
 * id and KCV only; the store keeps exactly what it is given. Plain functions taking `db` first.
 */
import type { Selectable } from 'kysely';
import { StoreError, storeOperation } from './errors.ts';
import type { AuditEventsTable, StoreDb } from './schema.ts';
import { assertLimit, assertLookup, assertObject, assertOptionalText, assertText, isStorableText, MAX_KEY_TEXT, MAX_TEXT } from './validate.ts';

/** A key an audit event names. */
export interface AuditKeyRef {
  readonly id: string;
  readonly kcv: string;
}

/** An audit event as the store keeps it. */
export interface AuditEventRecord {
  readonly kind: string;
  readonly at: string;
  readonly tenant: string;
  readonly actor: string;
  readonly requestId?: string | undefined;
  readonly operation: string;
  readonly keys: readonly AuditKeyRef[];
  readonly result: string;
  readonly code?: string | undefined;
  readonly detail?: string | undefined;
}

/** A stored event and its place in the log. */
export interface StoredAuditEvent {
  readonly seq: number;
  readonly event: AuditEventRecord;
}

/** `queryAuditEvents` selection: every given field must match; `afterSeq`/`beforeSeq` page through the log. */
export interface AuditEventQuery {
  readonly tenant?: string;
  readonly actor?: string;
  readonly operation?: string;
  readonly result?: string;
  /** Only events that name this key id. */
  readonly keyId?: string;
  readonly afterSeq?: number;
  readonly beforeSeq?: number;
  /** `asc` (default): oldest first. */
  readonly order?: 'asc' | 'desc';
  /** 1..MAX_AUDIT_PAGE, default 100. */
  readonly limit?: number;
}

export const MAX_AUDIT_PAGE = 1000;
/** Most keys one event may name. */
export const MAX_AUDIT_KEYS = 64;

/** Validates an event before it is appended; messages never quote a value. */
export function assertAuditEvent(event: unknown): asserts event is AuditEventRecord {
  assertObject(event, 'audit event');
  assertText(event.kind, 'audit event kind', MAX_KEY_TEXT);
  assertText(event.at, 'audit event at', 64);
  assertText(event.tenant, 'audit event tenant', MAX_KEY_TEXT);
  assertText(event.actor, 'audit event actor', MAX_KEY_TEXT);
  assertOptionalText(event.requestId, 'audit event requestId', MAX_KEY_TEXT);
  assertText(event.operation, 'audit event operation', MAX_KEY_TEXT);
  assertText(event.result, 'audit event result', MAX_KEY_TEXT);
  assertOptionalText(event.code, 'audit event code', MAX_KEY_TEXT);
  assertOptionalText(event.detail, 'audit event detail', MAX_TEXT);
  const keys: unknown = event.keys;
  if (!Array.isArray(keys) || keys.length > MAX_AUDIT_KEYS) {
    throw new StoreError('ERR_STORE_RECORD', `audit event keys: expected an array of at most ${MAX_AUDIT_KEYS} keys`);
  }
  for (const [i, key] of (keys as unknown[]).entries()) {
    assertObject(key, `audit event keys[${i}]`);
    assertText(key.id, `audit event keys[${i}].id`, MAX_KEY_TEXT);
    assertText(key.kcv, `audit event keys[${i}].kcv`, MAX_KEY_TEXT);
  }
}

/**
 * Appends an event and returns its sequence number. The event and its key references are written
 * in one transaction (the caller's, when `db` is one).
 */
export async function appendAuditEvent(db: StoreDb, event: AuditEventRecord): Promise<number> {
  assertAuditEvent(event);
  const write = async (trx: StoreDb): Promise<number> => {
    const { seq } = await trx
      .insertInto('audit_events')
      .values({
        kind: event.kind,
        at: event.at,
        tenant: event.tenant,
        actor: event.actor,
        request_id: event.requestId ?? null,
        operation: event.operation,
        result: event.result,
        code: event.code ?? null,
        detail: event.detail ?? null,
      })
      .returning('seq')
      .executeTakeFirstOrThrow();
    if (event.keys.length > 0) {
      await trx
        .insertInto('audit_event_keys')
        .values(event.keys.map((k, position) => ({ event_seq: seq, position, key_id: k.id, kcv: k.kcv })))
        .execute();
    }
    return seq;
  };
  return storeOperation('appendAuditEvent', () => (db.isTransaction ? write(db) : db.transaction().execute(write)));
}

function assertSeq(value: unknown, what: string): asserts value is number | undefined {
  if (value !== undefined && (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)) {
    throw new StoreError('ERR_STORE_PARAM', `${what}: expected a non-negative integer`);
  }
}

/** Events matching `query`, oldest first unless `order: 'desc'`, each with the keys it names in order. */
export async function queryAuditEvents(db: StoreDb, query: AuditEventQuery = {}): Promise<readonly StoredAuditEvent[]> {
  assertObject(query, 'queryAuditEvents query');
  const limit = query.limit ?? 100;
  assertLimit(limit, 'queryAuditEvents limit', MAX_AUDIT_PAGE);
  assertSeq(query.afterSeq, 'queryAuditEvents afterSeq');
  assertSeq(query.beforeSeq, 'queryAuditEvents beforeSeq');
  const order = query.order ?? 'asc';
  if (order !== 'asc' && order !== 'desc') throw new StoreError('ERR_STORE_PARAM', 'queryAuditEvents order: expected asc or desc');
  let select = db.selectFrom('audit_events').selectAll();
  for (const column of ['tenant', 'actor', 'operation', 'result'] as const) {
    const value = query[column];
    if (value === undefined) continue;
    assertLookup(value, `queryAuditEvents ${column}`);
    if (!isStorableText(value, MAX_KEY_TEXT)) return [];
    select = select.where(column, '=', value);
  }
  if (query.keyId !== undefined) {
    const keyId = query.keyId;
    assertLookup(keyId, 'queryAuditEvents keyId');
    if (!isStorableText(keyId, MAX_KEY_TEXT)) return [];
    select = select.where('seq', 'in', (eb) => eb.selectFrom('audit_event_keys').select('event_seq').where('key_id', '=', keyId));
  }
  if (query.afterSeq !== undefined) select = select.where('seq', '>', query.afterSeq);
  if (query.beforeSeq !== undefined) select = select.where('seq', '<', query.beforeSeq);
  return storeOperation('queryAuditEvents', async () => {
    const rows = await select.orderBy('seq', order).limit(limit).execute();
    if (rows.length === 0) return [];
    const keyRows = await db
      .selectFrom('audit_event_keys')
      .select(['event_seq', 'key_id', 'kcv'])
      .where('event_seq', 'in', rows.map((r) => r.seq))
      .orderBy('event_seq')
      .orderBy('position')
      .execute();
    const keys = new Map<number, AuditKeyRef[]>();
    for (const k of keyRows) {
      const list = keys.get(k.event_seq) ?? [];
      list.push({ id: k.key_id, kcv: k.kcv });
      keys.set(k.event_seq, list);
    }
    return rows.map((row) => ({ seq: row.seq, event: fromRow(row, keys.get(row.seq) ?? []) }));
  });
}

function fromRow(row: Selectable<AuditEventsTable>, keys: readonly AuditKeyRef[]): AuditEventRecord {
  return {
    kind: row.kind,
    at: row.at,
    tenant: row.tenant,
    actor: row.actor,
    ...(row.request_id === null ? {} : { requestId: row.request_id }),
    operation: row.operation,
    keys,
    result: row.result,
    ...(row.code === null ? {} : { code: row.code }),
    ...(row.detail === null ? {} : { detail: row.detail }),
  };
}
