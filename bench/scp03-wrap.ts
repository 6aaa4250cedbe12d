import type { Pair } from './measure.ts';

/** Filled in when the SCP03 session exists. */
export function scp03Pairs(): Pair[] {
  return [];
}
