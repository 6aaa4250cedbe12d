/**
 * Entry checks for the secure-channel layer: every refusal is a {@link GpError} with a stable code,
 * never a TypeError or RangeError (CONVENTIONS.md §3). Card-side refusals carry the status word the
 * card must answer with.
 */
import { BytesError, assertBytes, assertInt } from '../../bytes/index.ts';
import { CryptoError, assertKeyOrHeld, type HeldKey } from '../../crypto/index.ts';
import { GpError, type GpErrorCode } from '../errors.ts';

/** Asserts `value` is a Uint8Array of one of `lengths` (any length if undefined), as a GpError. */
export function assertGpBytes(
  value: unknown,
  lengths: readonly number[] | undefined,
  name: string,
  code: GpErrorCode = 'ERR_GP_PARAM',
): asserts value is Uint8Array {
  try {
    assertBytes(value, lengths, name);
  } catch (e) {
    if (e instanceof BytesError) throw new GpError(code, e.message, { cause: e });
    throw e;
  }
}

/** Asserts `key` is key bytes of one of `lengths` or a held `cipher` key of such a length (an HSM's), as ERR_GP_KEY. */
export function assertGpKey(key: unknown, cipher: 'aes' | 'tdes', lengths: readonly number[], name: string): asserts key is Uint8Array | HeldKey {
  try {
    assertKeyOrHeld(key, cipher, lengths, name);
  } catch (e) {
    if (e instanceof CryptoError) throw new GpError('ERR_GP_KEY', e.message, { cause: e });
    throw e;
  }
}

/** Asserts `value` is an integer in [min, max], as a GpError. */
export function assertGpInt(value: unknown, min: number, max: number, name: string, code: GpErrorCode = 'ERR_GP_PARAM'): asserts value is number {
  try {
    assertInt(value, min, max, name);
  } catch (e) {
    if (e instanceof BytesError) throw new GpError(code, e.message, { cause: e });
    throw e;
  }
}

/** A card-side refusal: the error carries the status word the card answers with (GPC 2.3.1 §11.1.3). */
export function cardRefusal(code: GpErrorCode, sw: number, message: string): GpError {
  return new GpError(code, message, { sw });
}

/** Two-digit uppercase hex of a byte, for messages about protocol fields (never for key material). */
export function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}
