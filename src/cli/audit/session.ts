/**
 * One `opentsm audit` run: the data directory's software HSM (LMK file, key records in the store)
 * and store, as `opentsm hsm` opens them (src/cli/hsm/context.ts), plus the checkpoint directory.
 * `verify` runs read-only: its HSM audits to nowhere (its look-ups are not key operations worth a
 * record, and a verifier must not grow the log it reads). `checkpoint` chains the HSM's events.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SoftwareHsm, type AuditSink, type Lmk } from '../../hsm/index.ts';
import { closeDatabase, keyRecordStore, type StoreDb } from '../../store/index.ts';
import { ChainAuditSink, CheckpointDirectory } from '../../tsm/index.ts';
import { CliError } from '../errors.ts';
import type { Output } from '../gp/output.ts';
import { locationOf, narrowKeyAttributes, openStore, type HsmOptions } from '../hsm/context.ts';
import { loadLmks } from '../hsm/lmk-form.ts';

/** The options of `opentsm audit` verbs. */
export interface AuditOptions extends HsmOptions {
  /** The checkpoint directory (default DATA_DIR/audit-checkpoints, or env OPENTSM_AUDIT_CHECKPOINTS). */
  readonly checkpoints?: string | undefined;
}

/** The environment variable of `--checkpoints`. */
export const CHECKPOINTS_ENV = 'OPENTSM_AUDIT_CHECKPOINTS';
/** The checkpoint directory's name inside a data directory, when none is given. */
export const DEFAULT_CHECKPOINT_DIR = 'audit-checkpoints';

/** What a verb works with. */
export interface AuditSession {
  readonly hsm: SoftwareHsm;
  readonly db: StoreDb;
  /** The chain sink (`checkpoint`), or undefined (`verify`: read-only). */
  readonly sink: ChainAuditSink | undefined;
  readonly checkpoints: CheckpointDirectory;
}

/** `--checkpoints`, else OPENTSM_AUDIT_CHECKPOINTS, else DATA_DIR/audit-checkpoints. */
export function checkpointDirOf(options: AuditOptions, dataDir: string | undefined, env: Readonly<Record<string, string | undefined>> = process.env): string {
  const given = options.checkpoints ?? env[CHECKPOINTS_ENV];
  if (given !== undefined && given !== '') return resolve(given);
  if (dataDir === undefined) throw new CliError('ERR_CLI_USAGE', `--checkpoints: required when there is no --data-dir (or set ${CHECKPOINTS_ENV})`);
  return join(dataDir, DEFAULT_CHECKPOINT_DIR);
}

/** Opens the HSM and store, runs `fn`, and always closes both. */
export async function withAuditSession<T>(options: AuditOptions, out: Output, mode: 'verify' | 'write', fn: (session: AuditSession) => Promise<T>): Promise<T> {
  const where = locationOf(options);
  const checkpoints = new CheckpointDirectory(checkpointDirOf(options, where.dataDir));
  if (!existsSync(where.lmkPath)) throw new CliError('ERR_CLI_INPUT', `no LMK file ${where.lmkPath} (is this the data directory of \`opentsm hsm init\`?)`);
  const lmks: Lmk[] = loadLmks(where.lmkPath, (line) => out.err(line));
  let db: StoreDb;
  try {
    db = await openStore(where);
  } catch (e) {
    for (const lmk of lmks) lmk.destroy();
    throw e;
  }
  const sink = mode === 'write' ? new ChainAuditSink() : undefined;
  const audit: AuditSink = sink ?? { record: () => undefined };
  const hsm = new SoftwareHsm({ lmk: lmks[0]!, previousLmks: lmks.slice(1), store: keyRecordStore(db, narrowKeyAttributes), audit });
  try {
    return await fn({ hsm, db, sink, checkpoints });
  } finally {
    hsm.close();
    await closeDatabase(db);
  }
}
