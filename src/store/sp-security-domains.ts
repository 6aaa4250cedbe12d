/**
 * An SP's Supplementary Security Domains (migration 2026-11-27T1300, docs/provisioning.md): per SE,
 * the SSD's AID, its key version and the HSM ids of the SP's per-SE keys that replaced the initial
 * ones — ids only, the keys stay in the HSM under the SP's tenant.
 */
import { StoreError, storeOperation } from './errors.ts';
import type { SpSecurityDomainsTable, StoreDb } from './schema.ts';
import { assertInteger, assertLookup, assertObject, assertText, isStorableText, MAX_KEY_TEXT } from './validate.ts';

export interface StoredSpSecurityDomain {
  readonly seId: string;
  /** SSD AID, upper-case hex. */
  readonly aid: string;
  readonly sp: string;
  readonly kvn: number;
  /** HSM key ids (owner: the SP). */
  readonly keys: { readonly enc: string; readonly mac: string; readonly dek: string };
  readonly createdAt: string;
}

export function assertSpSecurityDomain(record: unknown): asserts record is StoredSpSecurityDomain {
  assertObject(record, 'SP security domain');
  for (const field of ['seId', 'aid', 'sp'] as const) assertText(record[field], `SP security domain ${field}`, MAX_KEY_TEXT);
  assertInteger(record.kvn, 'SP security domain kvn', 1, 0x7f);
  assertObject(record.keys, 'SP security domain keys');
  for (const role of ['enc', 'mac', 'dek'] as const) assertText(record.keys[role], `SP security domain keys.${role}`, MAX_KEY_TEXT);
  assertText(record.createdAt, 'SP security domain createdAt', 64);
}

function fromRow(row: SpSecurityDomainsTable): StoredSpSecurityDomain {
  const record = {
    seId: row.se_id, aid: row.aid, sp: row.sp, kvn: Number(row.kvn), keys: { enc: row.enc_key, mac: row.mac_key, dek: row.dek_key }, createdAt: row.created_at,
  };
  try {
    assertSpSecurityDomain(record);
  } catch (cause) {
    throw new StoreError('ERR_STORE_RECORD', 'sp_security_domains: a stored row does not have the shape the store writes', { cause });
  }
  return record;
}

/** Records the SSD (insert, or replace the keys of the same SE and AID: a takeover done again). */
export async function putSpSecurityDomain(db: StoreDb, record: StoredSpSecurityDomain): Promise<void> {
  assertSpSecurityDomain(record);
  const row: SpSecurityDomainsTable = {
    se_id: record.seId, aid: record.aid, sp: record.sp, kvn: record.kvn, enc_key: record.keys.enc, mac_key: record.keys.mac, dek_key: record.keys.dek, created_at: record.createdAt,
  };
  await storeOperation('putSpSecurityDomain', () =>
    db.insertInto('sp_security_domains').values(row)
      .onConflict((oc) => oc.columns(['se_id', 'aid']).doUpdateSet({ sp: row.sp, kvn: row.kvn, enc_key: row.enc_key, mac_key: row.mac_key, dek_key: row.dek_key, created_at: row.created_at }))
      .execute(),
  );
}

/** The SSD `aid` on `seId`, or undefined. */
export async function getSpSecurityDomain(db: StoreDb, seId: string, aid: string): Promise<StoredSpSecurityDomain | undefined> {
  assertLookup(seId, 'getSpSecurityDomain seId');
  assertLookup(aid, 'getSpSecurityDomain aid');
  if (!isStorableText(seId, MAX_KEY_TEXT) || !isStorableText(aid, MAX_KEY_TEXT)) return undefined;
  const row = await storeOperation('getSpSecurityDomain', () =>
    db.selectFrom('sp_security_domains').selectAll().where('se_id', '=', seId).where('aid', '=', aid).executeTakeFirst());
  return row === undefined ? undefined : fromRow(row);
}
