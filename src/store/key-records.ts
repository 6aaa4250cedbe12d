/**
 * Key records: the software HSM's keys, each a TR-31 key block already wrapped under the LMK
 * (docs/architecture.md §3). Plain functions taking `db` first (a database or a transaction).
 * The store never sees a clear key: `putKey` refuses a `keyBlock` that is not shaped like a key block.
 */
import { StoreError, storeOperation } from './errors.ts';
import type { KeyRecordsTable, StoreDb } from './schema.ts';
import {
  assertInteger,
  assertLimit,
  assertLookup,
  assertObject,
  assertOneOf,
  assertOptionalText,
  assertText,
  isStorableText,
  MAX_KEY_TEXT,
  MAX_TEXT,
} from './validate.ts';

/** Key statuses; `destroyed` records keep their attributes and KCV but no key block. */
export const KEY_STATUSES = ['active', 'retired', 'destroyed'] as const;
export type KeyStatus = (typeof KEY_STATUSES)[number];

/**
 * Key attributes as the store keeps them: the X9.143 codes are opaque strings here (the store does
 * not import `crypto/` or `hsm/`); `keyRecordStore(db, narrow)` hands them back as the caller's type.
 */
export interface StoredKeyAttributes {
  readonly usage: string;
  readonly algorithm: string;
  readonly modeOfUse: string;
  readonly exportability: string;
  readonly length: number;
  readonly version: number;
  readonly owner: string;
  readonly label?: string | undefined;
  readonly class: string;
}

/** A key record: the shape of `KeyRecord` in src/hsm/key-record-store.ts, with attributes of type `A`. */
export interface StoredKeyRecord<A extends StoredKeyAttributes = StoredKeyAttributes> {
  readonly id: string;
  readonly attributes: A;
  readonly kcv: string;
  readonly status: KeyStatus;
  /** TR-31 key block under the LMK; empty exactly when the key is destroyed. */
  readonly keyBlock: string;
  readonly lmkKcv: string;
  readonly publicKey?: string | undefined;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** `listKeys` filter: every given field must match exactly. */
export interface KeyRecordFilter {
  readonly owner?: string;
  readonly usage?: string;
  readonly label?: string;
  readonly status?: KeyStatus;
}

/** Most records one `listKeysNotUnder` call returns. */
export const MAX_KEY_PAGE = 10_000;

const CODE_TEXT = 16;
const TIME_TEXT = 64;
/** A TR-31 key block: printable ASCII, a version character, then the block length in 4 decimal digits. */
const KEY_BLOCK_SHAPE = /^[0-9A-Z]\d{4}[\x20-\x7E]*$/;

/** Validates a record before it is written (CONVENTIONS.md §3); messages never quote a value. */
export function assertKeyRecord(record: unknown): asserts record is StoredKeyRecord {
  assertObject(record, 'key record');
  assertText(record.id, 'key record id', MAX_KEY_TEXT);
  assertObject(record.attributes, 'key record attributes');
  const a = record.attributes;
  assertText(a.usage, 'key attributes usage', CODE_TEXT);
  assertText(a.algorithm, 'key attributes algorithm', CODE_TEXT);
  assertText(a.modeOfUse, 'key attributes modeOfUse', CODE_TEXT);
  assertText(a.exportability, 'key attributes exportability', CODE_TEXT);
  assertInteger(a.length, 'key attributes length', 0, 2 ** 31 - 1);
  assertInteger(a.version, 'key attributes version', 0, 2 ** 31 - 1);
  assertText(a.owner, 'key attributes owner', MAX_KEY_TEXT);
  assertOptionalText(a.label, 'key attributes label', MAX_TEXT);
  assertText(a.class, 'key attributes class', MAX_KEY_TEXT);
  assertText(record.kcv, 'key record kcv', MAX_KEY_TEXT);
  assertOneOf(record.status, KEY_STATUSES, 'key record status');
  assertText(record.keyBlock, 'key record keyBlock', MAX_TEXT, 0);
  assertKeyBlockShape(record.keyBlock, record.status);
  assertText(record.lmkKcv, 'key record lmkKcv', MAX_KEY_TEXT);
  assertOptionalText(record.publicKey, 'key record publicKey', MAX_TEXT);
  assertText(record.createdAt, 'key record createdAt', TIME_TEXT);
  assertText(record.updatedAt, 'key record updatedAt', TIME_TEXT);
}

function assertKeyBlockShape(keyBlock: string, status: KeyStatus): void {
  if (status === 'destroyed') {
    if (keyBlock !== '') throw new StoreError('ERR_STORE_RECORD', 'key record keyBlock: a destroyed key keeps no key block, got a non-empty one');
    return;
  }
  if (!KEY_BLOCK_SHAPE.test(keyBlock) || Number(keyBlock.slice(1, 5)) !== keyBlock.length) {
    throw new StoreError(
      'ERR_STORE_RECORD',
      `key record keyBlock: expected a TR-31 key block (printable ASCII, its length field equal to its ${keyBlock.length} characters)`,
    );
  }
}

function toRow(r: StoredKeyRecord): KeyRecordsTable {
  const a = r.attributes;
  return {
    id: r.id,
    usage: a.usage,
    algorithm: a.algorithm,
    mode_of_use: a.modeOfUse,
    exportability: a.exportability,
    length: a.length,
    version: a.version,
    owner: a.owner,
    label: a.label ?? null,
    class: a.class,
    kcv: r.kcv,
    status: r.status,
    key_block: r.keyBlock,
    lmk_kcv: r.lmkKcv,
    public_key: r.publicKey ?? null,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
  };
}

/** A row back to a record; optional fields stored as NULL are left out. */
function fromRow(row: KeyRecordsTable): StoredKeyRecord {
  if (!(KEY_STATUSES as readonly string[]).includes(row.status)) {
    throw new StoreError('ERR_STORE_RECORD', `key record ${row.id}: the stored status is not one of ${KEY_STATUSES.join(', ')}`);
  }
  const attributes: StoredKeyAttributes = {
    usage: row.usage,
    algorithm: row.algorithm,
    modeOfUse: row.mode_of_use,
    exportability: row.exportability,
    length: row.length,
    version: row.version,
    owner: row.owner,
    ...(row.label === null ? {} : { label: row.label }),
    class: row.class,
  };
  return {
    id: row.id,
    attributes,
    kcv: row.kcv,
    status: row.status as KeyStatus,
    keyBlock: row.key_block,
    lmkKcv: row.lmk_kcv,
    ...(row.public_key === null ? {} : { publicKey: row.public_key }),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The key record `id`, or undefined. */
export async function getKey(db: StoreDb, id: string): Promise<StoredKeyRecord | undefined> {
  assertLookup(id, 'getKey id');
  if (!isStorableText(id, MAX_KEY_TEXT)) return undefined;
  const row = await storeOperation('getKey', () => db.selectFrom('key_records').selectAll().where('id', '=', id).executeTakeFirst());
  return row === undefined ? undefined : fromRow(row);
}

/**
 * Writes a key record, replacing any record with the same id, in one statement
 * (`INSERT … ON CONFLICT (id) DO UPDATE`): a reader sees the old record or the new one, never a mix.
 */
export async function putKey(db: StoreDb, record: StoredKeyRecord): Promise<void> {
  assertKeyRecord(record);
  const row = toRow(record);
  await storeOperation('putKey', () =>
    db
      .insertInto('key_records')
      .values(row)
      .onConflict((oc) =>
        oc.column('id').doUpdateSet((eb) => ({
          usage: eb.ref('excluded.usage'),
          algorithm: eb.ref('excluded.algorithm'),
          mode_of_use: eb.ref('excluded.mode_of_use'),
          exportability: eb.ref('excluded.exportability'),
          length: eb.ref('excluded.length'),
          version: eb.ref('excluded.version'),
          owner: eb.ref('excluded.owner'),
          label: eb.ref('excluded.label'),
          class: eb.ref('excluded.class'),
          kcv: eb.ref('excluded.kcv'),
          status: eb.ref('excluded.status'),
          key_block: eb.ref('excluded.key_block'),
          lmk_kcv: eb.ref('excluded.lmk_kcv'),
          public_key: eb.ref('excluded.public_key'),
          created_at: eb.ref('excluded.created_at'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute(),
  );
}

/** The key records matching every field of `filter` (an empty filter matches all), in id order. */
export async function listKeys(db: StoreDb, filter: KeyRecordFilter = {}): Promise<readonly StoredKeyRecord[]> {
  assertObject(filter, 'listKeys filter');
  const fields = [
    ['owner', filter.owner, MAX_KEY_TEXT],
    ['usage', filter.usage, CODE_TEXT],
    ['label', filter.label, MAX_TEXT],
    ['status', filter.status, CODE_TEXT],
  ] as const;
  let query = db.selectFrom('key_records').selectAll();
  for (const [column, value, max] of fields) {
    if (value === undefined) continue;
    assertLookup(value, `listKeys filter ${column}`);
    if (!isStorableText(value, max)) return [];
    query = query.where(column, '=', value);
  }
  const rows = await storeOperation('listKeys', () => query.orderBy('id').execute());
  return rows.map(fromRow);
}

/**
 * Up to `limit` records whose `lmkKcv` is not `lmkKcv`, in id order: after LMK rotation, re-wrap
 * each and put it back (a destroyed record, which holds no block, just takes the new `lmkKcv`), then
 * call again until none is left.
 */
export async function listKeysNotUnder(db: StoreDb, lmkKcv: string, limit: number): Promise<readonly StoredKeyRecord[]> {
  assertLookup(lmkKcv, 'listKeysNotUnder lmkKcv');
  if (!isStorableText(lmkKcv, MAX_KEY_TEXT)) throw new StoreError('ERR_STORE_PARAM', 'listKeysNotUnder lmkKcv: not a KCV the store could hold');
  assertLimit(limit, 'listKeysNotUnder limit', MAX_KEY_PAGE);
  const rows = await storeOperation('listKeysNotUnder', () =>
    db
      .selectFrom('key_records')
      .selectAll()
      .where('lmk_kcv', '<>', lmkKcv)
      .orderBy('id')
      .limit(limit)
      .execute(),
  );
  return rows.map(fromRow);
}
