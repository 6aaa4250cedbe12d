/** Conformance: the TSM service's API clients (insert, conflicts, lookups, disable, hostile shapes). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getApiClient, insertApiClient, listApiClients, setApiClientDisabled, type StoredApiClient } from '../../../src/store/index.ts';
import { failsWithCode, withStore, type StoreFactory } from './fixtures.ts';

function client(id: string, overrides: Partial<StoredApiClient> = {}): StoredApiClient {
  return {
    id, tenant: 'bank-a', role: 'issuer', secretHash: `hmac-sha256$k1$00112233$${id}`, createdAt: '2026-11-27T11:00:00.000Z', disabled: false,
    ...overrides,
  };
}

export function apiClientTests(open: StoreFactory): void {
  describe('api clients', () => {
    it('insert, get by id, list all or per tenant in id order', () =>
      withStore(open, async (db) => {
        await insertApiClient(db, client('c2'));
        await insertApiClient(db, client('c1', { tenant: 'mno-x', role: 'mno' }));
        await insertApiClient(db, client('c3', { disabled: true }));
        assert.deepEqual(await getApiClient(db, 'c1'), client('c1', { tenant: 'mno-x', role: 'mno' }));
        assert.deepEqual(await getApiClient(db, 'c3'), client('c3', { disabled: true }));
        assert.equal(await getApiClient(db, 'nope'), undefined);
        assert.equal(await getApiClient(db, 'x\u0000'), undefined);
        assert.deepEqual((await listApiClients(db)).map((c) => c.id), ['c1', 'c2', 'c3']);
        assert.deepEqual((await listApiClients(db, { tenant: 'bank-a' })).map((c) => c.id), ['c2', 'c3']);
        assert.deepEqual(await listApiClients(db, { tenant: 'nobody' }), []);
      }));

    it('a second client with the same id is a conflict, and nothing changes', () =>
      withStore(open, async (db) => {
        await insertApiClient(db, client('c1'));
        await failsWithCode(() => insertApiClient(db, client('c1', { tenant: 'bank-b', secretHash: 'other' })), 'ERR_STORE_CONFLICT');
        assert.deepEqual(await getApiClient(db, 'c1'), client('c1'));
      }));

    it('disable and enable again; an unknown id answers false', () =>
      withStore(open, async (db) => {
        await insertApiClient(db, client('c1'));
        assert.equal(await setApiClientDisabled(db, 'c1', true), true);
        assert.equal((await getApiClient(db, 'c1'))?.disabled, true);
        assert.equal(await setApiClientDisabled(db, 'c1', false), true);
        assert.equal((await getApiClient(db, 'c1'))?.disabled, false);
        assert.equal(await setApiClientDisabled(db, 'zz', true), false);
      }));

    it('refuses records of the wrong shape and bad lookups, quoting no value', () =>
      withStore(open, async (db) => {
        const bad = [
          client(''), client('x', { tenant: '' }), client('x', { secretHash: 'h'.repeat(300) }), client('x', { role: 'a\u0000' }),
          { ...client('x'), disabled: 1 }, { ...client('x'), createdAt: undefined }, null,
        ];
        for (const record of bad) {
          const error = await failsWithCode(() => insertApiClient(db, record as StoredApiClient), 'ERR_STORE_RECORD');
          assert.ok(!error.message.includes('hhhh'), error.message);
        }
        await failsWithCode(() => getApiClient(db, 42 as unknown as string), 'ERR_STORE_PARAM');
        await failsWithCode(() => setApiClientDisabled(db, 'c1', 'yes' as unknown as boolean), 'ERR_STORE_PARAM');
        assert.deepEqual(await listApiClients(db), []);
      }));
  });
}
