/**
 * `verifyAuditLog` (docs/audit.md §6): recomputes the chain from seq 1 in batches — memory stays
 * bounded whatever the log's length — and reports the first bad record and why, then checks the
 * signed checkpoints against it. The checks per record, in order: its seq is the next one (else
 * `removed`), its previous-MAC is the MAC of the record before it (else `reordered`), its MAC
 * verifies in the HSM under an audit MAC key (else `edited`), and it agrees with any checkpoint
 * at its seq (else `truncated`). After the walk, a checkpoint beyond the end is `truncated`.
 * Read-only: verification writes nothing to the database.
 */
import { equalCt } from '../../bytes/index.ts';
import type { Hsm, OperationContext } from '../../hsm/index.ts';
import { readAuditChain, getAuditChainHead, type StoreDb } from '../../store/index.ts';
import { resolveLogId } from './audit-log.ts';
import { CheckpointDirectory, type CheckpointFile } from './checkpoint-files.ts';
import { verifyCheckpointSignature } from './checkpoint.ts';
import { genesisMac, recordMacInput } from './encoding.ts';
import { checkpointFinding, recordFinding, truncationFinding, type AuditFinding } from './findings.ts';
import { VERIFIER_ACTOR } from './hsm-sink.ts';
import { auditContext, isAuditMacKey } from './keys.ts';
import { AUDIT_MAC_LENGTH, type AuditRecord } from './record.ts';

/** Progress of a long verification: records checked so far out of the log's highest seq. */
export interface VerifyProgress {
  readonly checked: number;
  readonly total: number;
}

export interface VerifyOptions {
  /** The log to verify (default: the database's audit log). */
  readonly logId?: string;
  /** Records read per query (default 1000). */
  readonly batchSize?: number;
  /** Called after each batch. */
  readonly onProgress?: (progress: VerifyProgress) => void;
  readonly ctx?: OperationContext;
}

/** A valid checkpoint as verification uses it. */
export interface VerifiedCheckpoint {
  readonly file: string;
  readonly seq: number;
  readonly at: string;
  readonly mac: Uint8Array;
}

/** The outcome: `ok` when nothing was found. */
export interface AuditVerification {
  readonly ok: boolean;
  readonly logId: string | undefined;
  /** Records that verified before the walk ended. */
  readonly verified: number;
  readonly checkpoints: { readonly files: number; readonly valid: number; readonly latest: VerifiedCheckpoint | undefined };
  /** The first bad record (at most one), then every checkpoint problem. */
  readonly findings: readonly AuditFinding[];
  /** What weakens the result without being a finding (no checkpoint at all). */
  readonly notices: readonly string[];
}

/** Checkpoint files: signatures checked, the valid ones of `logId` in seq order. */
async function loadCheckpoints(hsm: Hsm, files: readonly CheckpointFile[], logId: string | undefined, ctx: OperationContext, findings: AuditFinding[]): Promise<VerifiedCheckpoint[]> {
  const valid: VerifiedCheckpoint[] = [];
  for (const f of files) {
    const cp = f.checkpoint;
    if (cp === undefined) findings.push(checkpointFinding('checkpoint-invalid', f.name, f.problem ?? 'not a checkpoint'));
    else if (!(await verifyCheckpointSignature(hsm, cp, ctx))) findings.push(checkpointFinding('checkpoint-signature', f.name, 'its signature does not verify under the audit signing key'));
    else if (logId !== undefined && cp.logId !== logId) findings.push(checkpointFinding('checkpoint-invalid', f.name, `it is a checkpoint of log ${cp.logId}, not of ${logId}`));
    else valid.push({ file: f.name, seq: cp.seq, at: cp.at, mac: cp.mac });
  }
  return valid.sort((a, b) => a.seq - b.seq || (a.at < b.at ? -1 : 1));
}

/** Whether a key id names an audit MAC key (cached: a log has one key per rotation). */
function macKeyCheck(hsm: Hsm, ctx: OperationContext): (id: string) => Promise<boolean> {
  const known = new Map<string, boolean>();
  return async (id) => {
    const cached = known.get(id);
    if (cached !== undefined) return cached;
    let ok = false;
    try {
      ok = isAuditMacKey(await hsm.getKey(id, ctx));
    } catch {
      ok = false; // no such key, or another tenant's
    }
    if (known.size > 64) known.clear();
    known.set(id, ok);
    return ok;
  };
}

/** The walk's state across batches. */
interface Walk {
  expected: number;
  prev: Uint8Array;
  cp: number;
  /** The seq of the last checkpoint that matched (0: none yet). */
  matched: number;
}

/** The first problem with `record`, given the walk so far; undefined when it verifies. */
async function checkRecord(
  hsm: Hsm, ctx: OperationContext, logId: string, record: AuditRecord, walk: Walk, keyOk: (id: string) => Promise<boolean>, cps: readonly VerifiedCheckpoint[],
): Promise<AuditFinding | undefined> {
  const n = walk.expected;
  if (record.seq !== n) return recordFinding('removed', logId, n, `the record after ${n - 1 === 0 ? 'the start' : `record ${n - 1}`} is record ${record.seq}`);
  if (!equalCt(record.prevMac, walk.prev)) {
    return recordFinding('reordered', logId, n, `its previous-MAC is not the MAC of ${n === 1 ? 'the log\'s genesis' : `record ${n - 1}`}`);
  }
  if (!(await keyOk(record.macKey))) return recordFinding('edited', logId, n, 'it names a key that is not the audit MAC key');
  const valid = record.mac.length === AUDIT_MAC_LENGTH && (await hsm.verifyMac(record.macKey, recordMacInput(record, record.prevMac), record.mac, 'hmac-sha256', ctx));
  if (!valid) return recordFinding('edited', logId, n, 'its MAC does not verify');
  for (; walk.cp < cps.length && cps[walk.cp]!.seq <= n; walk.cp++) {
    const cp = cps[walk.cp]!;
    if (cp.seq !== n) continue;
    if (!equalCt(cp.mac, record.mac)) {
      return truncationFinding(logId, n, cp.file, `the checkpoint's MAC for record ${n} differs from the record there now: the log was cut and rewritten after record ${walk.matched}`);
    }
    walk.matched = n;
  }
  return undefined;
}

/**
 * Verifies a log against the HSM's audit MAC key and the signed checkpoints.
 * @example const result = await verifyAuditLog(db, hsm, new CheckpointDirectory('/srv/opentsm-checkpoints'), { onProgress: (p) => bar.update(p) })
 */
export async function verifyAuditLog(db: StoreDb, hsm: Hsm, checkpoints: CheckpointDirectory | readonly CheckpointFile[], options: VerifyOptions = {}): Promise<AuditVerification> {
  const ctx = options.ctx ?? auditContext(VERIFIER_ACTOR);
  const batch = options.batchSize ?? 1000;
  const files = checkpoints instanceof CheckpointDirectory ? checkpoints.read() : checkpoints;
  const findings: AuditFinding[] = [];
  const notices: string[] = [];
  const stored = options.logId ?? (await resolveLogId(db, { create: false }));
  const firstSigned = files.find((f) => f.checkpoint !== undefined)?.checkpoint?.logId;
  const logId = stored ?? firstSigned;
  const cps = await loadCheckpoints(hsm, files, logId, ctx, findings);
  const latest = cps.at(-1);
  const summary = { files: files.length, valid: cps.length, latest };
  if (logId === undefined) return { ok: findings.length === 0, logId, verified: 0, checkpoints: summary, findings, notices: ['the database has no audit log yet'] };
  if (latest === undefined) notices.push('no valid checkpoint: deleting the newest records could not be detected (write checkpoints: opentsm audit checkpoint)');

  const total = (await getAuditChainHead(db, logId))?.seq ?? 0;
  const walk: Walk = { expected: 1, prev: genesisMac(logId), cp: 0, matched: 0 };
  const keyOk = macKeyCheck(hsm, ctx);
  let first: AuditFinding | undefined;
  for (const cp of cps) if (cp.seq === 0 && !equalCt(cp.mac, walk.prev)) first ??= truncationFinding(logId, 1, cp.file, 'the checkpoint of the empty log names another genesis');
  let after = 0;
  while (first === undefined) {
    const records = await readAuditChain(db, logId, after, batch);
    for (const record of records) {
      first = await checkRecord(hsm, ctx, logId, record, walk, keyOk, cps);
      if (first !== undefined) break;
      walk.prev = record.mac;
      walk.expected++;
    }
    options.onProgress?.({ checked: walk.expected - 1, total: Math.max(total, walk.expected - 1) });
    if (records.length < batch) break;
    after = records.at(-1)!.seq;
  }
  const end = walk.expected - 1;
  if (first === undefined && latest !== undefined && latest.seq > end) {
    first = truncationFinding(logId, end + 1, latest.file, `the checkpoint names record ${latest.seq}, the log ends at ${end}`);
  }
  if (first !== undefined) findings.unshift(first);
  return { ok: findings.length === 0, logId, verified: end, checkpoints: summary, findings, notices };
}
