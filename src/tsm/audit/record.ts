/**
 * What the chained audit log records (docs/audit.md §2): who did what to which subjects with what
 * result, with a redacted JSON detail. An `AuditEntry` is what callers append; an `AuditRecord` is
 * an entry with its place in the chain (seq, time, the MAC of the record before it and its own).
 */
import type { StoredAuditChainRecord } from '../../store/index.ts';

/** The kinds of record: API calls, job steps, HSM key operations, notifications, operator actions. */
export const AUDIT_KINDS = ['api-call', 'job-step', 'key-operation', 'notification', 'admin'] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];

/** A JSON value as the detail holds it. */
export type AuditJson = string | number | boolean | null | readonly AuditJson[] | { readonly [key: string]: AuditJson };

/** What a caller appends (`AuditLog.append`, `appendAudit`). The detail is redacted on entry. */
export interface AuditEntry {
  readonly tenant: string;
  /** Who: an API client id, `system` for jobs, a custodian, the CLI user. */
  readonly actor: string;
  readonly kind: AuditKind;
  /** What, as a short token: an operation id (`deployServiceInstance`), a job step, an HSM method. */
  readonly action: string;
  /** The ids acted on: instance, SE, job, key ids. PAN-like or key-like values are redacted. */
  readonly subjects?: readonly string[];
  /** `ok`, `refused`, `failed`, an HTTP status, a job state: a short token. */
  readonly result: string;
  readonly requestId?: string | undefined;
  /** Non-secret detail; secrets are redacted by field name and by shape (redact.ts). */
  readonly detail?: { readonly [key: string]: unknown };
}

/**
 * A record of the chain as read back (subjects and detail as the exact JSON text that was MACed;
 * `macKey` the HSM key, usage M7, under which `mac` = HMAC-SHA-256(key, encode(record) ‖ prevMac)
 * was computed; `prevMac` the genesis value for seq 1): the store's row shape, unchanged.
 */
export type AuditRecord = StoredAuditChainRecord;

/** Length of every MAC in the chain (HMAC-SHA-256). */
export const AUDIT_MAC_LENGTH = 32;
