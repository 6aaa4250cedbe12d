/**
 * A client of the TSM's HTTP API for integrators, the fleet, the demo and the benchmarks: JSON over
 * fetch with a client's bearer token, `Idempotency-Key` on every call that starts a job, and the
 * server's error answers as TsmError (the status's code, the public error code, the request id) —
 * never a response body echoed into a message.
 */
import { randomUUID } from 'node:crypto';
import { TsmError, type TsmErrorCode } from '../errors.ts';

export interface TsmClientOptions {
  /** The service's base URL, e.g. `https://tsm.example:8443`. */
  readonly baseUrl: string;
  /** `<client-id>.<secret>`. */
  readonly token: string;
  /** The fetch to use (default: the global one). */
  readonly fetch?: typeof fetch;
  /** Per-request timeout in ms (default 30 000). */
  readonly timeoutMs?: number;
}

/** A job as the API shows it (instance-schemas.ts JOB_RESPONSE). */
export interface ApiJob {
  readonly jobId: string;
  readonly kind: string;
  readonly state: string;
  readonly step: { readonly index: number; readonly name: string | null; readonly status: string };
  readonly attempt: number;
  readonly executionStatus?: { readonly status: string; readonly subject?: string; readonly reason?: string; readonly sw?: string; readonly message?: string };
  readonly error?: { readonly step: string; readonly code: string; readonly sw?: string; readonly message: string };
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly endedAt?: string | null;
}

/** A service instance as the API shows it. */
export interface ApiInstance {
  readonly instanceId: string;
  readonly serviceId: string;
  readonly seId: string;
  readonly aid: string;
  readonly state: string;
  readonly cardId?: string;
  readonly jobId?: string;
}

const STATUS_CODES: Readonly<Record<number, TsmErrorCode>> = {
  400: 'ERR_TSM_REQUEST', 401: 'ERR_TSM_AUTH', 403: 'ERR_TSM_FORBIDDEN', 404: 'ERR_TSM_NOT_FOUND', 409: 'ERR_TSM_CONFLICT', 413: 'ERR_TSM_REQUEST', 503: 'ERR_TSM_UNREACHABLE',
};

const ENDED = new Set(['succeeded', 'failed', 'expired', 'terminated']);

export class TsmClient {
  readonly #o: TsmClientOptions;
  readonly #base: string;

  constructor(options: TsmClientOptions) {
    this.#o = options;
    this.#base = options.baseUrl.replace(/\/$/, '');
  }

  /** One call: `body` as JSON; the parsed answer of a 2xx, else TsmError. */
  async call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const response = await (this.#o.fetch ?? fetch)(`${this.#base}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.#o.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(this.#o.timeoutMs ?? 30_000),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = text.length === 0 ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (response.status >= 200 && response.status < 300) return json as T;
    const error = (json as { error?: { code?: unknown; message?: unknown; requestId?: unknown } } | undefined)?.error;
    const code = typeof error?.code === 'string' ? error.code.slice(0, 48) : 'no error code';
    const message = typeof error?.message === 'string' ? error.message.slice(0, 300) : '';
    const requestId = typeof error?.requestId === 'string' ? ` (request ${error.requestId.slice(0, 64)})` : '';
    throw new TsmError(STATUS_CODES[response.status] ?? 'ERR_TSM_STATE', `${method} ${path}: ${response.status} ${code}${message === '' ? '' : `: ${message}`}${requestId}`);
  }

  /** A call that starts a job: the same `idempotencyKey` never runs twice (default: a fresh one). */
  startJob<T>(path: string, body: unknown, idempotencyKey: string = randomUUID()): Promise<T> {
    return this.call<T>('POST', path, body, { 'idempotency-key': idempotencyKey });
  }

  /** DeployService. */
  deploy(serviceId: string, body: { readonly seId?: string; readonly subscriptionId?: string; readonly card: unknown; readonly validitySeconds?: number }, idempotencyKey?: string): Promise<{ instance: ApiInstance; job: ApiJob }> {
    return this.startJob(`/v1/sp/services/${encodeURIComponent(serviceId)}/instances`, body, idempotencyKey);
  }

  /** SuspendOrResumeService / TerminateService. */
  instanceAction(instanceId: string, action: 'suspend' | 'resume' | 'terminate', idempotencyKey?: string): Promise<{ instance: ApiInstance; job: ApiJob }> {
    return this.startJob(`/v1/sp/instances/${encodeURIComponent(instanceId)}/${action}`, {}, idempotencyKey);
  }

  /** GetServiceState. */
  instance(instanceId: string): Promise<ApiInstance> {
    return this.call('GET', `/v1/sp/instances/${encodeURIComponent(instanceId)}`);
  }

  job(jobId: string): Promise<ApiJob> {
    return this.call('GET', `/v1/jobs/${encodeURIComponent(jobId)}`);
  }

  /**
   * Polls the job until it has ended (or `until` says stop), at most `timeoutMs`: first after
   * `intervalMs` (default 50), then half as long again each time up to `maxIntervalMs` (default 500),
   * so a long job costs the service few reads. (Webhooks tell an SP without polling.)
   */
  async waitForJob(
    jobId: string,
    options: { readonly intervalMs?: number; readonly maxIntervalMs?: number; readonly timeoutMs?: number; readonly until?: (job: ApiJob) => boolean } = {},
  ): Promise<ApiJob> {
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    let interval = options.intervalMs ?? 50;
    for (;;) {
      const job = await this.job(jobId);
      if (ENDED.has(job.state) || options.until?.(job) === true) return job;
      if (Date.now() > deadline) throw new TsmError('ERR_TSM_STATE', `job ${jobId} is still ${job.state} at ${job.step.name ?? 'its start'}`);
      await new Promise((r) => setTimeout(r, interval));
      interval = Math.min(interval * 1.5, options.maxIntervalMs ?? 500);
    }
  }
}
