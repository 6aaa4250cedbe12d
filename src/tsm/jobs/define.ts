/** Defining a job kind: a name and named steps, checked once and frozen (docs/jobs.md). */
import { TsmError } from '../errors.ts';
import type { JobKind, JobStep } from './types.ts';

const NAME = /^[a-z][a-z0-9-]{0,63}$/;

/**
 * Defines a job kind: `steps` run in order, each confirmed in the store before the next starts.
 * Names are lower-case words with dashes, unique within the kind.
 * @example
 * const deploy = defineJobKind('deploy', [
 *   { name: 'load', run: async (ctx) => ((await card.load(ctx.params)) ? 'done' : { fail: { code: 'LOAD', sw: 0x6a84, message: 'no memory' } }),
 *     verify: async () => ((await card.hasPackage()) ? 'done' : 'not-done') },
 * ]);
 */
export function defineJobKind(kind: string, steps: readonly JobStep[]): JobKind {
  if (typeof kind !== 'string' || !NAME.test(kind)) throw new TsmError('ERR_TSM_REQUEST', 'job kind: expected a lower-case name of 1–64 characters');
  const list: unknown = steps;
  if (!Array.isArray(list) || steps.length === 0 || steps.length > 1000) {
    throw new TsmError('ERR_TSM_REQUEST', `job kind ${kind}: expected 1–1000 steps`);
  }
  const seen = new Set<string>();
  const frozen = steps.map((step, i) => {
    const s: unknown = step;
    if (typeof s !== 'object' || s === null) throw new TsmError('ERR_TSM_REQUEST', `job kind ${kind} step ${i}: expected an object`);
    const name = step.name;
    if (typeof name !== 'string' || !NAME.test(name)) throw new TsmError('ERR_TSM_REQUEST', `job kind ${kind} step ${i}: expected a lower-case name`);
    if (seen.has(name)) throw new TsmError('ERR_TSM_REQUEST', `job kind ${kind}: step name ${name} appears twice`);
    seen.add(name);
    if (typeof step.run !== 'function') throw new TsmError('ERR_TSM_REQUEST', `job kind ${kind} step ${name}: run must be a function`);
    if (step.verify !== undefined && typeof step.verify !== 'function') throw new TsmError('ERR_TSM_REQUEST', `job kind ${kind} step ${name}: verify must be a function`);
    return Object.freeze({ ...step });
  });
  return Object.freeze({ kind, steps: Object.freeze(frozen) });
}
