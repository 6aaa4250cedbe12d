import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Reads test/vectors/<path> as JSON (CONVENTIONS.md §6: vectors are data, each case names its source). */
export function loadVectors<T>(path: string): T {
  return JSON.parse(readFileSync(join(import.meta.dirname, '..', 'vectors', path), 'utf8')) as T;
}
