/**
 * A software HSM whose audit sink is the chain, a migrated SQLite store, the audit log bound to
 * the sink and a checkpoint directory — and a writer of a few hundred mixed records (API calls,
 * job steps, notifications, admin actions and the HSM's own key operations).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { sql } from 'kysely';
import { fromHex } from '../../../src/bytes/index.ts';
import { Lmk, SoftwareHsm, type AuditSink } from '../../../src/hsm/index.ts';
import { closeDatabase, migrateToLatest, openDatabase, type StoreDb } from '../../../src/store/index.ts';
import {
  AUDIT_KINDS, ChainAuditSink, CheckpointDirectory, findAuditKeys, openAuditLog, writeCheckpoint, type AuditKeys, type AuditLog, type WrittenCheckpoint,
} from '../../../src/tsm/audit/index.ts';
import { CTX, softwareHsm, TEST_SCRYPT } from '../../hsm/software-setup.ts';

export interface AuditFixture {
  readonly dir: string;
  readonly dbPath: string;
  readonly db: StoreDb;
  readonly hsm: SoftwareHsm;
  readonly sink: ChainAuditSink;
  readonly log: AuditLog;
  readonly keys: AuditKeys;
  readonly checkpoints: CheckpointDirectory;
  checkpoint(): Promise<WrittenCheckpoint>;
  /** Another HSM on the same LMK and key store (a second process), auditing to `sink`. */
  secondHsm(sink: AuditSink): SoftwareHsm;
  close(): Promise<void>;
}

/** A fresh fixture on a SQLite file in a temp directory (checkpoints in a sibling directory). */
export async function auditFixture(): Promise<AuditFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'opentsm-audit-'));
  const dbPath = join(dir, 'opentsm.db');
  const db = await openDatabase(dbPath);
  await migrateToLatest(db);
  const sink = new ChainAuditSink();
  const lmkKey = new Uint8Array(randomBytes(32));
  const { hsm } = await softwareHsm({ audit: sink, lmk: new Lmk(lmkKey) });
  const log = await openAuditLog(db, hsm);
  await sink.bind(log);
  const keys = await findAuditKeys(hsm);
  const checkpoints = new CheckpointDirectory(join(dir, 'checkpoints'));
  return {
    dir, dbPath, db, hsm, sink, log, keys, checkpoints,
    checkpoint: () => writeCheckpoint(log, hsm, keys.signingKey, checkpoints),
    secondHsm: (audit) => new SoftwareHsm({ lmk: new Lmk(lmkKey), store: hsm.store, audit, scrypt: TEST_SCRYPT }),
    close: async () => {
      hsm.close();
      await closeDatabase(db);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Appends `count` mixed records (every fifth one an HSM key operation through the sink). */
export async function writeMixed(f: AuditFixture, count: number): Promise<void> {
  const mac = await f.hsm.generateKey({ usage: 'M6', algorithm: 'A', modeOfUse: 'C', exportability: 'N', length: 16, owner: CTX.tenant, label: 'fixture CMAC' }, CTX);
  for (let i = 0; (await f.log.head()).seq < count; i++) {
    if (i % 5 === 4) {
      await f.hsm.generateMac(mac.id, fromHex('00112233445566778899AABBCCDDEEFF'), 'cmac', CTX);
      continue;
    }
    const kind = AUDIT_KINDS.filter((k) => k !== 'key-operation')[i % 4]!;
    await f.log.append({
      tenant: i % 3 === 0 ? 'bank-a' : 'mno-x', actor: i % 2 === 0 ? 'cl_0123456789abcdef01234567' : 'system', kind,
      action: ['deployServiceInstance', 'install', 'seStatusChanged', 'clientAdd'][i % 4]!, subjects: [`inst_${i}`, `se_${i % 7}`],
      result: i % 11 === 0 ? 'failed' : 'ok', requestId: `req-${i}`, detail: { step: i, attempt: 1 + (i % 3), note: `record ${i}` },
    });
  }
}

/** Raw SQL as an attacker with write access to the database runs it. */
export async function attacker(db: StoreDb, statement: ReturnType<typeof sql>): Promise<void> {
  await statement.execute(db);
}
