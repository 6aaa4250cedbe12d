/**
 * Checkpoint files (docs/audit.md §5): a directory outside the database holding one JSON file per
 * signed head. Append-only: a file is created exclusively (`wx`, never overwritten), mode 0600,
 * fsync'ed with its directory before the write counts. Reading never fails on a bad file: it comes
 * back with the problem, for the verifier to report.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fromHex, toHex } from '../../bytes/index.ts';
import { AuditError } from './errors.ts';
import { CHECKPOINT_SCHEME } from './keys.ts';

/** A signed head of a log. */
export interface SignedCheckpoint {
  readonly logId: string;
  readonly seq: number;
  /** MAC_seq (the genesis value for seq 0). */
  readonly mac: Uint8Array;
  /** When the checkpoint was made (ISO 8601). */
  readonly at: string;
  /** The HSM signing key (S0) and scheme. */
  readonly keyId: string;
  readonly scheme: typeof CHECKPOINT_SCHEME;
  readonly signature: Uint8Array;
}

/** A file of the directory: its checkpoint, or why it is not one. */
export interface CheckpointFile {
  readonly name: string;
  readonly checkpoint?: SignedCheckpoint;
  readonly problem?: string;
}

/** Largest checkpoint file read (a real one is under 1 KiB). */
const MAX_FILE = 64 * 1024;
const NAME = /^checkpoint-[0-9]{16}-[0-9TZ]+\.json$/;

function parse(text: string): SignedCheckpoint | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  if (typeof value !== 'object' || value === null) return 'not a JSON object';
  const v = value as Record<string, unknown>;
  if (v.version !== 1) return 'not a version 1 checkpoint';
  if (typeof v.logId !== 'string' || v.logId.length === 0 || v.logId.length > 256) return 'logId: expected a string';
  if (typeof v.seq !== 'number' || !Number.isSafeInteger(v.seq) || v.seq < 0) return 'seq: expected a non-negative integer';
  if (typeof v.at !== 'string' || v.at.length > 64) return 'at: expected an ISO 8601 time';
  if (typeof v.keyId !== 'string' || v.keyId.length === 0 || v.keyId.length > 256) return 'keyId: expected a string';
  if (v.scheme !== CHECKPOINT_SCHEME) return `scheme: expected ${CHECKPOINT_SCHEME}`;
  if (typeof v.mac !== 'string' || !/^[0-9A-F]{64}$/i.test(v.mac)) return 'mac: expected 32 bytes of hex';
  if (typeof v.signature !== 'string' || !/^(?:[0-9A-F]{2}){1,512}$/i.test(v.signature)) return 'signature: expected hex';
  return { logId: v.logId, seq: v.seq, mac: fromHex(v.mac), at: v.at, keyId: v.keyId, scheme: CHECKPOINT_SCHEME, signature: fromHex(v.signature) };
}

/** The JSON text of a checkpoint file. */
export function checkpointJson(cp: SignedCheckpoint): string {
  const { logId, seq, at, keyId, scheme } = cp;
  return `${JSON.stringify({ version: 1, logId, seq, mac: toHex(cp.mac), at, keyId, scheme, signature: toHex(cp.signature) }, null, 2)}\n`;
}

/** A directory of checkpoint files. */
export class CheckpointDirectory {
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  /** Writes a new file (exclusive create, 0600, fsync'ed with the directory) and returns its name. */
  write(cp: SignedCheckpoint): string {
    const name = `checkpoint-${String(cp.seq).padStart(16, '0')}-${cp.at.replace(/[^0-9TZ]/g, '')}.json`;
    try {
      mkdirSync(this.path, { recursive: true, mode: 0o700 });
      this.#assertPrivate();
      const fd = openSync(join(this.path, name), 'wx', 0o600);
      try {
        writeSync(fd, checkpointJson(cp));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      const dir = openSync(this.path, 'r');
      try {
        fsyncSync(dir);
      } finally {
        closeSync(dir);
      }
    } catch (e) {
      if (e instanceof AuditError) throw e;
      const code = (e as NodeJS.ErrnoException).code ?? 'I/O error';
      throw new AuditError('ERR_TSM_AUDIT_CHECKPOINT', `checkpoint directory ${this.path}: cannot write ${name} (${code})`, { cause: e });
    }
    return name;
  }

  /** Every checkpoint file, in name order (= seq order); an absent directory has none. */
  read(): readonly CheckpointFile[] {
    let names: string[];
    try {
      names = readdirSync(this.path).filter((n) => n.endsWith('.json')).sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new AuditError('ERR_TSM_AUDIT_CHECKPOINT', `checkpoint directory ${this.path}: cannot be read (${(e as NodeJS.ErrnoException).code ?? 'I/O error'})`, { cause: e });
    }
    return names.map((name) => {
      if (!NAME.test(name)) return { name, problem: 'not a checkpoint file name' };
      try {
        const path = join(this.path, name);
        if (statSync(path).size > MAX_FILE) return { name, problem: 'larger than a checkpoint' };
        const parsed = parse(readFileSync(path, 'utf8'));
        return typeof parsed === 'string' ? { name, problem: parsed } : { name, checkpoint: parsed };
      } catch (e) {
        return { name, problem: `cannot be read (${(e as NodeJS.ErrnoException).code ?? 'I/O error'})` };
      }
    });
  }

  /** Group- or world-writable directories are refused: anyone could add or remove checkpoints. */
  #assertPrivate(): void {
    if ((statSync(this.path).mode & 0o022) !== 0) {
      throw new AuditError('ERR_TSM_AUDIT_CHECKPOINT', `checkpoint directory ${this.path}: group or others may write to it (chmod 700)`);
    }
  }
}
