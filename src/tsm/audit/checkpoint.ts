/**
 * Checkpoints (docs/audit.md §5): the head of the log {log id, seq, MAC_seq, at}, signed by the
 * HSM's audit signing key (S0, ECDSA P-256 with SHA-256) and written to a directory outside the
 * database — on demand (`writeCheckpoint`) and on a schedule (`startCheckpoints`). A checkpoint is
 * what lets verification see truncation: a database writer can delete the newest records and leave
 * a chain that verifies, but cannot delete or forge the signed head that named them.
 */
import type { Hsm, OperationContext } from '../../hsm/index.ts';
import type { AuditLog } from './audit-log.ts';
import { checkpointPayload } from './encoding.ts';
import type { CheckpointDirectory, SignedCheckpoint } from './checkpoint-files.ts';
import { VERIFIER_ACTOR } from './hsm-sink.ts';
import { auditContext, CHECKPOINT_SCHEME, isAuditSigningKey } from './keys.ts';

/** A checkpoint just written and the file that holds it. */
export interface WrittenCheckpoint {
  readonly file: string;
  readonly checkpoint: SignedCheckpoint;
}

/**
 * Signs the log's current head (any writer's, as the database has it) and writes it as a new file.
 * @example const { file } = await writeCheckpoint(log, hsm, keys.signingKey, new CheckpointDirectory('/var/lib/opentsm-checkpoints'))
 */
export async function writeCheckpoint(log: AuditLog, hsm: Hsm, signingKey: string, directory: CheckpointDirectory, now: () => Date = () => new Date()): Promise<WrittenCheckpoint> {
  const head = await log.head();
  const unsigned = { logId: log.logId, seq: head.seq, mac: head.mac, at: now().toISOString() };
  const signature = await hsm.sign(signingKey, checkpointPayload(unsigned), CHECKPOINT_SCHEME, auditContext('audit-checkpoint'));
  const checkpoint: SignedCheckpoint = { ...unsigned, keyId: signingKey, scheme: CHECKPOINT_SCHEME, signature };
  return { file: directory.write(checkpoint), checkpoint };
}

/**
 * Whether a checkpoint's signature verifies under the key it names, and that key is the audit
 * signing key (its label and usage S0) — a checkpoint signed by any other key does not count.
 */
export async function verifyCheckpointSignature(hsm: Hsm, cp: SignedCheckpoint, ctx: OperationContext = auditContext(VERIFIER_ACTOR)): Promise<boolean> {
  let key;
  try {
    key = await hsm.getKey(cp.keyId, ctx);
  } catch {
    return false; // an unknown key (or another tenant's) signs nothing we accept
  }
  if (!isAuditSigningKey(key)) return false;
  try {
    return await hsm.verify(cp.keyId, checkpointPayload(cp), cp.signature, cp.scheme, ctx);
  } catch {
    return false; // a malformed signature
  }
}

/** A running checkpoint schedule. */
export interface CheckpointSchedule {
  /** Writes one now (waits for a scheduled one in progress first). */
  now(): Promise<WrittenCheckpoint>;
  /** Stops the timer and waits for a checkpoint in progress. */
  stop(): Promise<void>;
}

/** How often, and what to do with a failed scheduled checkpoint (the service logs it and alerts). */
export interface CheckpointScheduleOptions {
  /** Milliseconds between checkpoints (docs/audit.md §5 suggests 60 000). */
  readonly intervalMs: number;
  readonly onError: (error: unknown) => void;
  /** Called after each checkpoint written. */
  readonly onCheckpoint?: (written: WrittenCheckpoint) => void;
}

/**
 * Writes a checkpoint every `intervalMs` while the log grows: a head that has not moved since the
 * last checkpoint (and the record of its signing) is not signed again. The timer does not keep the
 * process alive.
 */
export function startCheckpoints(log: AuditLog, hsm: Hsm, signingKey: string, directory: CheckpointDirectory, options: CheckpointScheduleOptions): CheckpointSchedule {
  let running: Promise<unknown> = Promise.resolve();
  let lastSeen = -1;
  const write = async (): Promise<WrittenCheckpoint> => {
    const written = await writeCheckpoint(log, hsm, signingKey, directory);
    lastSeen = (await log.head()).seq; // past the record of this checkpoint's own signing, when the HSM is chained
    options.onCheckpoint?.(written);
    return written;
  };
  const tick = async (): Promise<void> => {
    if ((await log.head()).seq === lastSeen) return;
    await write();
  };
  const timer = setInterval(() => {
    running = running.then(tick).catch(options.onError);
  }, options.intervalMs);
  timer.unref();
  return {
    now: () => {
      const next = running.then(write);
      running = next.catch(() => undefined);
      return next;
    },
    stop: async () => {
      clearInterval(timer);
      await running.catch(() => undefined);
    },
  };
}
