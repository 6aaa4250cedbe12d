/**
 * `opentsm audit verify` and `opentsm audit checkpoint`: the work behind the command line
 * (src/cli/commands/audit.ts). Results go to stdout (a summary, or JSON with --json); findings,
 * advice and progress to stderr. A verification with any finding ends in ERR_TSM_AUDIT_TAMPERED,
 * so the exit code is non-zero.
 */
import { join } from 'node:path';
import { toHex } from '../../bytes/index.ts';
import { AuditError, findAuditKeys, openAuditLog, verifyAuditLog, writeCheckpoint, type AuditVerification } from '../../tsm/index.ts';
import { printResult } from '../calc/result.ts';
import type { Output } from '../gp/output.ts';
import { VerifyBar } from './progress.ts';
import { withAuditSession, type AuditOptions } from './session.ts';

/** The verification as JSON (MACs in hex). */
function asJson(result: AuditVerification): unknown {
  const latest = result.checkpoints.latest;
  return {
    ok: result.ok, logId: result.logId ?? null, verified: result.verified,
    checkpoints: { ...result.checkpoints, latest: latest === undefined ? null : { ...latest, mac: toHex(latest.mac) } },
    findings: result.findings, notices: result.notices,
  };
}

function summary(result: AuditVerification): string {
  const latest = result.checkpoints.latest;
  const cps = `${result.checkpoints.valid} of ${result.checkpoints.files} checkpoint file(s) valid${latest === undefined ? '' : `, the latest at record ${latest.seq} (${latest.at})`}`;
  return `audit log ${result.logId ?? '(none)'}: ${result.verified} record(s) verified; ${cps}`;
}

/** Verifies the data directory's audit log against its checkpoints; throws ERR_TSM_AUDIT_TAMPERED on any finding. */
export async function auditVerify(options: AuditOptions, out: Output): Promise<void> {
  const result = await withAuditSession(options, out, 'verify', async (s) => {
    const bar = new VerifyBar(out);
    try {
      return await verifyAuditLog(s.db, s.hsm, s.checkpoints, { onProgress: (p) => bar.update(p) });
    } finally {
      bar.finish();
    }
  });
  if (options.json === true) out.out(JSON.stringify(asJson(result), null, 2));
  else out.out(summary(result));
  for (const notice of result.notices) out.err(`note: ${notice}`);
  for (const finding of result.findings) {
    out.err(`FOUND (${finding.reason}): ${finding.message}`);
    out.err(`  what to do: ${finding.advice}`);
  }
  const first = result.findings[0];
  if (first !== undefined) {
    const where = first.seq === undefined ? `checkpoint ${first.file ?? ''}` : `record ${first.seq}`;
    throw new AuditError('ERR_TSM_AUDIT_TAMPERED', `audit log ${result.logId ?? '(none)'}: ${result.findings.length} finding(s), the first at ${where} (${first.reason}); see above`);
  }
}

/** Signs the log's head now and writes it to the checkpoint directory (creating the audit keys and log on first use). */
export async function auditCheckpoint(options: AuditOptions, out: Output): Promise<void> {
  await withAuditSession(options, out, 'write', async (s) => {
    const log = await openAuditLog(s.db, s.hsm);
    await s.sink?.bind(log);
    const keys = await findAuditKeys(s.hsm);
    const { file, checkpoint } = await writeCheckpoint(log, s.hsm, keys.signingKey, s.checkpoints);
    printResult(out, { logId: checkpoint.logId, seq: checkpoint.seq, at: checkpoint.at, file: join(s.checkpoints.path, file), signingKey: checkpoint.keyId }, options.json === true);
  });
}
