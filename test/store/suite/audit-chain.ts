/** Conformance: the chained audit log's tables (logs, records, the seq race, paging, rows as stored). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import {
  createAuditLog, getAuditChainHead, insertAuditChainRecord, listAuditLogs, readAuditChain, type StoredAuditChainRecord,
} from '../../../src/store/index.ts';
import { failsWithCode, withStore, type StoreFactory } from './fixtures.ts';

function record(seq: number, overrides: Partial<StoredAuditChainRecord> = {}): StoredAuditChainRecord {
  return {
    logId: 'log-1', seq, at: `2026-11-27T12:00:${String(seq % 60).padStart(2, '0')}.000Z`, tenant: 'bank-a', actor: 'cl_1', kind: 'api-call',
    action: 'deployServiceInstance', requestId: `req-${seq}`, subjects: '["inst-1"]', result: '202', detail: '{"n":1}', macKey: 'key-1',
    prevMac: new Uint8Array(32).fill(seq - 1), mac: new Uint8Array(32).fill(seq), ...overrides,
  };
}

export function auditChainTests(open: StoreFactory): void {
  describe('audit chain', () => {
    it('a log is created once; the first writer\'s row stays', () =>
      withStore(open, async (db) => {
        assert.deepEqual(await listAuditLogs(db), []);
        assert.equal(await createAuditLog(db, { logId: 'log-1', createdAt: '2026-11-27T12:00:00.000Z' }), true);
        assert.equal(await createAuditLog(db, { logId: 'log-1', createdAt: '2026-11-28T00:00:00.000Z' }), false);
        assert.deepEqual(await listAuditLogs(db), [{ logId: 'log-1', createdAt: '2026-11-27T12:00:00.000Z' }]);
      }));

    it('records round-trip exactly (bytes as Uint8Array, an absent request id stays absent)', () =>
      withStore(open, async (db) => {
        const { requestId: _omit, ...noRequest } = record(2);
        assert.equal(await insertAuditChainRecord(db, record(1)), true);
        assert.equal(await insertAuditChainRecord(db, noRequest), true);
        const rows = await readAuditChain(db, 'log-1', 0, 10);
        assert.deepEqual(rows, [record(1), noRequest]);
        assert.ok(rows[0]!.mac instanceof Uint8Array && !Buffer.isBuffer(rows[0]!.mac));
        assert.deepEqual(await getAuditChainHead(db, 'log-1'), noRequest);
        assert.equal(await getAuditChainHead(db, 'log-2'), undefined);
      }));

    it('a second record with a taken seq writes nothing and answers false (the append race)', () =>
      withStore(open, async (db) => {
        assert.equal(await insertAuditChainRecord(db, record(1)), true);
        assert.equal(await insertAuditChainRecord(db, record(1, { actor: 'intruder', mac: new Uint8Array(32) })), false);
        assert.deepEqual(await readAuditChain(db, 'log-1', 0, 10), [record(1)]);
        assert.equal(await insertAuditChainRecord(db, record(1, { logId: 'log-2' })), true, 'seqs are per log');
        const racers = await Promise.all(Array.from({ length: 8 }, (_, i) => insertAuditChainRecord(db, record(2, { actor: `w${i}` }))));
        assert.equal(racers.filter(Boolean).length, 1);
      }));

    it('pages by seq with a bounded limit', () =>
      withStore(open, async (db) => {
        for (let seq = 1; seq <= 25; seq++) await insertAuditChainRecord(db, record(seq));
        const first = await readAuditChain(db, 'log-1', 0, 10);
        const next = await readAuditChain(db, 'log-1', 10, 10);
        const last = await readAuditChain(db, 'log-1', 20, 10);
        assert.deepEqual([...first, ...next, ...last].map((r) => r.seq), Array.from({ length: 25 }, (_, i) => i + 1));
        await failsWithCode(() => readAuditChain(db, 'log-1', 0, 0), 'ERR_STORE_PARAM');
        await failsWithCode(() => readAuditChain(db, 'log-1', -1, 10), 'ERR_STORE_PARAM');
      }));

    it('reads a row an editor damaged as stored, without refusing it (the verifier judges)', () =>
      withStore(open, async (db) => {
        await insertAuditChainRecord(db, record(1));
        await sql`update audit_chain set detail = ${'{"n":2}'}, actor = ${''} where seq = 1`.execute(db);
        const [row] = await readAuditChain(db, 'log-1', 0, 1);
        assert.equal(row?.detail, '{"n":2}');
        assert.equal(row?.actor, '');
      }));

    it('refuses records of the wrong shape, quoting no value', () =>
      withStore(open, async (db) => {
        const bad = [
          record(0), record(1.5), record(1, { logId: '' }), record(1, { prevMac: new Uint8Array(0) }), record(1, { mac: new Uint8Array(65) }),
          record(1, { detail: 'secret\u0000' }), { ...record(1), mac: 'ab' }, null,
        ];
        for (const r of bad) {
          const error = await failsWithCode(() => insertAuditChainRecord(db, r as StoredAuditChainRecord), 'ERR_STORE_RECORD');
          assert.ok(!error.message.includes('secret'), error.message);
        }
        assert.deepEqual(await readAuditChain(db, 'log-1', 0, 10), []);
      }));
  });
}
