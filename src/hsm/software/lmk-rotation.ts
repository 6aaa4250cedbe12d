/**
 * LMK change without downtime (research/hsm-emv.md §1.1: keys under the old LMK are translated to
 * the new one while the HSM serves): the new LMK becomes current (new blocks are wrapped under it),
 * the old one keeps unwrapping, every record is re-sealed in batches with a yield between batches,
 * and when no record is left under another LMK the old ones are destroyed and the key cache emptied
 * (a new LMK epoch).
 *
 * Several nodes on one store: start every node with the new LMK as `previousLmks` (it then unwraps
 * re-sealed records) before one node runs the change; restart them with only the new LMK after. If
 * the change stops midway (a damaged record, a crash), the HSM still serves with both LMKs, and
 * `rewrapAll` with the same new LMK resumes.
 *
 * The store has no compare-and-set, so a record is re-read just before it is re-sealed and skipped
 * if it changed (it is picked up again by the next batch if it is still under the old LMK).
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { HsmError } from '../errors.ts';
import type { Trail } from '../shared/audit-trail.ts';
import type { KeyVault } from './key-vault.ts';
import type { Lmk } from './lmk.ts';

/** Records re-sealed per batch (between batches the HSM serves other requests). */
export const REWRAP_BATCH = 100;

/** Re-seals every record under `next`; returns how many were re-sealed. */
export async function rewrapRecords(vault: KeyVault, next: Lmk, batchSize: number, trail: Trail): Promise<number> {
  if (vault.ring.currentKcv !== next.kcv) vault.ring.promote(next);
  const previous = vault.ring.kcvs.slice(1);
  let count = 0;
  let idle = 0;
  for (;;) {
    const batch = await vault.store.listKeysNotUnder(next.kcv, batchSize);
    if (batch.length === 0) break;
    let progressed = 0;
    for (const stale of batch) {
      const record = await vault.store.getKey(stale.id);
      if (record === undefined || record.lmkKcv === next.kcv || record.keyBlock !== stale.keyBlock) continue;
      if (record.status === 'destroyed') await vault.store.putKey(Object.freeze({ ...record, lmkKcv: next.kcv }));
      else await vault.reseal(record, record.status);
      progressed++;
    }
    count += progressed;
    idle = progressed === 0 ? idle + 1 : 0;
    if (idle > 100) throw new HsmError('ERR_HSM_STATE', 'LMK change: records keep changing under the re-wrap; retry later (both LMKs stay loaded)');
    await yieldToEventLoop();
  }
  for (const kcv of previous) vault.ring.retire(kcv);
  vault.cache?.clear();
  trail.detail = `LMK ${previous.join(', ')} -> ${next.kcv}: ${count} records re-wrapped`;
  return count;
}
