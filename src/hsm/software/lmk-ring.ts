/**
 * The LMKs a software HSM holds: the current one, which wraps every new or rewritten block, and
 * during an LMK change the previous ones, which only unwrap (research/hsm-emv.md §1.1: payShield
 * keeps "old" and "new" LMKs while key blocks are translated). Each record names its LMK by KCV.
 */
import { unwrapKeyBlock, wrapKeyBlock, CryptoError, type KeyBlockHeaderInput, type UnwrappedKey } from '../../crypto/index.ts';
import { HsmError } from '../errors.ts';
import { Lmk, lmkBytes } from './lmk.ts';

export class LmkRing {
  #current: Lmk;
  readonly #previous = new Map<string, Lmk>();

  constructor(current: Lmk, previous: readonly Lmk[] = []) {
    if (!(current instanceof Lmk)) throw new HsmError('ERR_HSM_LMK', 'the software HSM needs an Lmk (generateLmk, loadLmkFile, assembleLmk)');
    lmkBytes(current);
    this.#current = current;
    for (const lmk of previous) {
      lmkBytes(lmk);
      if (lmk.kcv !== current.kcv) this.#previous.set(lmk.kcv, lmk);
    }
  }

  /** KCV of the LMK new blocks are wrapped under. */
  get currentKcv(): string {
    return this.#current.kcv;
  }

  /** KCVs of the LMKs that still unwrap (the current one first). */
  get kcvs(): readonly string[] {
    return [this.#current.kcv, ...this.#previous.keys()];
  }

  /** Wraps `key` under the current LMK with `header`. */
  wrap(key: Uint8Array, header: KeyBlockHeaderInput): { keyBlock: string; lmkKcv: string } {
    try {
      return { keyBlock: wrapKeyBlock(lmkBytes(this.#current), key, { header }), lmkKcv: this.#current.kcv };
    } catch (e) {
      if (e instanceof CryptoError) throw new HsmError('ERR_HSM_KEY_BLOCK', `the key cannot be wrapped under the LMK: ${e.message}`, { cause: e });
      throw e;
    }
  }

  /** Unwraps a block under the LMK with KCV `lmkKcv`; any failure is ERR_HSM_KEY_BLOCK naming `what`. */
  unwrap(block: string, lmkKcv: string, what: string): UnwrappedKey {
    const lmk = lmkKcv === this.#current.kcv ? this.#current : this.#previous.get(lmkKcv);
    if (lmk === undefined) throw new HsmError('ERR_HSM_LMK', `${what} is wrapped under LMK ${lmkKcv}, which this HSM does not hold`);
    try {
      return unwrapKeyBlock(lmkBytes(lmk), block);
    } catch (e) {
      if (e instanceof CryptoError) throw new HsmError('ERR_HSM_KEY_BLOCK', `${what}: the key block under the LMK does not verify (edited store?)`, { cause: e });
      throw e;
    }
  }

  /** Makes `next` current; the old current LMK stays to unwrap until `retire`. */
  promote(next: Lmk): void {
    lmkBytes(next);
    if (next.kcv === this.#current.kcv) throw new HsmError('ERR_HSM_LMK', 'the new LMK is the current one');
    this.#previous.delete(next.kcv);
    this.#previous.set(this.#current.kcv, this.#current);
    this.#current = next;
  }

  /** Forgets and destroys the previous LMK with KCV `kcv`. */
  retire(kcv: string): void {
    const lmk = this.#previous.get(kcv);
    if (lmk === undefined) return;
    this.#previous.delete(kcv);
    lmk.destroy();
  }

  /** Destroys every LMK held. */
  destroy(): void {
    for (const lmk of this.#previous.values()) lmk.destroy();
    this.#previous.clear();
    this.#current.destroy();
  }
}
