/**
 * Entry checks for the secure-channel layer: every refusal is a {@link GpError} with a stable code,
 * never a TypeError or RangeError (CONVENTIONS.md §3). Card-side refusals carry the status word the
 * card must answer with.
 */
import { BytesError, assertBytes, assertInt } from '../../bytes/index.ts';
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
