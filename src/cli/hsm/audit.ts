/**
 * Audit events the CLI itself is answerable for, in the HSM's own shape (hsm/audit.ts), appended to
 * the store's audit trail: the LMK's creation and assembly, which happen before (or outside) any
 * HSM instance that could audit them. No key material in them: the LMK is named by its KCV.
 */
import type { OperationContext } from '../../hsm/index.ts';
import { appendAuditEvent, type StoreDb } from '../../store/index.ts';

/** What `recordCliEvent` writes: the audit event's fields the CLI decides. */
export interface CliAuditEvent {
  readonly operation: string;
  readonly result: 'ok' | 'refused' | 'failed';
  readonly keys?: readonly { readonly id: string; readonly kcv: string }[];
  readonly code?: string;
  readonly detail?: string;
}

/** Appends an `hsm-audit` event for `ctx` (time now). */
export async function recordCliEvent(db: StoreDb, ctx: OperationContext, e: CliAuditEvent): Promise<void> {
  await appendAuditEvent(db, {
    kind: 'hsm-audit',
    at: new Date().toISOString(),
    tenant: ctx.tenant,
    actor: ctx.actor,
    operation: e.operation,
    keys: e.keys ?? [],
    result: e.result,
    ...(e.code === undefined ? {} : { code: e.code }),
    ...(e.detail === undefined ? {} : { detail: e.detail }),
  });
}
