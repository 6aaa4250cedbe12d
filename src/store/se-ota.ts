/**
 * An SE's OTA data after registration (tsm/registry/se-ota.ts): the `ota` JSON column of
 * `secure_elements` replaced as a whole, compare-and-swap on its previous text so two concurrent
 * changes never lose one. No schema change (migration 2026-11-27T1305-registry's column).
 */
import { storeOperation } from './errors.ts';
import type { StoreDb } from './schema.ts';
import { assertText, MAX_KEY_TEXT, MAX_TEXT } from './validate.ts';

/** Sets `mno`'s SE `seId`'s ota JSON to `next` if it still is `previous`: false when it is not (or no such SE). */
export async function replaceSecureElementOta(db: StoreDb, seId: string, mno: string, previous: string, next: string, at: string): Promise<boolean> {
  for (const [v, w] of [[seId, 'seId'], [mno, 'mno'], [at, 'at']] as const) assertText(v, `replaceSecureElementOta ${w}`, MAX_KEY_TEXT);
  assertText(previous, 'replaceSecureElementOta previous', MAX_TEXT);
  assertText(next, 'replaceSecureElementOta next', MAX_TEXT);
  const r = await storeOperation('replaceSecureElementOta', () =>
    db.updateTable('secure_elements').set({ ota: next, updated_at: at }).where('se_id', '=', seId).where('mno', '=', mno).where('ota', '=', previous).executeTakeFirst());
  return Number(r.numUpdatedRows) === 1;
}
