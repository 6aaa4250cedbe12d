/**
 * Driving one claimed job through its steps (docs/jobs.md §"What resume verifies"): each step is
 * marked started, run, and its outcome confirmed in the store before the next begins. A step
 * whose outcome is unknown (started, not confirmed — a crash, a throw) is verified before it runs
 * again. A failure ends the job in `failed` with the step and status word; nothing is rolled back.
 */
import { OpenTsmError } from '../../bytes/index.ts';
import { findJobByWaitToken, getJob, releaseSeLocks, type StoredJob } from '../../store/index.ts';
import { TsmError } from '../errors.ts';
import { canonicalJson } from './request-hash.ts';
import { checkAlive, Fenced, jobInfo, transition, Abandoned, type EngineRuntime } from './runtime.ts';
import { parseJson, parseOutputs } from './job-view.ts';
import { ENDED_STATES, type JobKind, type JobStep, type JsonValue, type StepContext, type StepFailure, type StepOutcome } from './types.ts';

const MAX_MESSAGE = 1000;

/** A thrown error as a step failure: our errors keep their code and status word. */
export function failureOf(error: unknown): StepFailure {
  const message = (error instanceof Error ? error.message : 'the step threw a non-error value').slice(0, MAX_MESSAGE);
  if (error instanceof OpenTsmError) {
    const { code, sw } = error as OpenTsmError<string> & { readonly sw?: unknown };
    return typeof sw === 'number' && Number.isInteger(sw) && sw >= 0 && sw <= 0xffff ? { code, sw, message } : { code, message };
  }
  return { code: 'STEP_ERROR', message };
}

function context(rt: EngineRuntime, job: StoredJob, index: number, step: JobStep, outputs: Record<string, JsonValue>): StepContext {
  const delivery = job.delivery === null ? undefined : parseJson(job.delivery, 'delivery');
  return {
    job: jobInfo(job), step: { name: step.name, index }, params: parseJson(job.params, 'params'), outputs: { ...outputs }, delivery,
    async payload(): Promise<Uint8Array> {
      if (job.payload === null) throw new TsmError('ERR_TSM_STATE', `jobs: job ${job.id} has no payload`);
      if (!job.payloadSealed) return job.payload.slice();
      if (rt.cipher === undefined) throw new TsmError('ERR_TSM_CONFIG', 'jobs: a sealed payload needs a PayloadCipher, and none is configured');
      return rt.cipher.open(job.payload, job.tenant);
    },
  };
}

const mine = (rt: EngineRuntime) => ({ states: ['running'], owner: rt.owner }) as const;

async function fail(rt: EngineRuntime, job: StoredJob, index: number, step: JobStep, failure: StepFailure, stepStatus: 'started' | 'failed'): Promise<void> {
  const ended = await transition(
    rt, job, mine(rt),
    {
      state: 'failed', stepStatus, owner: null, errorStep: step.name,
      errorCode: failure.code.slice(0, 256), errorSw: failure.sw ?? null,
      ...(stepStatus === 'failed' ? { delivery: null } : {}), // a refused answer was consumed: a retry asks again
      errorMessage: failure.message.slice(0, MAX_MESSAGE), endedAt: rt.now().toISOString(),
    },
    { step: step.name, stepIndex: index, outcome: 'failed', detail: canonicalJson({ code: failure.code.slice(0, 256), sw: failure.sw ?? null }) },
    true,
  );
  rt.emit({ type: 'ended', job: jobInfo(ended), at: ended.updatedAt, state: 'failed' });
}

/**
 * Confirms step `index` and, in the same transaction, marks the next step started (one write per
 * step instead of two) — or, after the last step, ends the job `succeeded`. Returns the job, or
 * undefined when it ended. While the engine is closing, the next step is left pending.
 */
async function confirm(rt: EngineRuntime, job: StoredJob, kind: JobKind, index: number, outputs: Record<string, JsonValue>, outcome: string): Promise<StoredJob | undefined> {
  const step = kind.steps[index]!;
  const next = kind.steps[index + 1];
  const done = { step: step.name, stepIndex: index, outcome };
  if (next === undefined) {
    const ended = await transition(
      rt, job, mine(rt),
      { stepIndex: index + 1, stepName: null, stepStatus: 'pending', outputs: canonicalJson(outputs), delivery: null, state: 'succeeded', owner: null,
        result: canonicalJson(outputs), payload: null, endedAt: rt.now().toISOString() },
      [done, { step: null, stepIndex: null, outcome: 'succeeded' }],
      true,
    );
    rt.emit({ type: 'step-done', job: jobInfo(ended), at: ended.updatedAt, step: step.name });
    rt.emit({ type: 'ended', job: jobInfo(ended), at: ended.updatedAt, state: 'succeeded' });
    return undefined;
  }
  const start = !rt.life.closing;
  const after = await transition(
    rt, job, mine(rt),
    { stepIndex: index + 1, stepName: next.name, stepStatus: start ? 'started' : 'pending', outputs: canonicalJson(outputs), delivery: null },
    start ? [done, { step: next.name, stepIndex: index + 1, outcome: 'started' }] : [done],
  );
  rt.emit({ type: 'step-done', job: jobInfo(after), at: after.updatedAt, step: step.name });
  if (start) rt.emit({ type: 'step-started', job: jobInfo(after), at: after.updatedAt, step: next.name });
  started.add(after);
  return after;
}

/** Jobs whose current step this driver itself just marked started (so it runs without verifying). */
const started = new WeakSet<StoredJob>();

function isDone(value: unknown): value is 'done' | { readonly done: JsonValue } {
  return value === 'done' || (typeof value === 'object' && value !== null && 'done' in value);
}

function isOutcome(value: unknown): value is StepOutcome {
  if (value === 'done') return true;
  if (typeof value !== 'object' || value === null) return false;
  const o = value as Record<string, unknown>;
  if ('wait' in o) return typeof o.wait === 'string' && o.wait.length > 0 && o.wait.length <= 256;
  if ('fail' in o) {
    const f = o.fail as Record<string, unknown> | null;
    return typeof f === 'object' && f !== null && typeof f.code === 'string' && f.code !== '' && typeof f.message === 'string';
  }
  return 'done' in o;
}

/** Runs `job.stepIndex`'s step once (verifying first when its outcome is unknown); returns the job, or undefined when the job left `running`. */
async function runStep(rt: EngineRuntime, job: StoredJob, kind: JobKind, outputs: Record<string, JsonValue>): Promise<StoredJob | undefined> {
  const index = job.stepIndex;
  const step = kind.steps[index]!;
  if (job.stepStatus === 'started' && !started.has(job) && step.verify !== undefined) {
    let verdict: unknown;
    try {
      verdict = await step.verify(context(rt, job, index, step, outputs));
    } catch (error) {
      checkAlive(rt);
      return void (await fail(rt, job, index, step, failureOf(error), 'started'));
    }
    checkAlive(rt);
    if (isDone(verdict)) {
      if (verdict !== 'done') outputs[step.name] = parseJson(canonicalJson(verdict.done), 'output');
      return confirm(rt, job, kind, index, outputs, 'verified-done');
    }
    if (verdict !== 'not-done') return void (await fail(rt, job, index, step, { code: 'BAD_VERIFY', message: 'verify answered neither done nor not-done' }, 'started'));
    job = await transition(rt, job, mine(rt), {}, { step: step.name, stepIndex: index, outcome: 'verified-not-done' });
  }
  if (!started.has(job) || job.stepStatus !== 'started') {
    job = await transition(rt, job, mine(rt), { stepStatus: 'started', stepName: step.name }, { step: step.name, stepIndex: index, outcome: 'started' });
    rt.emit({ type: 'step-started', job: jobInfo(job), at: job.updatedAt, step: step.name });
  }
  checkAlive(rt);
  let outcome: unknown;
  try {
    outcome = await step.run(context(rt, job, index, step, outputs));
  } catch (error) {
    checkAlive(rt);
    return void (await fail(rt, job, index, step, failureOf(error), 'started')); // outcome unknown: a retry verifies first
  }
  checkAlive(rt);
  if (!isOutcome(outcome)) return void (await fail(rt, job, index, step, { code: 'BAD_OUTCOME', message: 'run answered no step outcome' }, 'started'));
  if (outcome === 'done' || 'done' in outcome) {
    if (outcome !== 'done') outputs[step.name] = parseJson(canonicalJson(outcome.done), 'output');
    return confirm(rt, job, kind, index, outputs, 'done');
  }
  if ('fail' in outcome) return void (await fail(rt, job, index, step, outcome.fail, 'failed'));
  if ((await findJobByWaitToken(rt.db, outcome.wait)) !== undefined) {
    return void (await fail(rt, job, index, step, { code: 'WAIT_TOKEN_IN_USE', message: 'another job waits on the same token' }, 'started'));
  }
  const waiting = await transition(
    rt, job, mine(rt), { state: 'waiting', stepStatus: 'waiting', waitToken: outcome.wait, delivery: null, owner: null },
    { step: step.name, stepIndex: index, outcome: 'waiting' },
  );
  rt.emit({ type: 'waiting', job: jobInfo(waiting), at: waiting.updatedAt, step: step.name });
  return undefined;
}

async function drive(rt: EngineRuntime, job: StoredJob): Promise<void> {
  const kind = rt.kinds.get(job.kind);
  if (kind === undefined) throw new TsmError('ERR_TSM_CONFIG', `jobs: job ${job.id} is of a kind this engine does not know`);
  const outputs = parseOutputs(job);
  let current: StoredJob | undefined = job;
  while (current.stepIndex < kind.steps.length) {
    if (rt.life.closing) {
      await transition(rt, current, mine(rt), { owner: null }, { step: null, stepIndex: null, outcome: 'released' });
      return;
    }
    current = await runStep(rt, current, kind, outputs);
    if (current === undefined) return;
  }
  // Only a job resumed after its last step was confirmed gets here (a crash between the two writes of an older engine).
  const ended = await transition(
    rt, current, mine(rt),
    { state: 'succeeded', owner: null, result: canonicalJson(outputs), payload: null, stepName: null, endedAt: rt.now().toISOString() },
    { step: null, stepIndex: null, outcome: 'succeeded' },
    true,
  );
  rt.emit({ type: 'ended', job: jobInfo(ended), at: ended.updatedAt, state: 'succeeded' });
}

/**
 * Drives a job this engine claimed until it waits, ends, or the engine closes. A job taken from
 * under it (terminated, taken over) stops it silently; so does an abandoned engine. When the job
 * was terminated meanwhile, the SE lock it held is released here.
 */
export async function driveJob(rt: EngineRuntime, job: StoredJob): Promise<void> {
  try {
    await drive(rt, job);
  } catch (error) {
    if (error instanceof Abandoned) return;
    if (error instanceof Fenced) {
      const now = await getJob(rt.db, job.id);
      if (!rt.life.abandoned && now !== undefined && (ENDED_STATES as readonly string[]).includes(now.state)) await releaseSeLocks(rt.db, job.id);
      return;
    }
    throw error;
  }
}
