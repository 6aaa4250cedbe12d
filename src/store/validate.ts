/**
 * Named assertions for what enters the store (CONVENTIONS.md §3). Messages say what was expected
 * and describe what came (its type or length), never the value itself: values here are wrapped key
 * blocks, passphrase hashes and labels.
 */
import { StoreError } from './errors.ts';

/** Longest text, in UTF-16 code units, of an indexed or key column (PostgreSQL B-tree entries stop near 2.7 KB). */
export const MAX_KEY_TEXT = 256;
/** Longest text of any other column: 1 MiB of UTF-16 code units. */
export const MAX_TEXT = 1 << 20;

/** An unpaired surrogate: neither driver can encode it as UTF-8 (U+0000 is refused too: PostgreSQL text cannot hold it). */
const UNPAIRED_SURROGATE = /\p{Cs}/u;

function describe(value: unknown): string {
  if (typeof value === 'string') return `a string of ${value.length} characters`;
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a value of type ${typeof value}`;
}

/** Whether a string could be stored at all: at most `max` code units, no U+0000, no unpaired surrogate. */
export function isStorableText(value: string, max: number): boolean {
  return value.length <= max && !value.includes('\u0000') && !UNPAIRED_SURROGATE.test(value);
}

/** Asserts a string of `min`..`max` UTF-16 code units that both databases store verbatim. */
export function assertText(value: unknown, what: string, max: number, min = 1): asserts value is string {
  if (typeof value !== 'string' || value.length < min || value.length > max) {
    throw new StoreError('ERR_STORE_RECORD', `${what}: expected a string of ${min}–${max} characters, got ${describe(value)}`);
  }
  if (!isStorableText(value, max)) {
    throw new StoreError('ERR_STORE_RECORD', `${what}: contains U+0000 or an unpaired surrogate, which the store cannot keep verbatim`);
  }
}

/** Asserts `undefined` or a text as `assertText` accepts it. */
export function assertOptionalText(value: unknown, what: string, max: number): asserts value is string | undefined {
  if (value !== undefined) assertText(value, what, max, 0);
}

/** Asserts a safe integer in [min, max]. */
export function assertInteger(value: unknown, what: string, min: number, max: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new StoreError('ERR_STORE_RECORD', `${what}: expected an integer in ${min}..${max}, got ${typeof value === 'number' ? String(value) : describe(value)}`);
  }
}

/** Asserts one of a fixed set of strings; the set is named in the message, the value is not. */
export function assertOneOf<T extends string>(value: unknown, allowed: readonly T[], what: string): asserts value is T {
  if (!(allowed as readonly unknown[]).includes(value)) {
    throw new StoreError('ERR_STORE_RECORD', `${what}: expected one of ${allowed.join(', ')}, got ${describe(value)}`);
  }
}

/** Asserts an object (not null, not an array). */
export function assertObject(value: unknown, what: string): asserts value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new StoreError('ERR_STORE_RECORD', `${what}: expected an object, got ${describe(value)}`);
  }
}

/** Asserts a page size: an integer in 1..max (a caller's argument, hence ERR_STORE_PARAM). */
export function assertLimit(value: unknown, what: string, max: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new StoreError('ERR_STORE_PARAM', `${what}: expected an integer in 1..${max}, got ${typeof value === 'number' ? String(value) : describe(value)}`);
  }
}

/** Asserts a lookup argument is a string (a caller's argument, hence ERR_STORE_PARAM). */
export function assertLookup(value: unknown, what: string): asserts value is string {
  if (typeof value !== 'string') throw new StoreError('ERR_STORE_PARAM', `${what}: expected a string, got ${describe(value)}`);
}
