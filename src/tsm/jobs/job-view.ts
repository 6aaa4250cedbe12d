/** Stored job rows as callers see them (JobView), and the JSON columns read back. */
import { TsmError } from '../errors.ts';
import type { StoredJob } from '../../store/index.ts';
import { JOB_STATES, STEP_STATUSES, type JobState, type JobView, type JsonValue, type StepStatus } from './types.ts';

/** Parses a JSON column the engine wrote; a damaged one is ERR_TSM_STATE. */
export function parseJson(text: string, what: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch (cause) {
    throw new TsmError('ERR_TSM_STATE', `jobs: the stored ${what} is not JSON`, { cause });
  }
}

/** A stored job's outputs so far, by step name. */
export function parseOutputs(job: StoredJob): Record<string, JsonValue> {
  const value = parseJson(job.outputs, 'outputs');
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TsmError('ERR_TSM_STATE', 'jobs: the stored outputs are not an object');
  return { ...(value as Record<string, JsonValue>) };
}

/** The stored state, checked against the vocabulary. */
export function stateOf(job: StoredJob): JobState {
  const state = JOB_STATES.find((s) => s === job.state);
  if (state === undefined) throw new TsmError('ERR_TSM_STATE', `jobs: job ${job.id} has an unknown state`);
  return state;
}

function stepStatusOf(job: StoredJob): StepStatus {
  const status = STEP_STATUSES.find((s) => s === job.stepStatus);
  if (status === undefined) throw new TsmError('ERR_TSM_STATE', `jobs: job ${job.id} has an unknown step status`);
  return status;
}

/** The caller's view of a stored job (no payload, no owner, no wait token). */
export function toView(job: StoredJob): JobView {
  const error =
    job.errorCode === null
      ? null
      : {
          step: job.errorStep ?? '',
          code: job.errorCode,
          ...(job.errorSw === null ? {} : { sw: job.errorSw }),
          message: job.errorMessage ?? '',
        };
  return {
    id: job.id, tenant: job.tenant, seId: job.seId, kind: job.kind, state: stateOf(job),
    step: { index: job.stepIndex, name: job.stepName, status: stepStatusOf(job) },
    attempt: job.attempt, idempotencyKey: job.idempotencyKey, expiresAt: job.expiresAt,
    result: job.result === null ? null : parseJson(job.result, 'result'), error,
    createdAt: job.createdAt, updatedAt: job.updatedAt, startedAt: job.startedAt, endedAt: job.endedAt,
  };
}
