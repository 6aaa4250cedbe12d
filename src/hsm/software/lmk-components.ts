/**
 * An LMK formed from 2 or 3 components held by different custodians (dual control;
 * research/hsm-emv.md §1.1: the LMK is "loaded from smart-card components"): each custodian
 * authenticates against the store, each 32-byte component is checked against the KCV on the
 * custodian's form (AES-CMAC, X9.24-1:2017), the LMK is their XOR, and an all-zero result is
 * refused. Give `expectedKcv` (the LMK KCV recorded at the ceremony) to refuse a mistyped set.
 */
import { equalCt, wipe, xor } from '../../bytes/index.ts';
import type { KeyComponentInput } from '../context.ts';
import { HsmError } from '../errors.ts';
import type { KeyRecordStore } from '../key-record-store.ts';
import { CustodianRegistry } from '../shared/custodians.ts';
import { checkKcv } from '../shared/key-check.ts';
import { isList } from '../shared/key-spec.ts';
import { LMK_LENGTH, Lmk } from './lmk.ts';
import { DEFAULT_SCRYPT, type ScryptParams } from '../shared/passphrase-hash.ts';

export interface AssembleLmkOptions {
  /** The store holding the custodians. */
  readonly store: KeyRecordStore;
  /** The KCV the assembled LMK must have (hex), when known. */
  readonly expectedKcv?: string;
  /** The scrypt floor for custodian hashes (default DEFAULT_SCRYPT). */
  readonly scrypt?: ScryptParams;
}

/** Forms the LMK from `components` (2 or 3, distinct authenticated custodians). */
export async function assembleLmk(components: readonly KeyComponentInput[], options: AssembleLmkOptions): Promise<Lmk> {
  if (!isList<KeyComponentInput>(components) || components.length < 2 || components.length > 3) {
    throw new HsmError('ERR_HSM_DUAL_CONTROL', 'the LMK is formed from 2 or 3 components');
  }
  const registry = new CustodianRegistry(options.store, options.scrypt ?? DEFAULT_SCRYPT);
  const names = await registry.authenticateDistinct(components.map((c) => c?.credential), 2);
  components.forEach((c, i) => {
    const what = `LMK component ${i + 1} (custodian ${names[i]})`;
    if (!(c.component instanceof Uint8Array) || c.component.length !== LMK_LENGTH) throw new HsmError('ERR_HSM_PARAM', `${what}: expected ${LMK_LENGTH} bytes`);
    checkKcv('A', c.component, c.kcv, what);
  });
  let key: Uint8Array = components[0]!.component.slice();
  for (const c of components.slice(1)) {
    const next = xor(key, c.component);
    wipe(key);
    key = next;
  }
  try {
    const lmk = new Lmk(key);
    const expected = options.expectedKcv?.toUpperCase();
    if (expected !== undefined && !equalCt(new TextEncoder().encode(lmk.kcv), new TextEncoder().encode(expected))) {
      lmk.destroy();
      throw new HsmError('ERR_HSM_KCV', 'the assembled LMK does not have the expected KCV');
    }
    return lmk;
  } finally {
    wipe(key);
  }
}
