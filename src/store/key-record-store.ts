/**
 * The key and custodian repositories bound to one database, in the shape of `KeyRecordStore`
 * (src/hsm/key-record-store.ts). The store does not import `hsm/` (docs/architecture.md §2): it
 * matches the interface structurally, and `tsm/` or `cli/` wire the two together, passing a
 * `narrow` function that turns the stored attribute codes back into the HSM's own types.
 */
import { getCustodian, listCustodians, putCustodian, type StoredCustodianRecord } from './custodians.ts';
import { getKey, listKeys, listKeysNotUnder, putKey, type KeyRecordFilter, type StoredKeyAttributes, type StoredKeyRecord } from './key-records.ts';
import type { StoreDb } from './schema.ts';

/** Key records and custodians of one database; every method is one of the plain functions with `db` bound. */
export interface KeyRecordRepository<A extends StoredKeyAttributes = StoredKeyAttributes> {
  getKey(id: string): Promise<StoredKeyRecord<A> | undefined>;
  putKey(record: StoredKeyRecord<A>): Promise<void>;
  listKeys(filter: KeyRecordFilter): Promise<readonly StoredKeyRecord<A>[]>;
  listKeysNotUnder(lmkKcv: string, limit: number): Promise<readonly StoredKeyRecord<A>[]>;
  getCustodian(name: string): Promise<StoredCustodianRecord | undefined>;
  putCustodian(record: StoredCustodianRecord): Promise<void>;
  listCustodians(): Promise<readonly StoredCustodianRecord[]>;
}

/** Checks stored attributes and returns them as the caller's type (throw to refuse a record). */
export type NarrowKeyAttributes<A extends StoredKeyAttributes> = (attributes: StoredKeyAttributes, id: string) => A;

/**
 * Binds the key and custodian repositories to `db` (a database or a transaction). With `narrow`,
 * every record read passes through it, so a caller gets its own attribute types back — checked,
 * not cast; what `narrow` throws reaches the caller unchanged.
 * @example const store: KeyRecordStore = keyRecordStore(db, parseKeyAttributes);
 */
export function keyRecordStore(db: StoreDb): KeyRecordRepository;
export function keyRecordStore<A extends StoredKeyAttributes>(db: StoreDb, narrow: NarrowKeyAttributes<A>): KeyRecordRepository<A>;
export function keyRecordStore(db: StoreDb, narrow: NarrowKeyAttributes<StoredKeyAttributes> = (a) => a): KeyRecordRepository {
  const read = (record: StoredKeyRecord): StoredKeyRecord => ({ ...record, attributes: narrow(record.attributes, record.id) });
  return Object.freeze({
    getKey: async (id: string) => {
      const record = await getKey(db, id);
      return record === undefined ? undefined : read(record);
    },
    putKey: (record: StoredKeyRecord) => putKey(db, record),
    listKeys: async (filter: KeyRecordFilter) => (await listKeys(db, filter)).map(read),
    listKeysNotUnder: async (lmkKcv: string, limit: number) => (await listKeysNotUnder(db, lmkKcv, limit)).map(read),
    getCustodian: (name: string) => getCustodian(db, name),
    putCustodian: (record: StoredCustodianRecord) => putCustodian(db, record),
    listCustodians: () => listCustodians(db),
  });
}
