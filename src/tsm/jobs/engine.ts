/**
 * The durable job engine (docs/jobs.md): submit, deliver, retry, terminate, resume, close. Jobs and
 * their history live in the store; this object only holds the worker slots. Any number of engines
 * may be opened one after another on one database (a process restart); `resume()` takes over the
 * jobs a previous one left running.
 */
import { randomUUID } from 'node:crypto';
import { findJobByKey, findJobByWaitToken, getJob, insertJob, appendJobStep, listJobs, listJobSteps, releaseSeLocksOfJobsIn, type StoreDb, type StoredJob, type StoredJobStep } from '../../store/index.ts';
import { TsmError } from '../errors.ts';
import { claimJobs } from './dispatcher.ts';
import { driveJob } from './step-runner.ts';
import { emitSafely, Fenced, jobInfo, transition, type EngineRuntime } from './runtime.ts';
import { canonicalJson } from './request-hash.ts';
import { toView } from './job-view.ts';
import { submitRecord } from './submit.ts';
import { ENDED_STATES, type JobEvent, type JobKind, type JobRequest, type JobView, type JsonValue, type SubmitOptions } from './types.ts';
import type { PayloadCipher } from './payload-cipher.ts';

/** How an engine is set up. */
export interface JobEngineOptions {
  readonly db: StoreDb;
  readonly kinds: readonly JobKind[];
  /** Seals sensitive payloads; without one, sensitive payloads are refused (ERR_TSM_CONFIG). */
  readonly cipher?: PayloadCipher;
  /** Jobs driven at once (default 4); jobs on one SE never overlap whatever this is. */
  readonly concurrency?: number;
  /** Called after each committed change (started, step-started, step-done, waiting, ended). */
  readonly onEvent?: (event: JobEvent) => void;
  /** Called with failures the engine cannot pin on a job (the database went away). */
  readonly onError?: (error: unknown) => void;
  /** How often to look for work submitted through other engines, in ms (default 1000; 0: never). */
  readonly pollIntervalMs?: number;
  /** The clock (tests move it to expire requests). */
  readonly now?: () => Date;
}

/** Durable, idempotent, per-SE-serialized jobs of named steps. */
export class JobEngine {
  readonly #rt: EngineRuntime;
  readonly #concurrency: number;
  readonly #onError: ((error: unknown) => void) | undefined;
  readonly #active = new Set<Promise<void>>();
  readonly #timer: NodeJS.Timeout | undefined;
  #pumpRun: Promise<void> | undefined;
  #pumpAgain = false;

  constructor(options: JobEngineOptions) {
    const kinds = new Map<string, JobKind>();
    for (const k of options.kinds) {
      if (kinds.has(k.kind)) throw new TsmError('ERR_TSM_CONFIG', `jobs: kind ${k.kind} is given twice`);
      kinds.set(k.kind, k);
    }
    const concurrency = options.concurrency ?? 4;
    if (!Number.isSafeInteger(concurrency) || concurrency < 1 || concurrency > 1024) throw new TsmError('ERR_TSM_CONFIG', 'jobs: concurrency must be an integer in 1..1024');
    this.#concurrency = concurrency;
    this.#onError = options.onError;
    const hook = options.onEvent;
    this.#rt = {
      db: options.db, owner: randomUUID(), kinds, cipher: options.cipher, life: { closing: false, abandoned: false },
      now: options.now ?? (() => new Date()), emit: (event) => emitSafely(hook, event),
    };
    const poll = options.pollIntervalMs ?? 1000;
    if (poll > 0) {
      this.#timer = setInterval(() => void this.#kick(), poll);
      this.#timer.unref();
    }
  }

  /**
   * Submits a request under its idempotency key: the first submit creates a queued job; the same
   * key and request again returns that job (with its result once done) and never runs it twice;
   * the same key with another request is ERR_TSM_CONFLICT. A job not started within
   * `validitySeconds` ends `expired`, unexecuted.
   */
  async submit(request: JobRequest, options: SubmitOptions): Promise<JobView> {
    this.#assertOpen();
    const { record, requestHash } = await submitRecord(this.#rt, request, options);
    const same = (job: StoredJob | undefined): JobView => {
      if (job === undefined) throw new TsmError('ERR_TSM_STATE', 'jobs: the job under this idempotency key vanished');
      if (job.requestHash !== requestHash) throw new TsmError('ERR_TSM_CONFLICT', 'jobs: the idempotency key was already used for another request');
      return toView(job);
    };
    const existing = await findJobByKey(this.#rt.db, request.tenant, options.idempotencyKey);
    if (existing !== undefined) return same(existing);
    const inserted = await this.#rt.db.transaction().execute(async (trx) => {
      if (!(await insertJob(trx, record))) return false;
      await appendJobStep(trx, { jobId: record.id, step: null, stepIndex: null, outcome: 'queued', attempt: 1, at: record.createdAt, detail: null });
      return true;
    });
    if (!inserted) return same(await findJobByKey(this.#rt.db, request.tenant, options.idempotencyKey));
    void this.#kick();
    return toView(record);
  }

  /** The tenant's job `id`; another tenant's job is ERR_TSM_NOT_FOUND, as a missing one. */
  async get(id: string, tenant: string): Promise<JobView> {
    return toView(await this.#load(id, tenant));
  }

  /** The job's append-only step history, oldest first. */
  async history(id: string, tenant: string): Promise<readonly StoredJobStep[]> {
    await this.#load(id, tenant);
    return listJobSteps(this.#rt.db, id);
  }

  /**
   * Hands a bearer's answer to the job waiting on `token` and resumes it (the step runs again with
   * `ctx.delivery`). False when no job waits on the token (already delivered, terminated, unknown):
   * a duplicated or late proof of receipt changes nothing.
   */
  async deliver(token: string, response: JsonValue): Promise<boolean> {
    this.#assertOpen();
    if (typeof token !== 'string' || token.length === 0 || token.length > 256) throw new TsmError('ERR_TSM_REQUEST', 'deliver token: expected a string of 1–256 characters');
    const delivery = canonicalJson(response);
    const job = await findJobByWaitToken(this.#rt.db, token);
    if (job === undefined || job.state !== 'waiting') return false;
    try {
      await transition(
        this.#rt, job, { states: ['waiting'] }, { state: 'running', stepStatus: 'delivered', waitToken: null, delivery, owner: null },
        { step: job.stepName, stepIndex: job.stepName === null ? null : job.stepIndex, outcome: 'delivered' },
      );
    } catch (error) {
      if (error instanceof Fenced) return false;
      throw error;
    }
    void this.#kick();
    return true;
  }

  /** Re-queues a failed job; it starts again at the failed step (verified first if its outcome is unknown). */
  async retry(id: string, tenant: string): Promise<JobView> {
    this.#assertOpen();
    const job = await this.#load(id, tenant);
    if (job.state !== 'failed') throw new TsmError('ERR_TSM_STATE', `jobs: job ${id} is ${job.state}; only a failed job can be retried`);
    try {
      const next = await transition(
        this.#rt, job, { states: ['failed'] },
        { state: 'queued', attempt: job.attempt + 1, owner: null, errorStep: null, errorCode: null, errorSw: null, errorMessage: null, endedAt: null },
        { step: null, stepIndex: null, outcome: 'retry' },
      );
      void this.#kick();
      return toView(next);
    } catch (error) {
      if (error instanceof Fenced) throw new TsmError('ERR_TSM_STATE', `jobs: job ${id} changed while it was retried`);
      throw error;
    }
  }

  /**
   * Ends a job that has not ended (queued, running, waiting) or a failed one: `terminated`, its
   * payload erased. A running step is not interrupted: its engine stops at the next write and
   * releases the SE then; what the card already did stays (the caller removes it with a new job).
   */
  async terminate(id: string, tenant: string): Promise<JobView> {
    this.#assertOpen();
    const job = await this.#load(id, tenant);
    if (!['queued', 'running', 'waiting', 'failed'].includes(job.state)) throw new TsmError('ERR_TSM_STATE', `jobs: job ${id} is already ${job.state}`);
    const releaseNow = job.state !== 'running' || job.owner === null;
    try {
      const ended = await transition(
        this.#rt, job, { states: [job.state], owner: job.owner },
        { state: 'terminated', waitToken: null, payload: null, endedAt: this.#rt.now().toISOString() },
        { step: null, stepIndex: null, outcome: 'terminated' },
        releaseNow,
      );
      this.#rt.emit({ type: 'ended', job: jobInfo(ended), at: ended.updatedAt, state: 'terminated' });
      void this.#kick();
      return toView(ended);
    } catch (error) {
      if (error instanceof Fenced) throw new TsmError('ERR_TSM_STATE', `jobs: job ${id} changed while it was terminated`);
      throw error;
    }
  }

  /**
   * On start: takes over every job left running by engines that are gone (the caller asserts they
   * are: one engine per database until leases come), frees SE locks still held by ended jobs, and
   * starts working. Waiting jobs keep waiting: their tokens are in the store. Returns how many
   * running jobs were taken over.
   */
  async resume(): Promise<number> {
    this.#assertOpen();
    const { db } = this.#rt;
    let taken = 0;
    for (const job of await listJobs(db, { states: ['running'], limit: 1000 })) {
      if (job.owner === null || job.owner === this.#rt.owner) continue;
      try {
        await transition(this.#rt, job, { states: ['running'], owner: job.owner }, { owner: null }, { step: null, stepIndex: null, outcome: 'resumed' });
        taken++;
      } catch (error) {
        if (!(error instanceof Fenced)) throw error;
      }
    }
    await releaseSeLocksOfJobsIn(db, ENDED_STATES);
    await this.#kick();
    return taken;
  }

  /** Resolves once no job is being driven and none can be claimed (waiting jobs may remain). */
  async idle(): Promise<void> {
    for (;;) {
      await this.#kick();
      if (this.#active.size === 0) return;
      await Promise.allSettled([...this.#active]);
    }
  }

  /**
   * Closes the engine. Gracefully (default): claims nothing more; running jobs hand themselves back
   * at their next step boundary (another engine's `resume` continues them). `abandon: true` stops at
   * once and writes nothing more — what a killed process does (crash tests).
   */
  async close(options: { readonly abandon?: boolean } = {}): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#rt.life.closing = true;
    if (options.abandon === true) {
      this.#rt.life.abandoned = true;
      return;
    }
    await Promise.allSettled([...this.#active]);
  }

  async #load(id: string, tenant: string): Promise<StoredJob> {
    if (typeof id !== 'string' || typeof tenant !== 'string') throw new TsmError('ERR_TSM_REQUEST', 'job id and tenant: expected strings');
    const job = await getJob(this.#rt.db, id);
    if (job === undefined || job.tenant !== tenant) throw new TsmError('ERR_TSM_NOT_FOUND', 'jobs: no such job for this tenant');
    return job;
  }

  #assertOpen(): void {
    if (this.#rt.life.closing) throw new TsmError('ERR_TSM_STATE', 'jobs: the engine is closed');
  }

  #kick(): Promise<void> {
    if (this.#pumpRun !== undefined) {
      this.#pumpAgain = true;
      return this.#pumpRun;
    }
    this.#pumpRun = (async () => {
      do {
        this.#pumpAgain = false;
        await this.#pumpOnce();
      } while (this.#pumpAgain && !this.#rt.life.closing);
    })().finally(() => {
      this.#pumpRun = undefined;
    });
    return this.#pumpRun;
  }

  async #pumpOnce(): Promise<void> {
    if (this.#rt.life.closing) return;
    let claimed: StoredJob[];
    try {
      claimed = await claimJobs(this.#rt, this.#concurrency - this.#active.size);
    } catch (error) {
      if (!this.#rt.life.abandoned) this.#onError?.(error);
      return;
    }
    for (const job of claimed) {
      const run: Promise<void> = driveJob(this.#rt, job)
        .catch((error: unknown) => {
          if (!this.#rt.life.abandoned) this.#onError?.(error); // the job stays owned by this engine until a restart resumes it
        })
        .finally(() => {
          this.#active.delete(run);
          if (!this.#rt.life.closing) void this.#kick();
        });
      this.#active.add(run);
    }
  }
}
