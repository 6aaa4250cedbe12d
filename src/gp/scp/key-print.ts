/**
 * Printing key-holding objects (CONVENTIONS.md §8): keys appear as key check values only, through
 * `toString`, `toJSON` and `util.inspect.custom`.
 */
import { inspect } from 'node:util';
import { toHex } from '../../bytes/index.ts';
import { kcv, type KcvMethod } from '../../crypto/index.ts';

/** The `util.inspect` hook symbol, so classes can declare `[inspectSymbol]()`. */
export const inspectSymbol: typeof inspect.custom = inspect.custom;

/** The 3-byte KCV of `key` in hex: GP DES keys over 8 zero bytes, AES keys over 16 bytes of 01 (GPC Amd D v1.1.1 §7.2.2). */
export function kcvHex(key: Uint8Array, method: KcvMethod): string {
  return toHex(kcv(key, method));
}
