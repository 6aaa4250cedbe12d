/** Conformance: custodians and the audit log. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  appendAuditEvent,
  getCustodian,
  listCustodians,
  MAX_AUDIT_KEYS,
  MAX_AUDIT_PAGE,
  putCustodian,
  queryAuditEvents,
  type AuditEventRecord,
} from '../../../src/store/index.ts';
import { auditEvent, failsWithCode, withStore, type StoreFactory } from './fixtures.ts';

export function custodianTests(open: StoreFactory): void {
  describe('custodians', () => {
    it('put, get and list in name order; a put with the same name replaces the hash', () =>
      withStore(open, async (db) => {
        const bob = { name: 'bob', passphraseHash: 'scrypt$16384$8$1$00aa$11bb', createdAt: '2026-11-27T05:00:00.000Z' };
        const alice = { name: 'alice', passphraseHash: 'scrypt$16384$8$1$22cc$33dd', createdAt: '2026-11-27T05:01:00.000Z' };
        await putCustodian(db, bob);
        await putCustodian(db, alice);
        assert.deepEqual(await getCustodian(db, 'bob'), bob);
        assert.equal(await getCustodian(db, 'carol'), undefined);
        assert.equal(await getCustodian(db, 'Bob'), undefined);
        assert.deepEqual(await listCustodians(db), [alice, bob]);
        const rotated = { ...bob, passphraseHash: 'scrypt$16384$8$1$44ee$55ff', createdAt: '2026-11-28T00:00:00.000Z' };
        await putCustodian(db, rotated);
        assert.deepEqual(await listCustodians(db), [alice, rotated]);
        for (const bad of [{ ...bob, name: '' }, { ...bob, passphraseHash: undefined }, { ...bob, name: 'a\u0000' }, null]) {
          await failsWithCode(() => putCustodian(db, bad as typeof bob), 'ERR_STORE_RECORD');
        }
        assert.equal((await listCustodians(db)).length, 2);
      }));
  });
}

export function auditTests(open: StoreFactory): void {
  describe('audit events', () => {
    it('append assigns increasing sequence numbers; queries return events in append order, or reversed', () =>
      withStore(open, async (db) => {
        const events = Array.from({ length: 12 }, (_, i) =>
          auditEvent({ operation: `op${i}`, at: `2026-11-27T05:00:${String(59 - i).padStart(2, '0')}.000Z`, keys: [{ id: `k${i}`, kcv: `KCV${i}` }] }),
        );
        const seqs: number[] = [];
        for (const e of events) seqs.push(await appendAuditEvent(db, e));
        assert.ok(seqs.every((s, i) => Number.isSafeInteger(s) && (i === 0 || s > seqs[i - 1]!)), `increasing: ${seqs.join()}`);
        const all = await queryAuditEvents(db);
        assert.deepEqual(all.map((e) => e.seq), seqs);
        assert.deepEqual(all.map((e) => e.event), events, 'order is the append order, not the `at` text');
        const desc = await queryAuditEvents(db, { order: 'desc' });
        assert.deepEqual(desc.map((e) => e.event), [...events].reverse());
        const page1 = await queryAuditEvents(db, { limit: 5 });
        const page2 = await queryAuditEvents(db, { limit: 5, afterSeq: page1.at(-1)!.seq });
        const page3 = await queryAuditEvents(db, { limit: 5, afterSeq: page2.at(-1)!.seq });
        assert.deepEqual([...page1, ...page2, ...page3].map((e) => e.seq), seqs);
        assert.equal(page3.length, 2);
        const back = await queryAuditEvents(db, { order: 'desc', beforeSeq: seqs[5], limit: 3 });
        assert.deepEqual(back.map((e) => e.seq), [seqs[4], seqs[3], seqs[2]]);
      }));

    it('filters by tenant, actor, operation, result and key id; keys keep their order; absent fields stay absent', () =>
      withStore(open, async (db) => {
        const a = auditEvent({ keys: [{ id: 'k2', kcv: 'B' }, { id: 'k1', kcv: 'A' }, { id: 'k3', kcv: 'C' }] });
        const b = auditEvent({ tenant: 'tenant-b', actor: 'bob', operation: 'verifyArqc', result: 'refused', code: 'ERR_HSM_USAGE', detail: 'ARQC did not verify', keys: [{ id: 'k1', kcv: 'A' }] });
        const { requestId: _r, ...c } = auditEvent({ operation: 'listKeys', keys: [] });
        for (const e of [a, b, c]) await appendAuditEvent(db, e);
        const ops = async (query: Parameters<typeof queryAuditEvents>[1]): Promise<string[]> => (await queryAuditEvents(db, query)).map((e) => e.event.operation);
        assert.deepEqual(await ops({ tenant: 'tenant-a' }), ['generateKey', 'listKeys']);
        assert.deepEqual(await ops({ actor: 'bob' }), ['verifyArqc']);
        assert.deepEqual(await ops({ operation: 'listKeys' }), ['listKeys']);
        assert.deepEqual(await ops({ result: 'refused' }), ['verifyArqc']);
        assert.deepEqual(await ops({ keyId: 'k1' }), ['generateKey', 'verifyArqc']);
        assert.deepEqual(await ops({ keyId: 'k3' }), ['generateKey']);
        assert.deepEqual(await ops({ keyId: 'k9' }), []);
        assert.deepEqual(await ops({ keyId: 'k1', tenant: 'tenant-b' }), ['verifyArqc']);
        assert.deepEqual(await ops({ tenant: 'tenant-%' }), []);
        const [ea, eb, ec] = (await queryAuditEvents(db)).map((e) => e.event);
        assert.deepEqual(ea, a);
        assert.deepEqual(eb, b);
        assert.deepEqual(ec, c);
        assert.ok(ec !== undefined && !('requestId' in ec) && !('code' in ec) && !('detail' in ec));
      }));

    it('refuses malformed events and query parameters, writing nothing', () =>
      withStore(open, async (db) => {
        const tooManyKeys = Array.from({ length: MAX_AUDIT_KEYS + 1 }, (_, i) => ({ id: `k${i}`, kcv: 'A' }));
        const bad: unknown[] = [
          null,
          { ...auditEvent(), keys: tooManyKeys },
          { ...auditEvent(), keys: [{ id: 'k1' }] },
          { ...auditEvent(), keys: 'k1' },
          { ...auditEvent(), tenant: '' },
          { ...auditEvent(), detail: 'x\u0000' },
          { ...auditEvent(), result: undefined },
        ];
        for (const event of bad) await failsWithCode(() => appendAuditEvent(db, event as AuditEventRecord), 'ERR_STORE_RECORD');
        assert.deepEqual(await queryAuditEvents(db), []);
        for (const query of [{ limit: 0 }, { limit: MAX_AUDIT_PAGE + 1 }, { afterSeq: -1 }, { beforeSeq: 1.5 }, { order: 'up' }, { tenant: 3 }]) {
          await failsWithCode(() => queryAuditEvents(db, query as Parameters<typeof queryAuditEvents>[1]), 'ERR_STORE_PARAM');
        }
      }));
  });
}
