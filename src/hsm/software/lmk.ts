/**
 * The Local Master Key of the software HSM (ARCHITECTURE.md §3; research/hsm-emv.md §1.1, the
 * payShield model): one AES-256 key that wraps every stored key as a TR-31 version D key block. The
 * HSM holds nothing else secret. An `Lmk` object shows only its KCV (`toString`, `toJSON`,
 * `util.inspect`); its bytes live in a module-private WeakMap that only this folder reads, and
 * `destroy()` zeroes them.
 */
import { inspect } from 'node:util';
import { toHex, wipe } from '../../bytes/index.ts';
import { kcv, randomBytes } from '../../crypto/index.ts';
import { HsmError } from '../errors.ts';

/** The LMK is AES-256 (ARCHITECTURE.md §3). */
export const LMK_LENGTH = 32;

const LMK_BYTES = new WeakMap<Lmk, Uint8Array>();

/** A loaded LMK, known by its KCV (AES-CMAC of 16 zero bytes, 3 bytes; X9.24-1:2017). */
export class Lmk {
  readonly kind = 'lmk';
  readonly kcv: string;

  /** Takes a copy of `key`; the caller wipes its own array. Use generateLmk/loadLmkFile/assembleLmk. */
  constructor(key: Uint8Array) {
    if (!(key instanceof Uint8Array) || key.length !== LMK_LENGTH) {
      throw new HsmError('ERR_HSM_LMK', `the LMK must be ${LMK_LENGTH} bytes (AES-256)`);
    }
    if (key.every((b) => b === 0)) throw new HsmError('ERR_HSM_WEAK_KEY', 'the LMK is all zeros');
    const own = key.slice();
    this.kcv = toHex(kcv(own, 'aes-cmac', 3));
    LMK_BYTES.set(this, own);
    Object.freeze(this);
  }

  /** True once `destroy()` ran. */
  get destroyed(): boolean {
    return !LMK_BYTES.has(this);
  }

  /** Zeroes the key; the object is unusable afterwards. */
  destroy(): void {
    const key = LMK_BYTES.get(this);
    if (key === undefined) return;
    wipe(key);
    LMK_BYTES.delete(this);
  }

  toString(): string {
    return `LMK(AES-256, KCV ${this.kcv}${this.destroyed ? ', destroyed' : ''})`;
  }

  toJSON(): string {
    return this.toString();
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/**
 * The LMK's bytes, for the key-block code of this folder only (not exported from the layer). The
 * caller must not keep, copy out or wipe the array.
 */
export function lmkBytes(lmk: Lmk): Uint8Array {
  const key = lmk instanceof Lmk ? LMK_BYTES.get(lmk) : undefined;
  if (key === undefined) throw new HsmError('ERR_HSM_LMK', 'the LMK is not loaded (destroyed or not an Lmk)');
  return key;
}

/** A fresh random LMK in memory (tests, an embedded HSM that writes it with createLmkFile). */
export function generateLmk(): Lmk {
  const key = randomBytes(LMK_LENGTH);
  try {
    return new Lmk(key);
  } finally {
    wipe(key);
  }
}
