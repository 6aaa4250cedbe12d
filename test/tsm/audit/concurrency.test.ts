/**
 * Appends never fork the chain: parallel appends in one process (the queue), and two writers on
 * two connections to one SQLite file — two "processes" with their own queues and cached heads —
 * racing for the same seqs (the primary key makes the loser retry). Each ends in a gapless chain
 * that verifies.
 */
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeDatabase, openDatabase, readAuditChain, type StoreDb } from '../../../src/store/index.ts';
import { ChainAuditSink, openAuditLog, verifyAuditLog, type AuditEntry } from '../../../src/tsm/audit/index.ts';
import { CTX } from '../../hsm/software-setup.ts';
import { auditFixture, type AuditFixture } from './fixtures.ts';

let f: AuditFixture;
beforeEach(async () => {
  f = await auditFixture();
});
afterEach(() => f.close());

function entry(i: number, actor: string): AuditEntry {
  return { tenant: 'bank-a', actor, kind: 'job-step', action: 'install', subjects: [`job_${i}`], result: 'ok', detail: { i } };
}

async function seqs(db: StoreDb, logId: string): Promise<number[]> {
  return (await readAuditChain(db, logId, 0, 10_000)).map((r) => r.seq);
}

describe('audit chain: concurrent appends', () => {
  it('200 parallel appends and HSM operations in one process: a gapless chain that verifies', async () => {
    const start = (await f.log.head()).seq;
    const key = await f.hsm.generateKey({ usage: 'D0', algorithm: 'A', modeOfUse: 'B', exportability: 'N', length: 16, owner: CTX.tenant }, CTX);
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 200; i++) {
      work.push(i % 4 === 0 ? f.hsm.encryptData(key.id, new Uint8Array(16), { mode: 'ecb' }, CTX) : f.log.append(entry(i, 'system')));
    }
    await Promise.all(work);
    const all = await seqs(f.db, f.log.logId);
    assert.deepEqual(all, Array.from({ length: all.length }, (_, i) => i + 1));
    assert.equal(all.length, start + 201, 'every append and every HSM operation (and the key generation) is one record');
    assert.equal(f.log.conflicts, 0, 'one writer never races itself');
    assert.equal((await verifyAuditLog(f.db, f.hsm, [])).ok, true);
  });

  it('two writers on two connections to one database file race for seqs: the losers retry, the chain stays whole', async () => {
    const second = await openDatabase(f.dbPath);
    const sink = new ChainAuditSink();
    const other = f.secondHsm(sink); // the second process: its own HSM on the same keys
    try {
      const log2 = await openAuditLog(second, other, { setup: false });
      await sink.bind(log2);
      assert.equal(log2.logId, f.log.logId);
      const work: Promise<unknown>[] = [];
      for (let i = 0; i < 150; i++) work.push(f.log.append(entry(i, 'process-1')), log2.append(entry(i, 'process-2')));
      await Promise.all(work);
      const records = await readAuditChain(f.db, f.log.logId, 0, 10_000);
      assert.deepEqual(records.map((r) => r.seq), Array.from({ length: records.length }, (_, i) => i + 1));
      assert.equal(records.filter((r) => r.actor === 'process-1').length, 150);
      assert.equal(records.filter((r) => r.actor === 'process-2').length, 150);
      assert.ok(f.log.conflicts + log2.conflicts > 0, 'the writers did race');
      const result = await verifyAuditLog(f.db, f.hsm, []);
      assert.deepEqual(result.findings, []);
      assert.equal(result.verified, records.length);
    } finally {
      other.close();
      await closeDatabase(second);
    }
  });

  it('an append that cannot win a seq gives up with ERR_TSM_AUDIT after its attempts', async () => {
    const { AuditLog } = await import('../../../src/tsm/audit/index.ts');
    const stuck = new AuditLog({ db: f.db, hsm: f.hsm, logId: f.log.logId, macKey: f.keys.macKey, maxAttempts: 3 });
    // a writer whose idea of the head never moves: every insert hits a taken seq
    Object.defineProperty(stuck, 'head', { value: () => Promise.resolve({ seq: 0, mac: new Uint8Array(32) }) });
    await assert.rejects(stuck.append(entry(1, 'stuck')), (e: Error & { code?: string }) => e.code === 'ERR_TSM_AUDIT' && /3 times/.test(e.message));
  });
});
