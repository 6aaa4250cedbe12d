/** Conformance: the issuer's card records (PAN index lookup, ATC only forward, conflicts). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { advanceIssuerCardAtc, findIssuerCard, getIssuerCard, insertIssuerCard, updateIssuerCard, type StoredIssuerCard } from '../../../src/store/index.ts';
import { failsWithCode, withStore, type StoreFactory } from './fixtures.ts';

function card(id: string, overrides: Partial<StoredIssuerCard> = {}): StoredIssuerCard {
  return {
    id, owner: 'bank-a', panIndex: `idx-${id}`, profile: 'visa-18', imkAc: 'k-ac', imkSmi: 'k-smi', imkSmc: 'k-smc',
    status: 'active', lastAtc: -1, pendingScripts: '[]', createdAt: '2026-11-27T05:00:00.000Z', updatedAt: '2026-11-27T05:00:00.000Z',
    ...overrides,
  };
}

export function issuerCardTests(open: StoreFactory): void {
  describe('issuer cards', () => {
    it('insert, then get by id and find by PAN index, per owner only', () =>
      withStore(open, async (db) => {
        const a = card('c1');
        await insertIssuerCard(db, a);
        assert.deepEqual(await getIssuerCard(db, 'bank-a', 'c1'), a);
        assert.deepEqual(await findIssuerCard(db, 'bank-a', 'idx-c1'), a);
        assert.equal(await getIssuerCard(db, 'bank-b', 'c1'), undefined);
        assert.equal(await findIssuerCard(db, 'bank-b', 'idx-c1'), undefined);
        assert.equal(await findIssuerCard(db, 'bank-a', 'idx-\u0000'), undefined);
      }));

    it('a second card with the same owner and PAN index, or the same id, is a conflict; another owner may hold the index', () =>
      withStore(open, async (db) => {
        await insertIssuerCard(db, card('c1'));
        await failsWithCode(() => insertIssuerCard(db, card('c2', { panIndex: 'idx-c1' })), 'ERR_STORE_CONFLICT');
        await failsWithCode(() => insertIssuerCard(db, card('c1', { panIndex: 'other' })), 'ERR_STORE_CONFLICT');
        await insertIssuerCard(db, card('c3', { owner: 'bank-b', panIndex: 'idx-c1' }));
        for (const bad of [card('x', { lastAtc: 0x10000 }), card('x', { lastAtc: -2 }), card('x', { profile: '' }), { ...card('x'), pendingScripts: undefined }]) {
          await failsWithCode(() => insertIssuerCard(db, bad as StoredIssuerCard), 'ERR_STORE_RECORD');
        }
      }));

    it('the last ATC only moves forward, and only once for one ATC under concurrency', () =>
      withStore(open, async (db) => {
        await insertIssuerCard(db, card('c1'));
        assert.equal(await advanceIssuerCardAtc(db, 'c1', 0, '2026-11-27T05:01:00.000Z'), true);
        assert.equal(await advanceIssuerCardAtc(db, 'c1', 0, '2026-11-27T05:01:00.000Z'), false);
        const racers = await Promise.all(Array.from({ length: 8 }, () => advanceIssuerCardAtc(db, 'c1', 7, '2026-11-27T05:02:00.000Z')));
        assert.equal(racers.filter(Boolean).length, 1);
        assert.equal(await advanceIssuerCardAtc(db, 'c1', 5, '2026-11-27T05:03:00.000Z'), false);
        assert.equal(await advanceIssuerCardAtc(db, 'nope', 9, '2026-11-27T05:03:00.000Z'), false);
        assert.equal((await getIssuerCard(db, 'bank-a', 'c1'))?.lastAtc, 7);
        await failsWithCode(() => advanceIssuerCardAtc(db, 'c1', 0x10000, '2026-11-27T05:03:00.000Z'), 'ERR_STORE_RECORD');
      }));

    it('status and pending scripts update', () =>
      withStore(open, async (db) => {
        await insertIssuerCard(db, card('c1'));
        assert.equal(await updateIssuerCard(db, 'c1', { status: 'blocked', pendingScripts: '[{"kind":"application-unblock"}]', updatedAt: '2026-11-27T06:00:00.000Z' }), true);
        const after = await getIssuerCard(db, 'bank-a', 'c1');
        assert.equal(after?.status, 'blocked');
        assert.equal(after?.pendingScripts, '[{"kind":"application-unblock"}]');
        assert.equal(await updateIssuerCard(db, 'zz', { status: 'active', updatedAt: '2026-11-27T06:00:00.000Z' }), false);
      }));
  });
}
