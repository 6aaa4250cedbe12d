/**
 * The vocabulary of durable jobs (docs/jobs.md): states, step outcomes, the step contract, events
 * and the views callers see. Pure types and constant tables; the engine is in engine.ts.
 */

/** A JSON value: what job parameters, step outputs, results and bearer deliveries are made of. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/**
 * A job's state. queued → running ⇄ waiting → succeeded | failed | expired | terminated;
 * failed → queued again on retry (GPS_SPE_002 ExecutionStatus: EXECUTED_SUCCESS / FAILED / EXPIRED).
 */
export const JOB_STATES = ['queued', 'running', 'waiting', 'succeeded', 'failed', 'expired', 'terminated'] as const;
export type JobState = (typeof JOB_STATES)[number];

/** States in which a job is over (failed can still be retried). */
export const ENDED_STATES: readonly JobState[] = ['succeeded', 'failed', 'expired', 'terminated'];

/**
 * Where the current step is: not yet started; started (run called, outcome not confirmed — after a
 * crash, verify decides); waiting for a bearer; delivered (a response arrived, run not yet called
 * with it); failed (run answered a failure, so retry re-runs it without verifying).
 */
export const STEP_STATUSES = ['pending', 'started', 'waiting', 'delivered', 'failed'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

/** A step's failure: a stable code, the card's status word when the card refused, a message without personal data. */
export interface StepFailure {
  readonly code: string;
  readonly sw?: number;
  readonly message: string;
}

/** A failed job's error: which step, and the step's failure. */
export interface JobFailure extends StepFailure {
  readonly step: string;
}

/**
 * What a step's `run` answers: done (optionally with an output later steps and the result see);
 * wait for a bearer's answer under `token` (delivered with `JobEngine.deliver`); or fail.
 */
export type StepOutcome = 'done' | { readonly done: JsonValue } | { readonly wait: string } | { readonly fail: StepFailure };

/**
 * What `verify` answers about a step whose outcome is unknown: it already happened (with the output
 * `run` would have given, read back from the card), or it did not.
 */
export type VerifyOutcome = 'done' | { readonly done: JsonValue } | 'not-done';

/** Who a job is: handed to every step. */
export interface JobInfo {
  readonly id: string;
  readonly tenant: string;
  readonly seId: string;
  readonly kind: string;
  readonly attempt: number;
}

/** What a step sees when it runs or is verified. */
export interface StepContext {
  readonly job: JobInfo;
  readonly step: { readonly name: string; readonly index: number };
  /** The request's parameters (never personal data: that goes in the payload). */
  readonly params: JsonValue;
  /** Outputs of the steps confirmed so far, by step name. */
  readonly outputs: Readonly<Record<string, JsonValue>>;
  /** The bearer's answer when this step waited and it was delivered; undefined otherwise. */
  readonly delivery: JsonValue | undefined;
  /** The request's payload, opened (unsealed) on demand; refused when the request had none. */
  payload(): Promise<Uint8Array>;
}

/**
 * One named step. `run` must be safe to call again when its previous call's outcome is unknown:
 * after a crash the engine first calls `verify` (when given) to learn whether the effect happened
 * (GET STATUS, GET DATA key information), and runs again only on 'not-done'.
 */
export interface JobStep {
  readonly name: string;
  run(ctx: StepContext): Promise<StepOutcome>;
  verify?(ctx: StepContext): Promise<VerifyOutcome>;
}

/** A job kind: a name and its steps, in order (made by `defineJobKind`). */
export interface JobKind {
  readonly kind: string;
  readonly steps: readonly JobStep[];
}

/** A request for a job: who, on which SE, what kind, with what. */
export interface JobRequest {
  readonly tenant: string;
  readonly seId: string;
  readonly kind: string;
  readonly params?: JsonValue;
  /** Bytes the steps need; `sensitive` ones (PAN, personalization data) are stored only sealed by the PayloadCipher. */
  readonly payload?: { readonly data: Uint8Array; readonly sensitive: boolean };
}

/** How a request is submitted: the idempotency key (GP FunctionCallIdentifier) and validity (GP ValidityPeriod, seconds). */
export interface SubmitOptions {
  readonly idempotencyKey: string;
  readonly validitySeconds?: number;
}

/** A job as callers see it. */
export interface JobView {
  readonly id: string;
  readonly tenant: string;
  readonly seId: string;
  readonly kind: string;
  readonly state: JobState;
  readonly step: { readonly index: number; readonly name: string | null; readonly status: StepStatus };
  readonly attempt: number;
  readonly idempotencyKey: string;
  readonly expiresAt: string | null;
  readonly result: JsonValue | null;
  readonly error: JobFailure | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly startedAt: string | null;
  readonly endedAt: string | null;
}

/** An engine event, emitted after the change it reports is committed (for webhooks and audit). */
export interface JobEvent {
  readonly type: 'started' | 'step-started' | 'step-done' | 'waiting' | 'ended';
  readonly job: JobInfo;
  readonly at: string;
  /** The step: for step-started, step-done and waiting; for started, the step the job starts at. */
  readonly step?: string;
  /** The end state, for ended. */
  readonly state?: JobState;
}
