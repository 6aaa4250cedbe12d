/**
 * Checkpoints: files created exclusively with mode 0600 in a private directory, on demand and on a
 * schedule; a tampered checkpoint (an edited seq, a flipped signature byte, a key that is not the
 * audit signing key, another log's checkpoint, a file that is not one) is found and named.
 */
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toHex } from '../../../src/bytes/index.ts';
import {
  checkpointJson, checkpointPayload, CheckpointDirectory, startCheckpoints, verifyAuditLog, type AuditVerification, type SignedCheckpoint,
} from '../../../src/tsm/audit/index.ts';
import { auditFixture, writeMixed, type AuditFixture } from './fixtures.ts';

let f: AuditFixture;
beforeEach(async () => {
  f = await auditFixture();
  await writeMixed(f, 40);
});
afterEach(() => f.close());

function files(): string[] {
  return readdirSync(f.checkpoints.path).sort();
}

function rewrite(name: string, change: (json: Record<string, unknown>) => void): void {
  const path = join(f.checkpoints.path, name);
  const json = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  change(json);
  chmodSync(path, 0o600);
  writeFileSync(path, JSON.stringify(json));
}

function only(result: AuditVerification, reason: string, file: string): void {
  assert.equal(result.ok, false);
  assert.deepEqual(result.findings.map((x) => [x.reason, x.file]), [[reason, file]]);
  assert.match(result.findings[0]!.message, new RegExp(`checkpoint ${file.replace(/\./g, '\\.')}`));
}

describe('audit checkpoints', () => {
  it('writes a signed head as a new 0600 file in a 0700 directory, never overwriting one', async () => {
    const { file, checkpoint } = await f.checkpoint();
    assert.equal(checkpoint.seq, 40);
    assert.equal(checkpoint.logId, f.log.logId);
    assert.equal(statSync(join(f.checkpoints.path, file)).mode & 0o777, 0o600);
    assert.equal(statSync(f.checkpoints.path).mode & 0o777, 0o700);
    const json = JSON.parse(readFileSync(join(f.checkpoints.path, file), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(json).sort(), ['at', 'keyId', 'logId', 'mac', 'scheme', 'seq', 'signature', 'version']);
    assert.equal(json.scheme, 'ecdsa-sha256');
    assert.equal(json.keyId, f.keys.signingKey);
    assert.throws(() => f.checkpoints.write(checkpoint), (e: Error & { code?: string }) => e.code === 'ERR_TSM_AUDIT_CHECKPOINT' && /EEXIST/.test(e.message));
    assert.equal((await verifyAuditLog(f.db, f.hsm, f.checkpoints)).ok, true);
  });

  it('an edited seq in a checkpoint: its signature does not verify', async () => {
    const { file } = await f.checkpoint();
    rewrite(file, (j) => (j.seq = 1000));
    only(await verifyAuditLog(f.db, f.hsm, f.checkpoints), 'checkpoint-signature', file);
  });

  it('a flipped signature byte, or an edited MAC: its signature does not verify', async () => {
    const { file } = await f.checkpoint();
    rewrite(file, (j) => (j.signature = `${String(j.signature).slice(0, 20)}${String(j.signature)[20] === '0' ? '1' : '0'}${String(j.signature).slice(21)}`));
    only(await verifyAuditLog(f.db, f.hsm, f.checkpoints), 'checkpoint-signature', file);
    rewrite(file, (j) => (j.mac = '00'.repeat(32)));
    only(await verifyAuditLog(f.db, f.hsm, f.checkpoints), 'checkpoint-signature', file);
  });

  it('a checkpoint signed by another S0 key than the audit signing key does not count', async () => {
    const ctx = { tenant: 'operator', actor: 'mallory' };
    const other = await f.hsm.generateKeyPair({ algorithm: 'E', size: 256, usage: 'S0', owner: 'operator', label: 'not the audit key' }, ctx);
    const head = await f.log.head();
    const unsigned = { logId: f.log.logId, seq: head.seq + 100, mac: head.mac, at: new Date().toISOString() };
    const forged: SignedCheckpoint = { ...unsigned, keyId: other.id, scheme: 'ecdsa-sha256', signature: await f.hsm.sign(other.id, checkpointPayload(unsigned), 'ecdsa-sha256', ctx) };
    const file = f.checkpoints.write(forged);
    only(await verifyAuditLog(f.db, f.hsm, f.checkpoints), 'checkpoint-signature', file);
  });

  it('another log\'s checkpoint, and a file that is not a checkpoint, are named as invalid', async () => {
    const { checkpoint } = await f.checkpoint();
    const elsewhere = new CheckpointDirectory(join(f.dir, 'elsewhere'));
    const unsigned = { logId: 'log_other', seq: 3, mac: checkpoint.mac, at: checkpoint.at };
    const signature = await f.hsm.sign(f.keys.signingKey, checkpointPayload(unsigned), 'ecdsa-sha256', { tenant: 'operator', actor: 'test' });
    const file = elsewhere.write({ ...unsigned, keyId: f.keys.signingKey, scheme: 'ecdsa-sha256', signature });
    only(await verifyAuditLog(f.db, f.hsm, [...f.checkpoints.read(), ...elsewhere.read()]), 'checkpoint-invalid', file);
    writeFileSync(join(f.checkpoints.path, 'checkpoint-0000000000000001-1Z.json'), '{"version":1}');
    const result = await verifyAuditLog(f.db, f.hsm, f.checkpoints);
    assert.deepEqual(result.findings.map((x) => x.reason), ['checkpoint-invalid']);
    assert.equal(checkpointJson({ ...checkpoint }).includes(toHex(checkpoint.mac)), true);
  });

  it('refuses a directory group or others may write to', async () => {
    mkdirSync(f.checkpoints.path, { recursive: true });
    chmodSync(f.checkpoints.path, 0o777);
    await assert.rejects(f.checkpoint(), (e: Error & { code?: string }) => e.code === 'ERR_TSM_AUDIT_CHECKPOINT' && /chmod 700/.test(e.message));
  });

  it('on a schedule: one checkpoint per interval while the log grows, none for an unchanged head, none after stop', async () => {
    const errors: unknown[] = [];
    const schedule = startCheckpoints(f.log, f.hsm, f.keys.signingKey, f.checkpoints, { intervalMs: 25, onError: (e) => errors.push(e) });
    await new Promise((r) => setTimeout(r, 120));
    const afterFirst = files().length;
    assert.ok(afterFirst >= 1, 'a checkpoint was written');
    // each checkpoint's own signing is a record, so the head moves once more after it, then rests
    await new Promise((r) => setTimeout(r, 150));
    const rested = files().length;
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(files().length, rested, 'an unchanged head is not signed again');
    await f.log.append({ tenant: 'bank-a', actor: 'system', kind: 'admin', action: 'noop', result: 'ok' });
    const now = await schedule.now();
    assert.ok(now.checkpoint.seq > 40);
    await schedule.stop();
    const stopped = files().length;
    await f.log.append({ tenant: 'bank-a', actor: 'system', kind: 'admin', action: 'noop', result: 'ok' });
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(files().length, stopped);
    assert.deepEqual(errors, []);
    const result = await verifyAuditLog(f.db, f.hsm, f.checkpoints);
    assert.deepEqual(result.findings, []);
    assert.equal(result.checkpoints.valid, stopped);
  });
});
