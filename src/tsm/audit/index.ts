/**
 * tsm/audit: the append-only, chained and checkpointed audit log of the TSM service
 * (docs/audit.md). Every API call, job step, key operation and notification is a record MACed
 * under an HSM key together with the MAC of the record before it; signed heads are exported to a
 * directory outside the database; `verifyAuditLog` finds any edited, removed, reordered or
 * truncated record.
 *
 * @example
 * const sink = new ChainAuditSink();
 * const hsm = new SoftwareHsm({ lmk, store, audit: sink });
 * const log = await openAuditLog(db, hsm);
 * await sink.bind(log);
 * await appendAudit(log, { tenant: 'bank-a', actor: 'cl_…', kind: 'api-call', action: 'deployServiceInstance', result: '202' });
 * const keys = await findAuditKeys(hsm);
 * const schedule = startCheckpoints(log, hsm, keys.signingKey, new CheckpointDirectory(dir), { intervalMs: 60_000, onError });
 * const result = await verifyAuditLog(db, hsm, new CheckpointDirectory(dir));
 */
export { AuditError, AUDIT_ERROR_CODES, type AuditErrorCode } from './errors.ts';
export { AUDIT_KINDS, AUDIT_MAC_LENGTH, type AuditKind, type AuditEntry, type AuditRecord, type AuditJson } from './record.ts';
export { redactDetail, redactSubjects, redactText, isSecretName, REDACTED, MAX_DETAIL_JSON } from './redact.ts';
export { recordMacInput, genesisMac, checkpointPayload, type MacedFields, type CheckpointHead } from './encoding.ts';
export {
  AUDIT_TENANT, AUDIT_MAC_KEY_LABEL, AUDIT_SIGNING_KEY_LABEL, CHECKPOINT_SCHEME, auditContext, findAuditKeys, setupAuditKeys, isAuditMacKey, isAuditSigningKey, type AuditKeys,
} from './keys.ts';
export { AuditLog, openAuditLog, resolveLogId, appendAudit, type AuditLogOptions, type ChainHead } from './audit-log.ts';
export { ChainAuditSink, entryOfHsmEvent, VERIFIER_ACTOR } from './hsm-sink.ts';
export { CheckpointDirectory, checkpointJson, type SignedCheckpoint, type CheckpointFile } from './checkpoint-files.ts';
export { writeCheckpoint, verifyCheckpointSignature, startCheckpoints, type WrittenCheckpoint, type CheckpointSchedule, type CheckpointScheduleOptions } from './checkpoint.ts';
export { AUDIT_FINDING_REASONS, type AuditFinding, type AuditFindingReason } from './findings.ts';
export { verifyAuditLog, type AuditVerification, type VerifyOptions, type VerifyProgress, type VerifiedCheckpoint } from './verify.ts';
