/**
 * SCP80 counters (ETSI TS 102 225 §5.1.1, migration 2026-11-27T1700): one row per SE and OTA key
 * set holding the last CNTR value handed out. `nextOtaCounter` is one upsert with RETURNING —
 * `INSERT … ON CONFLICT DO UPDATE SET counter = counter + 1 RETURNING counter` — atomic on both
 * dialects, so no value is ever returned twice, across connections and processes alike. A value
 * handed out and never sent is simply skipped (the card accepts any higher counter).
 */
import { sql, type Kysely } from 'kysely';
import { StoreError, storeOperation } from './errors.ts';
import type { StoreDb } from './schema.ts';
import { assertLookup, assertText, isStorableText, MAX_KEY_TEXT } from './validate.ts';

/** The largest counter: CNTR is 5 bytes (TS 102 225 §5.1.1). */
export const MAX_OTA_COUNTER = (1n << 40n) - 1n;

interface OtaCountersTable {
  se_id: string;
  key_set: string;
  counter: number;
}

/** The table as this module sees it (kept out of StoreSchema: no other module reads it). */
const table = (db: StoreDb): Kysely<{ ota_counters: OtaCountersTable }> => db as unknown as Kysely<{ ota_counters: OtaCountersTable }>;

/**
 * Takes the next counter of `seId`'s key set `keySet` (first call: 1, or `atLeast`): never the same
 * value twice. `atLeast` moves the counter up to a floor — for a card that reported its counter
 * higher than ours (PoR "counter low") — and never down. Past 2^40 − 1 the key set is exhausted:
 * ERR_STORE_CONFLICT, nothing changes.
 * @example const cntr = await nextOtaCounter(db, 'se-1', 'kic-15/kid-15') // 1n, then 2n, …
 */
export async function nextOtaCounter(db: StoreDb, seId: string, keySet: string, options: { readonly atLeast?: bigint } = {}): Promise<bigint> {
  assertText(seId, 'ota counter seId', MAX_KEY_TEXT);
  assertText(keySet, 'ota counter keySet', MAX_KEY_TEXT);
  const floor = options.atLeast ?? 1n;
  if (typeof floor !== 'bigint' || floor < 1n || floor > MAX_OTA_COUNTER) {
    throw new StoreError('ERR_STORE_PARAM', `ota counter atLeast: a bigint in 1..${MAX_OTA_COUNTER}`);
  }
  const low = Number(floor);
  const row = await storeOperation('nextOtaCounter', () =>
    table(db)
      .insertInto('ota_counters')
      .values({ se_id: seId, key_set: keySet, counter: low })
      .onConflict((oc) =>
        oc
          .columns(['se_id', 'key_set'])
          .doUpdateSet({ counter: sql<number>`case when ota_counters.counter + 1 < ${low} then ${low} else ota_counters.counter + 1 end` })
          .where('ota_counters.counter', '<', Number(MAX_OTA_COUNTER)),
      )
      .returning('counter')
      .executeTakeFirst(),
  );
  if (row === undefined) throw new StoreError('ERR_STORE_CONFLICT', `ota counter of SE ${seId} key set ${keySet}: exhausted (2^40 − 1 reached)`);
  return BigInt(row.counter);
}

/** The last counter handed out for `seId`'s key set, or undefined when none was. */
export async function getOtaCounter(db: StoreDb, seId: string, keySet: string): Promise<bigint | undefined> {
  assertLookup(seId, 'getOtaCounter seId');
  assertLookup(keySet, 'getOtaCounter keySet');
  if (!isStorableText(seId, MAX_KEY_TEXT) || !isStorableText(keySet, MAX_KEY_TEXT)) return undefined;
  const row = await storeOperation('getOtaCounter', () =>
    table(db).selectFrom('ota_counters').select('counter').where('se_id', '=', seId).where('key_set', '=', keySet).executeTakeFirst(),
  );
  return row === undefined ? undefined : BigInt(row.counter);
}
