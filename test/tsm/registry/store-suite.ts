/**
 * The registry and catalog rows (src/store/registry.ts, services.ts) as a dialect-independent suite:
 * SQLite here (store-sqlite.test.ts); PostgreSQL by adding `registryStoreTests(open)` next to the
 * other suites in test/store/store-suite.ts. Guarded updates, one live subscription per MSISDN,
 * tenant scoping, optimistic service updates.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  getSecureElement, getService, getSubscription, insertSecureElement, insertService, insertSeNotification, insertSubscription, listServices, listSeNotifications,
  liveSubscriptionsOf, updateSecureElementStatus, updateServiceRecord, updateSubscription, type StoredSecureElement, type StoredSubscription,
} from '../../../src/store/index.ts';
import { withStore, type StoreFactory } from '../../store/suite/fixtures.ts';

const AT = '2026-11-27T13:00:00.000Z';
const se = (seId: string, mno = 'mno-a'): StoredSecureElement => ({
  se_id: seId, mno, platform: 'strict-ese', status: 'active', isd: '{}', ara_aid: null, ota: null, batch_id: null, request_hash: 'h', created_at: AT, updated_at: AT,
});
const sub = (id: string, hash: string, seId = 'se-1'): StoredSubscription => ({
  id, mno: 'mno-a', alias: `alias-${id}`, msisdn_hash: hash, live_msisdn_hash: hash, se_id: seId, status: 'active', created_at: AT, updated_at: AT, ended_at: null,
});

async function rejectsConflict(p: Promise<unknown>): Promise<void> {
  await assert.rejects(p, (e: { code?: string }) => e.code === 'ERR_STORE_CONFLICT');
}

export function registryStoreTests(open: StoreFactory): void {
  describe('registry rows', () => {
    it('secure elements: insert once (false the second time), scoped reads, status moves only from the expected status', () =>
      withStore(open, async (db) => {
        assert.equal(await insertSecureElement(db, se('se-1')), true);
        assert.equal(await insertSecureElement(db, se('se-1', 'mno-b')), false);
        assert.equal((await getSecureElement(db, 'se-1', 'mno-b')), undefined);
        assert.equal((await getSecureElement(db, 'se-1'))?.mno, 'mno-a');
        assert.equal(await updateSecureElementStatus(db, 'se-1', 'locked', 'lost', AT), false);
        assert.equal(await updateSecureElementStatus(db, 'se-1', 'active', 'lost', AT), true);
        assert.equal((await getSecureElement(db, 'se-1', 'mno-a'))?.status, 'lost');
        assert.equal(await getSecureElement(db, 'x'.repeat(300)), undefined);
      }));

    it('subscriptions: one live per MSISDN hash and MNO; ending frees it; moves between SEs; by id+MNO or alias', () =>
      withStore(open, async (db) => {
        await insertSubscription(db, sub('s1', 'H1'));
        await rejectsConflict(insertSubscription(db, sub('s2', 'H1')));
        await insertSubscription(db, { ...sub('s3', 'H1', 'se-9'), mno: 'mno-b' });
        assert.equal(await updateSubscription(db, 's1', { status: 'ended', ended: true, at: AT }), true);
        assert.equal(await updateSubscription(db, 's1', { status: 'active', at: AT }), false, 'an ended subscription stays ended');
        await insertSubscription(db, sub('s2', 'H1'));
        assert.equal(await updateSubscription(db, 's2', { status: 'active', seId: 'se-2', at: AT }), true);
        assert.deepEqual((await liveSubscriptionsOf(db, 'se-2')).map((s) => s.id), ['s2']);
        assert.deepEqual(await liveSubscriptionsOf(db, 'se-1'), []);
        assert.equal((await getSubscription(db, { id: 's2', mno: 'mno-b' })), undefined);
        assert.equal((await getSubscription(db, { alias: 'alias-s1' }))?.live_msisdn_hash, null);
      }));

    it('notifications: recorded and listed per SE in order', () =>
      withStore(open, async (db) => {
        for (const [id, reason] of [['n1', 22], ['n2', 121]] as const) {
          await insertSeNotification(db, { id, mno: 'mno-a', kind: 'HandleSEStatusChangeNotification', se_id: 'se-1', reason, from_status: 'active', to_status: 'lost', detail: '{}', received_at: AT });
        }
        assert.deepEqual((await listSeNotifications(db, 'se-1')).map((n) => [n.id, n.reason]), [['n1', 22], ['n2', 121]]);
      }));

    it('services: scoped by SP, listed by id with paging, updated only from the expected version', () =>
      withStore(open, async (db) => {
        for (const id of ['svc_b', 'svc_a', 'svc_c']) await insertService(db, { id, sp: 'bank-a', name: id, record: '{}', created_at: AT, updated_at: AT });
        await rejectsConflict(insertService(db, { id: 'svc_a', sp: 'bank-b', name: 'x', record: '{}', created_at: AT, updated_at: AT }));
        assert.deepEqual((await listServices(db, 'bank-a', 2)).map((s) => s.id), ['svc_a', 'svc_b']);
        assert.deepEqual((await listServices(db, 'bank-a', 2, 'svc_b')).map((s) => s.id), ['svc_c']);
        assert.equal(await getService(db, 'svc_a', 'bank-b'), undefined);
        assert.equal(await updateServiceRecord(db, 'svc_a', 'bank-a', '{"v":2}', AT, '2026-11-27T13:00:01.000Z'), true);
        assert.equal(await updateServiceRecord(db, 'svc_a', 'bank-a', '{"v":3}', AT, '2026-11-27T13:00:02.000Z'), false);
        assert.equal((await getService(db, 'svc_a'))?.record, '{"v":2}');
      }));
  });
}
