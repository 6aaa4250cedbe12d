/**
 * One audit event per public method call (audit.ts): `audited` runs the operation with a `Trail`
 * that collects the keys it touched (id and KCV) and a non-secret detail, then records `ok`, or
 * `refused` / `failed` with the error code. Errors that are not OpenTSM errors become
 * ERR_HSM_BACKEND (CONVENTIONS.md §3: no bare TypeError escapes). If the sink fails, the call
 * fails (an unaudited key operation is not allowed to succeed).
 */
import { OpenTsmError } from '../../bytes/index.ts';
import type { AuditEvent, AuditSink } from '../audit.ts';
import type { OperationContext } from '../context.ts';
import { HsmError } from '../errors.ts';

/** What an operation reports for its audit event. */
export class Trail {
  readonly keys: { readonly id: string; readonly kcv: string }[] = [];
  detail: string | undefined;

  key(id: string, kcv: string): void {
    if (!this.keys.some((k) => k.id === id)) this.keys.push({ id, kcv });
  }
}

/** Codes that mean the HSM itself could not do the work, as opposed to refusing a request. */
const FAILURES: ReadonlySet<string> = new Set(['ERR_HSM_KEY_BLOCK', 'ERR_HSM_LMK', 'ERR_HSM_BACKEND']);

let lastMs = 0;
let lastIso = '';

/** ISO 8601 time, formatted once per millisecond (the hot path calls this for every event). */
function isoNow(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

/** Longest tenant, actor or request id the HSM accepts (what every store keeps verbatim). */
export const MAX_CONTEXT_TEXT = 256;

/** The tenant and actor an audit event names when the caller's context was unusable. */
export const INVALID_CONTEXT = '(invalid context)';

/** 1–256 characters, no control character or unpaired surrogate (a store could not keep it verbatim). */
const CONTEXT_TEXT = /^[^\p{Cc}\p{Cs}]{1,256}$/u;

function isContextText(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_CONTEXT_TEXT && CONTEXT_TEXT.test(value);
}

/** Checks the context every method takes (ERR_HSM_PARAM). */
export function assertContext(ctx: OperationContext): void {
  const ok = typeof ctx === 'object' && ctx !== null && isContextText(ctx.tenant) && isContextText(ctx.actor) &&
    (ctx.requestId === undefined || isContextText(ctx.requestId));
  if (!ok) throw new HsmError('ERR_HSM_PARAM', `operation context: tenant and actor are required, requestId optional: 1–${MAX_CONTEXT_TEXT} characters without control characters`);
}

function toTypedError(e: unknown, operation: string): OpenTsmError {
  if (e instanceof OpenTsmError) return e as OpenTsmError;
  return new HsmError('ERR_HSM_BACKEND', `${operation}: internal error`, { cause: e });
}

function event(operation: string, ctx: OperationContext, trail: Trail, result: AuditEvent['result'], code?: string): AuditEvent {
  return {
    kind: 'hsm-audit',
    at: isoNow(),
    // An unusable context is still audited (its refusal, ERR_HSM_PARAM), under a placeholder name.
    tenant: isContextText(ctx?.tenant) ? ctx.tenant : INVALID_CONTEXT,
    actor: isContextText(ctx?.actor) ? ctx.actor : INVALID_CONTEXT,
    requestId: isContextText(ctx?.requestId) ? ctx.requestId : undefined,
    operation,
    keys: trail.keys,
    result,
    code,
    detail: trail.detail,
  };
}

function sinkFailure(e: AuditEvent, cause: unknown): HsmError {
  return new HsmError('ERR_HSM_BACKEND', `${e.operation}: the audit sink failed; the operation is not confirmed`, { cause });
}

/** Hands `e` to the sink; a promise only when the sink returned one (a synchronous sink costs no extra turn). */
function record(sink: AuditSink, e: AuditEvent): Promise<void> | undefined {
  let pending: void | Promise<void>;
  try {
    pending = sink.record(e);
  } catch (cause) {
    throw sinkFailure(e, cause);
  }
  if (!(pending instanceof Promise)) return undefined;
  return pending.then(
    () => undefined,
    (cause: unknown) => {
      throw sinkFailure(e, cause);
    },
  );
}

/** Runs `body` as the audited operation `operation` on behalf of `ctx`. */
export async function audited<T>(sink: AuditSink, operation: string, ctx: OperationContext, body: (trail: Trail) => Promise<T> | T): Promise<T> {
  const trail = new Trail();
  let result: T;
  try {
    assertContext(ctx);
    result = await body(trail);
  } catch (e) {
    const error = toTypedError(e, operation);
    const pending = record(sink, event(operation, ctx, trail, FAILURES.has(error.code) ? 'failed' : 'refused', error.code));
    if (pending !== undefined) await pending;
    throw error;
  }
  const pending = record(sink, event(operation, ctx, trail, 'ok'));
  if (pending !== undefined) await pending;
  return result;
}
