import { OpenTsmError } from '../../bytes/index.ts';

/**
 * Codes raised by the audit log (tsm/audit, docs/audit.md). A list of its own beside
 * TSM_ERROR_CODES so that the HTTP layer's exhaustive registry of `TsmErrorCode` need not change:
 * audit failures never answer a request with their own status (they are INTERNAL there). Messages
 * name records by log id and seq, files by name — never a detail value, a MAC or a key.
 */
export const AUDIT_ERROR_CODES = [
  // An entry that cannot be appended (bad shape, too large), or an append that kept losing races.
  'ERR_TSM_AUDIT',
  // The HSM's audit MAC or checkpoint signing key is missing or ambiguous.
  'ERR_TSM_AUDIT_KEY',
  // The checkpoint directory or a checkpoint file cannot be used (permissions, I/O).
  'ERR_TSM_AUDIT_CHECKPOINT',
  // Verification found an edited, removed, reordered or truncated record, or a bad checkpoint.
  'ERR_TSM_AUDIT_TAMPERED',
] as const;
export type AuditErrorCode = (typeof AUDIT_ERROR_CODES)[number];

/** An audit log failure (append, keys, checkpoints) or a verification that found tampering. */
export class AuditError extends OpenTsmError<AuditErrorCode> {}
