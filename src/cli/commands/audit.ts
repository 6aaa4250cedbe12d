/**
 * `opentsm audit`: the chained audit log of a data directory (docs/audit.md) — `verify` recomputes
 * the chain and checks the signed checkpoints, `checkpoint` signs the head now. The work is in
 * src/cli/audit/.
 */
import type { Command } from 'commander';
import { addLocationOptions } from '../hsm/location-options.ts';
import { processOutput } from '../gp/output.ts';
import { auditCheckpoint, auditVerify } from '../audit/verbs.ts';
import type { AuditOptions } from '../audit/session.ts';

const HELP = `
Every API call, job step, key operation and notification of the TSM is a record of the audit log,
MACed under the HSM key "audit chain MAC" together with the MAC of the record before it. Signed heads
(checkpoints, ECDSA under "audit checkpoint signing") go to a directory OUTSIDE the database —
--checkpoints DIR, env OPENTSM_AUDIT_CHECKPOINTS, default DATA_DIR/audit-checkpoints; in production
a different disk or host, mirrored off-site (docs/audit.md §5). Verification finds any edited,
removed, reordered or truncated record, even one changed by someone with write access to the
database, and names the first one; the exit code is 1 when anything is found.

Examples:
  opentsm audit checkpoint --data-dir /srv/opentsm --checkpoints /mnt/worm/opentsm
  opentsm audit verify --data-dir /srv/opentsm --checkpoints /mnt/worm/opentsm
  opentsm audit verify --data-dir /srv/opentsm --json | jq .findings`;

function options(cmd: Command): Command {
  return addLocationOptions(cmd)
    .option('--checkpoints <dir>', 'the checkpoint directory (default DATA_DIR/audit-checkpoints, or env OPENTSM_AUDIT_CHECKPOINTS)')
    .option('--json', 'print the result as JSON');
}

/** Registers `opentsm audit verify` and `opentsm audit checkpoint`. */
export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('the tamper-evident audit log: verify the chain and its checkpoints, write a checkpoint').addHelpText('after', HELP);
  options(audit.command('verify').description('recompute the chain from record 1 and check every checkpoint; exit 1 and name the first bad record on any finding'))
    .addHelpText('after', '\nExamples:\n  opentsm audit verify --data-dir /srv/opentsm\n  opentsm audit verify --data-dir /srv/opentsm --checkpoints /mnt/worm/opentsm --json')
    .action((_o: unknown, cmd: Command) => auditVerify(cmd.opts<AuditOptions>(), processOutput()));
  options(audit.command('checkpoint').description('sign the log\'s head now and write it to the checkpoint directory (creates the audit keys and log on first use)'))
    .addHelpText('after', '\nExamples:\n  opentsm audit checkpoint --data-dir /srv/opentsm\n  opentsm audit checkpoint --data-dir /srv/opentsm --checkpoints /mnt/worm/opentsm --json')
    .action((_o: unknown, cmd: Command) => auditCheckpoint(cmd.opts<AuditOptions>(), processOutput()));
}
