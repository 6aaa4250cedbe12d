/**
 * checkEligibility as the deploy job calls it (records in, reasons out): every status of the SE,
 * the platform match, the subscription given or looked up; and checkFlavour's normalisation.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeDatabase, insertSubscription, migrateToLatest, openDatabase } from '../../../src/store/index.ts';
import { checkEligibility, checkFlavour } from '../../../src/tsm/index.ts';
import type { SecureElementRecord, ServiceFlavour, ServiceRecord } from '../../../src/tsm/model.ts';

const AT = '2026-11-27T13:00:00.000Z';
const flavour: ServiceFlavour = {
  platform: 'strict-ese', package: { loadFileAid: 'a0000000620101', moduleAid: 'a000000062010101' }, instanceAid: 'a0000000041010',
  privileges: '00', ssd: { aid: 'a000000151535041', kvn: 48 }, personalization: 'payment',
};
const service = { serviceId: 'svc_1', sp: 'bank-a', name: 'x', flavours: [flavour] } as unknown as ServiceRecord;
const se = (status: SecureElementRecord['status'], platform = 'strict-ese'): SecureElementRecord => ({
  seId: 'se-1', mno: 'mno-a', platform, status, isd: { aid: 'A000000151000000', scp: 3, kvn: 48, keys: { enc: 'e', mac: 'm', dek: 'd' } }, createdAt: AT,
});

describe('checkEligibility', () => {
  it('names every reason: SE status, platform, subscription (given or looked up)', async () => {
    const db = await openDatabase(':memory:');
    try {
      await migrateToLatest(db);
      assert.deepEqual(await checkEligibility(db, service, se('active')), { eligible: false, reasons: ['no-subscription'], flavour });
      await insertSubscription(db, { id: 's1', mno: 'mno-a', alias: 'a1', msisdn_hash: 'H', live_msisdn_hash: 'H', se_id: 'se-1', status: 'suspended', created_at: AT, updated_at: AT, ended_at: null });
      assert.deepEqual((await checkEligibility(db, service, se('active'))).reasons, ['subscription-not-active']);
      for (const status of ['locked', 'lost', 'stolen', 'terminated'] as const) {
        assert.deepEqual((await checkEligibility(db, service, se(status), { seId: 'se-1', status: 'active', mno: 'mno-a' })).reasons, [`se-${status}`]);
      }
      const ok = await checkEligibility(db, service, se('active'), { seId: 'se-1', status: 'active', mno: 'mno-a' });
      assert.deepEqual([ok.eligible, ok.reasons, ok.flavour], [true, [], flavour]);
      const none = await checkEligibility(db, service, se('lost', 'legacy-uicc'), { seId: 'se-1', status: 'ended', mno: 'mno-a' });
      assert.deepEqual([none.eligible, none.reasons, none.flavour], [false, ['se-lost', 'no-flavour-for-platform', 'subscription-not-active'], undefined]);
    } finally {
      await closeDatabase(db);
    }
  });

  it('checkFlavour upper-cases the hex of a preloaded-package flavour and keeps the rest', () => {
    const f = checkFlavour(flavour, 'flavours[0]');
    assert.deepEqual(f, { ...flavour, package: { loadFileAid: 'A0000000620101', moduleAid: 'A000000062010101' }, instanceAid: 'A0000000041010', ssd: { aid: 'A000000151535041', kvn: 48 } });
  });
});
