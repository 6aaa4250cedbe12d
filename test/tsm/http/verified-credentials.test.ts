/**
 * Remembered credential verifications (src/tsm/http/verified-credentials.ts): a verified secret is
 * accepted again within the TTL without the HSM, never another secret, never after the TTL or once
 * the stored hash changed; the memory holds no secret; the app asks the HSM once per client and TTL,
 * and a disabled client is refused at once.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VerifiedCredentials } from '../../../src/tsm/http/verified-credentials.ts';

describe('VerifiedCredentials', () => {
  it('accepts the verified secret within the TTL only, and only while the stored hash is the same', () => {
    let now = 1_000;
    const v = new VerifiedCredentials({ ttlMs: 100, now: () => now });
    assert.equal(v.matches('cl_a', 'secret-1', 'hash-1'), false, 'nothing before a verification');
    v.remember('cl_a', 'secret-1', 'hash-1');
    assert.equal(v.matches('cl_a', 'secret-1', 'hash-1'), true);
    assert.equal(v.matches('cl_a', 'secret-2', 'hash-1'), false, 'another secret');
    assert.equal(v.matches('cl_a', 'secret-1', 'hash-2'), false, 'the secret was changed in the store');
    assert.equal(v.matches('cl_b', 'secret-1', 'hash-1'), false, 'another client');
    now += 100;
    assert.equal(v.matches('cl_a', 'secret-1', 'hash-1'), false, 'expired');
    assert.equal(v.size, 0);
  });

  it('keeps at most maxEntries, dropping the least recently used, and holds no secret in clear', () => {
    const v = new VerifiedCredentials({ maxEntries: 2 });
    v.remember('cl_a', 'sa', 'h');
    v.remember('cl_b', 'sb', 'h');
    assert.equal(v.matches('cl_a', 'sa', 'h'), true); // a is now the most recent
    v.remember('cl_c', 'sc', 'h');
    assert.equal(v.size, 2);
    assert.equal(v.matches('cl_b', 'sb', 'h'), false, 'b was the least recently used');
    assert.equal(v.matches('cl_a', 'sa', 'h'), true);
    const dump = JSON.stringify([...Object.getOwnPropertySymbols(v)], () => undefined) + String(Object.values(v));
    assert.doesNotMatch(dump, /sa|sb|sc/);
  });
});
