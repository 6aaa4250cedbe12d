/**
 * Audit events: every key operation emits one (who, which key by id and KCV, what, result), with
 * no key material, PIN or PAN in it. The service persists them (issue "TSM service": chained log);
 * the HSM only needs a sink.
 */
export interface AuditEvent {
  readonly kind: 'hsm-audit';
  /** ISO 8601 time. */
  readonly at: string;
  readonly tenant: string;
  readonly actor: string;
  readonly requestId?: string | undefined;
  /** The Hsm method name, e.g. "generateKey", "verifyArqc". */
  readonly operation: string;
  /** Keys involved, by id and KCV. */
  readonly keys: readonly { readonly id: string; readonly kcv: string }[];
  readonly result: 'ok' | 'refused' | 'failed';
  /** The error code when the result is not ok. */
  readonly code?: string | undefined;
  /** Non-secret detail (e.g. "ARQC did not verify", "custodians: alice, bob"). */
  readonly detail?: string | undefined;
}

export interface AuditSink {
  record(event: AuditEvent): void | Promise<void>;
}

/** Keeps events in memory (tests, the CLI's short-lived HSM). */
export class MemoryAuditSink implements AuditSink {
  readonly events: AuditEvent[] = [];

  record(event: AuditEvent): void {
    this.events.push(Object.freeze({ ...event }));
  }
}
