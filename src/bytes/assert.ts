import { BytesError } from './errors.ts';

/**
 * Asserts that `value` is a Uint8Array, optionally of one of the allowed lengths.
 * @example assertBytes(key, [16, 24, 32], 'SCP03 S-MAC key')
 */
export function assertBytes(
  value: unknown,
  lengths: readonly number[] | undefined,
  name: string,
): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new BytesError('ERR_BYTES_TYPE', `${name}: expected Uint8Array, got ${describe(value)}`);
  }
  if (lengths !== undefined && !lengths.includes(value.length)) {
    throw new BytesError(
      'ERR_BYTES_LENGTH',
      `${name}: expected ${lengths.join(' or ')} bytes, got ${value.length}`,
    );
  }
}

/** Asserts that `value` is a Uint8Array whose length is a multiple of `block` (0 allowed unless `nonEmpty`). */
export function assertBlocks(value: unknown, block: number, name: string, nonEmpty = false): asserts value is Uint8Array {
  assertBytes(value, undefined, name);
  if (value.length % block !== 0 || (nonEmpty && value.length === 0)) {
    throw new BytesError(
      'ERR_BYTES_LENGTH',
      `${name}: expected a ${nonEmpty ? 'non-empty ' : ''}multiple of ${block} bytes, got ${value.length}`,
    );
  }
}

/** Asserts that `value` is an integer in [min, max]. */
export function assertInt(value: unknown, min: number, max: number, name: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new BytesError('ERR_BYTES_RANGE', `${name}: expected an integer in ${min}..${max}, got ${describe(value)}`);
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'number') return String(value);
  if (value instanceof Uint8Array) return `Uint8Array(${value.length})`;
  if (typeof value === 'object') return value.constructor?.name ?? 'object';
  return typeof value;
}
