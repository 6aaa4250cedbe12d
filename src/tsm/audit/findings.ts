/**
 * What verification can find (docs/audit.md §6), each with the record or file it concerns, a
 * readable message and what to do. Messages name seqs, log ids and file names — never a detail
 * value or a MAC.
 */

/**
 * - `edited`: a record's MAC does not verify over its contents (a field was changed, or the record
 *   was forged — inserted or rewritten without the key, or MACed under another key).
 * - `removed`: a seq is missing (a record was deleted from the middle).
 * - `reordered`: a record's previous-MAC is not the MAC of the record before it (records swapped,
 *   moved, or a chain spliced).
 * - `truncated`: a valid checkpoint names a seq beyond the end of the log, or its MAC differs from
 *   the record now at that seq (the newest records were deleted, and maybe replaced).
 * - `checkpoint-signature`: a checkpoint whose signature does not verify under the audit signing key.
 * - `checkpoint-invalid`: a file in the checkpoint directory that is not a checkpoint of this log.
 */
export const AUDIT_FINDING_REASONS = ['edited', 'removed', 'reordered', 'truncated', 'checkpoint-signature', 'checkpoint-invalid'] as const;
export type AuditFindingReason = (typeof AUDIT_FINDING_REASONS)[number];

/** One problem found. */
export interface AuditFinding {
  readonly reason: AuditFindingReason;
  /** The seq of the first bad record (or of the first missing one). */
  readonly seq?: number;
  /** The checkpoint file concerned. */
  readonly file?: string;
  readonly message: string;
  readonly advice: string;
}

const RESTORE = 'restore the log from a backup that verifies, keep this database as evidence and find who had write access to it';

/** The finding for record `seq`. */
export function recordFinding(reason: 'edited' | 'removed' | 'reordered', logId: string, seq: number, why: string): AuditFinding {
  const what = { edited: 'was edited or forged', removed: 'is missing (removed)', reordered: 'is out of place (reordered or spliced)' }[reason];
  return { reason, seq, message: `audit log ${logId}: record ${seq} ${what}: ${why}`, advice: RESTORE };
}

/** A checkpoint that names more than the log holds, or another MAC at its seq. */
export function truncationFinding(logId: string, seq: number, file: string, why: string): AuditFinding {
  return {
    reason: 'truncated', seq, file,
    message: `audit log ${logId}: truncated at record ${seq}: ${why} (checkpoint ${file})`,
    advice: `records from ${seq} on were deleted or rewritten after the checkpoint was signed; ${RESTORE}`,
  };
}

/** A checkpoint file that does not count. */
export function checkpointFinding(reason: 'checkpoint-signature' | 'checkpoint-invalid', file: string, why: string): AuditFinding {
  return {
    reason, file,
    message: `checkpoint ${file}: ${why}`,
    advice: 'the checkpoint directory was written by someone other than the audit log: compare it with its off-site copy, and find who could write there',
  };
}
