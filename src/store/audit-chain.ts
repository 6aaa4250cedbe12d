/**
 * The chained audit log's rows (migration 2026-11-27T1220, docs/audit.md): the logs and their
 * records. The store computes no MAC and judges no chain — tsm/audit does both; the store keeps
 * exactly what it is given and, on reading, hands rows back as stored (coerced to the record's
 * types, never refused), so that a verifier can report a tampered row instead of failing on it.
 * Plain functions taking `db` first.
 */
import type { Selectable } from 'kysely';
import { StoreError, storeOperation } from './errors.ts';
import type { AuditChainTable, StoreDb } from './schema.ts';
import { bytesFromColumn } from './column-types.ts';
import { assertInteger, assertLimit, assertLookup, assertObject, assertOptionalText, assertText, MAX_KEY_TEXT, MAX_TEXT } from './validate.ts';

/** A record of a chained audit log as the store keeps it. */
export interface StoredAuditChainRecord {
  readonly logId: string;
  /** 1, 2, 3, … per log, with no gap. */
  readonly seq: number;
  readonly at: string;
  readonly tenant: string;
  readonly actor: string;
  readonly kind: string;
  readonly action: string;
  readonly requestId?: string | undefined;
  /** JSON array of subject ids, exactly as MACed. */
  readonly subjects: string;
  readonly result: string;
  /** JSON object, exactly as MACed. */
  readonly detail: string;
  /** The id of the HSM key whose HMAC `mac` is. */
  readonly macKey: string;
  readonly prevMac: Uint8Array;
  readonly mac: Uint8Array;
}

/** A chained log: its id and when it began. */
export interface StoredAuditLog {
  readonly logId: string;
  readonly createdAt: string;
}

/** Most records `readAuditChain` returns at once. */
export const MAX_AUDIT_CHAIN_PAGE = 10_000;
/** Longest MAC the store accepts (HMAC-SHA-512 would fit). */
const MAX_MAC = 64;

function assertMac(value: unknown, what: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array) || value.length < 1 || value.length > MAX_MAC) {
    throw new StoreError('ERR_STORE_RECORD', `${what}: expected 1–${MAX_MAC} bytes`);
  }
}

/** Validates a chain record before it is written; messages never quote a value. */
export function assertAuditChainRecord(record: unknown): asserts record is StoredAuditChainRecord {
  assertObject(record, 'audit chain record');
  assertText(record.logId, 'audit chain logId', MAX_KEY_TEXT);
  assertInteger(record.seq, 'audit chain seq', 1, Number.MAX_SAFE_INTEGER);
  assertText(record.at, 'audit chain at', 64);
  for (const field of ['tenant', 'actor', 'kind', 'action', 'result', 'macKey'] as const) assertText(record[field], `audit chain ${field}`, MAX_KEY_TEXT);
  assertOptionalText(record.requestId, 'audit chain requestId', MAX_KEY_TEXT);
  assertText(record.subjects, 'audit chain subjects', MAX_TEXT);
  assertText(record.detail, 'audit chain detail', MAX_TEXT);
  assertMac(record.prevMac, 'audit chain prevMac');
  assertMac(record.mac, 'audit chain mac');
}

/** Records a log's id; false when it exists already (the first writer's row stays). */
export async function createAuditLog(db: StoreDb, row: StoredAuditLog): Promise<boolean> {
  assertObject(row, 'audit log');
  assertText(row.logId, 'audit log logId', MAX_KEY_TEXT);
  assertText(row.createdAt, 'audit log createdAt', 64);
  const result = await storeOperation('createAuditLog', () =>
    db.insertInto('audit_logs').values({ log_id: row.logId, created_at: row.createdAt }).onConflict((oc) => oc.doNothing()).executeTakeFirst(),
  );
  return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
}

/** Every log, oldest first (then by id). */
export async function listAuditLogs(db: StoreDb): Promise<readonly StoredAuditLog[]> {
  const rows = await storeOperation('listAuditLogs', () => db.selectFrom('audit_logs').selectAll().orderBy('created_at').orderBy('log_id').execute());
  return rows.map((r) => ({ logId: String(r.log_id), createdAt: String(r.created_at) }));
}

/**
 * Appends a record if its seq is free in its log. Returns false, writing nothing, when another
 * writer took that seq first: the caller re-reads the head and tries the next one.
 */
export async function insertAuditChainRecord(db: StoreDb, record: StoredAuditChainRecord): Promise<boolean> {
  assertAuditChainRecord(record);
  const result = await storeOperation('insertAuditChainRecord', () =>
    db.insertInto('audit_chain').values(toRow(record)).onConflict((oc) => oc.columns(['log_id', 'seq']).doNothing()).executeTakeFirst(),
  );
  return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
}

/** The record with the highest seq of a log, or undefined when the log is empty. */
export async function getAuditChainHead(db: StoreDb, logId: string): Promise<StoredAuditChainRecord | undefined> {
  assertLookup(logId, 'getAuditChainHead logId');
  const row = await storeOperation('getAuditChainHead', () =>
    db.selectFrom('audit_chain').selectAll().where('log_id', '=', logId).orderBy('seq', 'desc').limit(1).executeTakeFirst(),
  );
  return row === undefined ? undefined : fromRow(row);
}

/** Up to `limit` records of a log with seq > `afterSeq`, in seq order (keyset paging: memory stays bounded). */
export async function readAuditChain(db: StoreDb, logId: string, afterSeq: number, limit: number): Promise<readonly StoredAuditChainRecord[]> {
  assertLookup(logId, 'readAuditChain logId');
  assertLimit(limit, 'readAuditChain limit', MAX_AUDIT_CHAIN_PAGE);
  if (typeof afterSeq !== 'number' || !Number.isSafeInteger(afterSeq) || afterSeq < 0) {
    throw new StoreError('ERR_STORE_PARAM', 'readAuditChain afterSeq: expected a non-negative integer');
  }
  const rows = await storeOperation('readAuditChain', () =>
    db.selectFrom('audit_chain').selectAll().where('log_id', '=', logId).where('seq', '>', afterSeq).orderBy('seq').limit(limit).execute(),
  );
  return rows.map(fromRow);
}

function toRow(r: StoredAuditChainRecord): AuditChainTable {
  return {
    log_id: r.logId, seq: r.seq, at: r.at, tenant: r.tenant, actor: r.actor, kind: r.kind, action: r.action,
    request_id: r.requestId ?? null, subjects: r.subjects, result: r.result, detail: r.detail, mac_key: r.macKey,
    prev_mac: r.prevMac, mac: r.mac,
  };
}

/** A column as bytes whatever an editor put there (text becomes its UTF-8 bytes: it will not verify). */
function bytesOf(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return bytesFromColumn(value);
  return new TextEncoder().encode(String(value));
}

/** A row as stored, coerced but never refused (the verifier judges it). */
function fromRow(row: Selectable<AuditChainTable>): StoredAuditChainRecord {
  return {
    logId: String(row.log_id), seq: Number(row.seq), at: String(row.at), tenant: String(row.tenant), actor: String(row.actor),
    kind: String(row.kind), action: String(row.action), ...(row.request_id === null ? {} : { requestId: String(row.request_id) }),
    subjects: String(row.subjects), result: String(row.result), detail: String(row.detail), macKey: String(row.mac_key),
    prevMac: bytesOf(row.prev_mac), mac: bytesOf(row.mac),
  };
}
