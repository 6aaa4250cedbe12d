/**
 * tsm/jobs: the durable job engine (docs/jobs.md). Every SE-touching operation is a job: named,
 * idempotent steps persisted in the store, one job at a time per SE, idempotency keys and validity
 * periods after GPS_SPE_002, crash recovery that verifies a step before running it again.
 *
 * @example
 * const engine = new JobEngine({ db, kinds: [defineJobKind('deploy', steps)], cipher });
 * await engine.resume();
 * const job = await engine.submit({ tenant: 'bank-a', seId: 'se-1', kind: 'deploy', params: { service: 'visa' } }, { idempotencyKey: 'k1', validitySeconds: 600 });
 */
export { JobEngine, type JobEngineOptions } from './engine.ts';
export { defineJobKind } from './define.ts';
export { executionStatusOf, EXECUTION_STATUSES, type ExecutionStatus, type JobExecutionStatus } from './execution-status.ts';
export { canonicalJson, MAX_PARAMS_JSON } from './request-hash.ts';
export { MAX_PAYLOAD, MAX_VALIDITY_SECONDS } from './submit.ts';
export type { PayloadCipher } from './payload-cipher.ts';
export {
  JOB_STATES,
  ENDED_STATES,
  STEP_STATUSES,
  type JobState,
  type StepStatus,
  type JsonValue,
  type StepFailure,
  type JobFailure,
  type StepOutcome,
  type VerifyOutcome,
  type JobInfo,
  type StepContext,
  type JobStep,
  type JobKind,
  type JobRequest,
  type SubmitOptions,
  type JobView,
  type JobEvent,
} from './types.ts';
export type { StoredJobStep as JobHistoryEntry } from '../../store/index.ts';
