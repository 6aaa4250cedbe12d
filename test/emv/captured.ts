/**
 * Loader for the vectors captured from pyemv 1.5.0 and psec 1.3.0 test suites
 * (test/vectors/emv/*.json, test/vectors/hsm/pinblock.json): each case has `name`, `function`
 * (the library function that produced `expected`), `inputs` (hex bytes, ASCII digit strings, ints
 * or null) and `source`.
 */
import { loadVectors } from '../helpers/vectors.ts';

export interface CapturedVector {
  name: string;
  function: string;
  inputs: Record<string, string | number | null>;
  expected: string;
  source: string;
}

export function loadCaptured(path: string): CapturedVector[] {
  return loadVectors<CapturedVector[]>(path);
}

/** A string input (hex or digits); fails the test if it is missing or not a string. */
export function str(v: CapturedVector, key: string): string {
  const value = v.inputs[key];
  if (typeof value !== 'string') throw new Error(`${v.name}: input ${key} is not a string`);
  return value;
}

/** A string input that may be null in the capture (an omitted optional argument). */
export function optStr(v: CapturedVector, key: string): string | null {
  const value = v.inputs[key];
  if (value !== null && typeof value !== 'string') throw new Error(`${v.name}: input ${key} is not a string or null`);
  return value ?? null;
}

/** An integer input that may be null (the library's default applies). */
export function optInt(v: CapturedVector, key: string): number | null {
  const value = v.inputs[key];
  if (value !== null && typeof value !== 'number') throw new Error(`${v.name}: input ${key} is not a number or null`);
  return value ?? null;
}

/** The test the capture came from: the middle segment of `name` (e.g. `test_visa_cvn10`). */
export function testOf(v: CapturedVector): string {
  return v.name.split('/')[2] ?? '';
}

/** The one vector named `name` (for chaining steps of one published test). */
export function byName(vectors: readonly CapturedVector[], name: string): CapturedVector {
  const found = vectors.find((v) => v.name === name);
  if (found === undefined) throw new Error(`no vector named ${name}`);
  return found;
}

/** Flips the low bit of the last byte: a received value that must not verify. */
export function tamper(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  out[out.length - 1]! ^= 1;
  return out;
}
