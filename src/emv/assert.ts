/**
 * Entry checks for emv/: every refusal is an {@link EmvError} with a stable code, never a TypeError,
 * a BytesError or a CryptoError (CONVENTIONS.md §3). Digit-string checks never echo the value.
 */
import { BytesError, assertBytes, assertInt } from '../bytes/index.ts';
import { CryptoError, assertKeyOrHeld, type HeldKey } from '../crypto/index.ts';
import { EmvError, type EmvErrorCode } from './errors.ts';

/** Asserts `value` is a Uint8Array of one of `lengths` (any length if undefined), as an EmvError. */
export function assertEmvBytes(
  value: unknown,
  lengths: readonly number[] | undefined,
  name: string,
  code: EmvErrorCode = 'ERR_EMV_INPUT',
): asserts value is Uint8Array {
  try {
    assertBytes(value, lengths, name);
  } catch (e) {
    if (e instanceof BytesError) throw new EmvError(code, e.message, { cause: e });
    throw e;
  }
}

/** Asserts `key` is key bytes of one of `lengths` or a held `cipher` key of such a length (an HSM's), as ERR_EMV_KEY. */
export function assertEmvKey(key: unknown, cipher: 'aes' | 'tdes', lengths: readonly number[], name: string): asserts key is Uint8Array | HeldKey {
  try {
    assertKeyOrHeld(key, cipher, lengths, name);
  } catch (e) {
    if (e instanceof CryptoError) throw new EmvError('ERR_EMV_KEY', e.message, { cause: e });
    throw e;
  }
}

/** Asserts `value` is a Uint8Array whose length is in [min, max], as an EmvError. */
export function assertEmvByteRange(value: unknown, min: number, max: number, name: string): asserts value is Uint8Array {
  assertEmvBytes(value, undefined, name);
  if (value.length < min || value.length > max) {
    throw new EmvError('ERR_EMV_INPUT', `${name}: expected ${min} to ${max} bytes, got ${value.length}`);
  }
}

/** Asserts `value` is an integer in [min, max], as an EmvError (ERR_EMV_PARAM). */
export function assertEmvInt(value: unknown, min: number, max: number, name: string): asserts value is number {
  try {
    assertInt(value, min, max, name);
  } catch (e) {
    if (e instanceof BytesError) throw new EmvError('ERR_EMV_PARAM', e.message, { cause: e });
    throw e;
  }
}

/** Asserts a one-of-a-set parameter, as an EmvError (ERR_EMV_PARAM). */
export function assertEmvOneOf<T>(value: unknown, allowed: readonly T[], name: string): asserts value is T {
  if (!allowed.includes(value as T)) {
    throw new EmvError('ERR_EMV_PARAM', `${name}: expected one of ${allowed.map(String).join(', ')}, got ${describe(value)}`);
  }
}

const DECIMAL = /^[0-9]*$/;

/**
 * Asserts `value` is a string of `min`..`max` decimal digits. The message says what was expected
 * and never shows the value or its length (PINs and PANs end up in logs otherwise).
 */
export function assertDigits(
  value: unknown,
  min: number,
  max: number,
  name: string,
  code: EmvErrorCode,
): asserts value is string {
  if (typeof value !== 'string') {
    throw new EmvError(code, `${name}: expected a string of ${min} to ${max} decimal digits, got ${describe(value)}`);
  }
  if (value.length < min || value.length > max || !DECIMAL.test(value)) {
    throw new EmvError(code, `${name}: expected a string of ${min} to ${max} decimal digits (value withheld)`);
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'a non-finite number';
  if (value instanceof Uint8Array) return `Uint8Array(${value.length})`;
  return typeof value;
}
