/**
 * Key custodians of the software HSM (the people who hold LMK components): a name and the scrypt
 * hash of the passphrase — never the passphrase. Plain functions taking `db` first.
 */
import { storeOperation } from './errors.ts';
import type { CustodiansTable, StoreDb } from './schema.ts';
import { assertLookup, assertObject, assertText, isStorableText, MAX_KEY_TEXT, MAX_TEXT } from './validate.ts';

/** A custodian: the shape of `CustodianRecord` in src/hsm/key-record-store.ts. */
export interface StoredCustodianRecord {
  readonly name: string;
  /** scrypt hash of the passphrase: `scrypt$N$r$p$salt$hash` (hex). */
  readonly passphraseHash: string;
  readonly createdAt: string;
}

/** Validates a custodian record before it is written; messages never quote a value. */
export function assertCustodianRecord(record: unknown): asserts record is StoredCustodianRecord {
  assertObject(record, 'custodian record');
  assertText(record.name, 'custodian name', MAX_KEY_TEXT);
  assertText(record.passphraseHash, 'custodian passphraseHash', MAX_TEXT);
  assertText(record.createdAt, 'custodian createdAt', 64);
}

function fromRow(row: CustodiansTable): StoredCustodianRecord {
  return { name: row.name, passphraseHash: row.passphrase_hash, createdAt: row.created_at };
}

/** The custodian `name`, or undefined. */
export async function getCustodian(db: StoreDb, name: string): Promise<StoredCustodianRecord | undefined> {
  assertLookup(name, 'getCustodian name');
  if (!isStorableText(name, MAX_KEY_TEXT)) return undefined;
  const row = await storeOperation('getCustodian', () => db.selectFrom('custodians').selectAll().where('name', '=', name).executeTakeFirst());
  return row === undefined ? undefined : fromRow(row);
}

/** Writes a custodian, replacing one of the same name (a new passphrase), in one statement. */
export async function putCustodian(db: StoreDb, record: StoredCustodianRecord): Promise<void> {
  assertCustodianRecord(record);
  const row: CustodiansTable = { name: record.name, passphrase_hash: record.passphraseHash, created_at: record.createdAt };
  await storeOperation('putCustodian', () =>
    db
      .insertInto('custodians')
      .values(row)
      .onConflict((oc) =>
        oc.column('name').doUpdateSet((eb) => ({ passphrase_hash: eb.ref('excluded.passphrase_hash'), created_at: eb.ref('excluded.created_at') })),
      )
      .execute(),
  );
}

/** Every custodian, in name order. */
export async function listCustodians(db: StoreDb): Promise<readonly StoredCustodianRecord[]> {
  const rows = await storeOperation('listCustodians', () => db.selectFrom('custodians').selectAll().orderBy('name').execute());
  return rows.map(fromRow);
}
