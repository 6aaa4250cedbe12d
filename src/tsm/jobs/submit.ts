/**
 * Turning a request into the job row `submit` inserts: checked fields, canonical params, the
 * request fingerprint, the payload sealed when sensitive, the expiry from the validity period.
 */
import { randomUUID } from 'node:crypto';
import type { StoredJob } from '../../store/index.ts';
import { TsmError } from '../errors.ts';
import { canonicalJson, MAX_PARAMS_JSON, requestHash } from './request-hash.ts';
import type { EngineRuntime } from './runtime.ts';
import type { JobRequest, SubmitOptions } from './types.ts';

/** Longest validity period accepted, in seconds (one year). */
export const MAX_VALIDITY_SECONDS = 366 * 24 * 3600;
/** Largest payload, in bytes. */
export const MAX_PAYLOAD = 512 * 1024;

function assertId(value: unknown, what: string): asserts value is string {
  // eslint-disable-next-line no-control-regex
  if (typeof value !== 'string' || value.length === 0 || value.length > 256 || /[\u0000-\u001f]/.test(value)) {
    throw new TsmError('ERR_TSM_REQUEST', `${what}: expected 1–256 printable characters`);
  }
}

/** Checks a submission and builds its job row (queued, step 0) and fingerprint. */
export async function submitRecord(rt: EngineRuntime, request: JobRequest, options: SubmitOptions): Promise<{ record: StoredJob; requestHash: string }> {
  if (typeof request !== 'object' || request === null) throw new TsmError('ERR_TSM_REQUEST', 'job request: expected an object');
  if (typeof options !== 'object' || options === null) throw new TsmError('ERR_TSM_REQUEST', 'submit options: expected an object');
  assertId(request.tenant, 'job tenant');
  assertId(request.seId, 'job seId');
  assertId(request.kind, 'job kind');
  assertId(options.idempotencyKey, 'idempotency key');
  const kind = rt.kinds.get(request.kind);
  if (kind === undefined) throw new TsmError('ERR_TSM_REQUEST', 'job kind: not a kind this engine runs');
  const validity = options.validitySeconds;
  if (validity !== undefined && (!Number.isSafeInteger(validity) || validity < 1 || validity > MAX_VALIDITY_SECONDS)) {
    throw new TsmError('ERR_TSM_REQUEST', `validitySeconds: expected an integer in 1..${MAX_VALIDITY_SECONDS}`);
  }
  const params = canonicalJson(request.params ?? null);
  if (params.length > MAX_PARAMS_JSON) throw new TsmError('ERR_TSM_REQUEST', `job params: longer than ${MAX_PARAMS_JSON} characters`);
  const payload = request.payload;
  if (payload !== undefined && (!(payload.data instanceof Uint8Array) || payload.data.length > MAX_PAYLOAD || typeof payload.sensitive !== 'boolean')) {
    throw new TsmError('ERR_TSM_REQUEST', `job payload: expected { data: up to ${MAX_PAYLOAD} bytes, sensitive: boolean }`);
  }
  const hash = await requestHash(request, params, rt.cipher); // refuses a sensitive payload without a cipher
  let stored: Uint8Array | null = null;
  if (payload !== undefined) stored = payload.sensitive ? await rt.cipher!.seal(payload.data, request.tenant) : payload.data.slice();
  const now = rt.now();
  const at = now.toISOString();
  const record: StoredJob = {
    id: randomUUID(), tenant: request.tenant, seId: request.seId, kind: request.kind, state: 'queued', stepIndex: 0,
    stepName: kind.steps[0]!.name, stepStatus: 'pending', idempotencyKey: options.idempotencyKey, requestHash: hash, params,
    payload: stored, payloadSealed: payload?.sensitive ?? false,
    expiresAt: validity === undefined ? null : new Date(now.getTime() + validity * 1000).toISOString(), attempt: 1, owner: null,
    waitToken: null, delivery: null, outputs: '{}', result: null, errorStep: null, errorCode: null, errorSw: null, errorMessage: null,
    createdAt: at, updatedAt: at, startedAt: null, endedAt: null,
  };
  return { record, requestHash: hash };
}
