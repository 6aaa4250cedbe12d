/**
 * Rate limiting of failed authentications (docs/service.md §3): 10 failures of a client id within
 * 60 s lock it out for a backoff (429 with Retry-After, even with the right secret, and without a
 * call to the HSM); the lockout ends with the backoff, doubles when failures go on, and a success
 * resets the count. Malformed, unknown or disabled credentials count against the source address,
 * which never locks out a known client's good credentials. Clients and addresses are independent.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Hsm } from '../../../src/hsm/index.ts';
import { closeDatabase, migrateToLatest, openDatabase, setApiClientDisabled, type StoreDb } from '../../../src/store/index.ts';
import { addApiClient, buildApp, createLogger, type TsmApp } from '../../../src/tsm/index.ts';
import { AuthLimiter } from '../../../src/tsm/http/auth-limiter.ts';
import { softwareHsm } from '../../hsm/software-setup.ts';
import { errorOf, withApp } from './fixture.ts';

const URL_ = '/v1/issuer/cards/card_none';

interface World {
  readonly app: TsmApp;
  readonly db: StoreDb;
  readonly logs: string[];
  /** HSM calls made so far. */
  hsmCalls(): number;
  /** Advances the fake clock by `ms`. */
  advance(ms: number): void;
  readonly a: { readonly id: string; readonly token: string; readonly wrong: string };
  readonly b: { readonly id: string; readonly token: string; readonly wrong: string };
}

async function withWorld(body: (w: World) => Promise<void>): Promise<void> {
  const t = await softwareHsm();
  const db = await openDatabase(':memory:');
  await migrateToLatest(db);
  let calls = 0;
  const counting = new Proxy(t.hsm, {
    get(target, name) {
      const value = Reflect.get(target, name) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls += 1;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  }) as unknown as Hsm;
  let now = Date.parse('2026-11-27T12:00:00Z');
  const logs: string[] = [];
  const app = buildApp({
    db, hsm: counting, config: { bodyLimit: 16 * 1024, logLevel: 'info' }, logger: createLogger('info', { write: (l: string) => void logs.push(l) }),
    authLimiter: { now: () => now },
  });
  await app.ready();
  const client = async (tenant: string): Promise<World['a']> => {
    const added = await addApiClient(db, t.hsm, { tenant, role: 'issuer' });
    return { id: added.clientId, token: added.token, wrong: `${added.clientId}.${'x'.repeat(43)}` };
  };
  const a = await client('bank-a');
  const b = await client('bank-b');
  try {
    await body({ app, db, logs, hsmCalls: () => calls, advance: (ms) => void (now += ms), a, b });
  } finally {
    await app.close();
    await closeDatabase(db);
    t.hsm.close();
  }
}

function get(w: World, authorization?: string, remoteAddress = '127.0.0.1') {
  return w.app.inject({ method: 'GET', url: URL_, remoteAddress, ...(authorization === undefined ? {} : { headers: { authorization } }) });
}
const bearer = (token: string): string => `Bearer ${token}`;

async function failTimes(w: World, n: number, authorization: string, remoteAddress?: string): Promise<void> {
  for (let i = 0; i < n; i++) assert.equal((await get(w, authorization, remoteAddress)).statusCode, 401, `failure ${i + 1}`);
}

describe('failed authentications are rate limited', () => {
  it('10 wrong secrets → 429 with Retry-After even with the right secret, no HSM call, until the backoff has passed; then success resets the count', () =>
    withWorld(async (w) => {
      assert.equal((await get(w, bearer(w.a.token))).statusCode, 404, 'authenticated; the card does not exist');
      const before = w.hsmCalls();
      await failTimes(w, 10, bearer(w.a.wrong));
      assert.equal(w.hsmCalls() - before, 10, 'each wrong secret was checked in the HSM');
      assert.ok(w.logs.some((l) => l.includes('too many failed authentications') && l.includes(`client:${w.a.id}`)), 'the lockout is logged with the client id');
      assert.ok(!w.logs.some((l) => l.includes('x'.repeat(43))), 'never the presented secret');

      const limited = await get(w, bearer(w.a.token));
      assert.equal(limited.statusCode, 429);
      assert.equal(limited.headers['retry-after'], '60');
      assert.equal(limited.headers['www-authenticate'], undefined);
      const error = errorOf(limited.body);
      assert.equal(error.code, 'RESOURCE_EXHAUSTED');
      assert.equal(error.requestId, limited.headers['x-request-id']);
      assert.equal((await get(w, bearer(w.a.wrong))).statusCode, 429, 'a wrong secret too: refused, not counted');
      const calls = w.hsmCalls();
      for (let i = 0; i < 20; i++) assert.equal((await get(w, bearer(w.a.wrong))).statusCode, 429);
      assert.equal(w.hsmCalls(), calls, 'no HSM call while locked out: a brute force cannot load the HSM');

      w.advance(59_000);
      const late = await get(w, bearer(w.a.token));
      assert.deepEqual([late.statusCode, late.headers['retry-after']], [429, '1'], 'the refused attempts did not prolong the lockout');
      w.advance(1_000);
      assert.equal((await get(w, bearer(w.a.token))).statusCode, 404, 'after the backoff the right secret works');
      // the success reset the count: 9 failures and the right secret still works, and so on
      await failTimes(w, 9, bearer(w.a.wrong));
      assert.equal((await get(w, bearer(w.a.token))).statusCode, 404);
      await failTimes(w, 9, bearer(w.a.wrong));
      assert.equal((await get(w, bearer(w.a.token))).statusCode, 404);
    }));

  it('clients are independent; failures age out of the 60 s window; repeated lockouts double the backoff', () =>
    withWorld(async (w) => {
      await failTimes(w, 10, bearer(w.a.wrong));
      assert.equal((await get(w, bearer(w.a.token))).statusCode, 429);
      assert.equal((await get(w, bearer(w.b.token))).statusCode, 404, 'another client is not affected');
      assert.equal((await get(w, bearer(w.b.wrong))).statusCode, 401, 'nor counted with the first');
      // the second lockout of a (no success in between) lasts 120 s
      w.advance(60_000);
      await failTimes(w, 10, bearer(w.a.wrong));
      assert.equal((await get(w, bearer(w.a.token))).headers['retry-after'], '120');
      w.advance(120_000);
      assert.equal((await get(w, bearer(w.a.token))).statusCode, 404);
      // b: 9 failures, a minute later 9 more: never 10 within 60 s
      await failTimes(w, 8, bearer(w.b.wrong));
      w.advance(60_000);
      await failTimes(w, 9, bearer(w.b.wrong));
      assert.equal((await get(w, bearer(w.b.token))).statusCode, 404);
    }));

  it('malformed, unknown and disabled credentials count per source address; a known client\'s good credentials still work from it; no header is never counted', () =>
    withWorld(async (w) => {
      const unknown = `cl_${'0'.repeat(24)}.${'y'.repeat(43)}`;
      await failTimes(w, 4, 'Bearer not-a-token');
      await failTimes(w, 3, bearer(unknown));
      await setApiClientDisabled(w.db, w.b.id, true);
      await failTimes(w, 3, bearer(w.b.token));
      const calls = w.hsmCalls();
      for (const authorization of ['Bearer not-a-token', bearer(unknown), bearer(w.b.token)]) {
        const r = await get(w, authorization);
        assert.deepEqual([r.statusCode, r.headers['retry-after']], [429, '60'], authorization.slice(0, 20));
      }
      assert.equal(w.hsmCalls(), calls);
      assert.equal((await get(w, bearer(w.a.token))).statusCode, 404, 'a known client with its right secret is not locked out by its address');
      assert.equal((await get(w, bearer(w.a.wrong))).statusCode, 401, 'its wrong secret counts against the client, not refused by the address');
      assert.equal((await get(w)).statusCode, 401, 'no Authorization header: always 401');
      assert.equal((await get(w, 'Bearer not-a-token', '192.0.2.7')).statusCode, 401, 'another address is independent');
      w.advance(60_000);
      assert.equal((await get(w, 'Bearer not-a-token')).statusCode, 401);
    }));

  it('on by default in buildApp', () =>
    withApp(async (f) => {
      const wrong = `${f.tokens.issuerA.split('.')[0]!}.${'x'.repeat(43)}`;
      for (let i = 0; i < 10; i++) assert.equal((await f.app.inject({ method: 'GET', url: URL_, headers: { authorization: bearer(wrong) } })).statusCode, 401);
      const r = await f.app.inject({ method: 'GET', url: URL_, headers: { authorization: bearer(f.tokens.issuerA) } });
      assert.deepEqual([r.statusCode, r.headers['retry-after']], [429, '60']);
      assert.equal((await f.app.inject({ method: 'GET', url: URL_, headers: { authorization: bearer(f.tokens.issuerB) } })).statusCode, 404);
    }));

  it('the limiter\'s map is bounded: the least recently touched key goes first', () => {
    let now = 0;
    const limiter = new AuthLimiter({ maxEntries: 3, maxFailures: 2, now: () => now });
    for (const key of ['a', 'b', 'c']) limiter.failure(key);
    assert.equal(limiter.failure('a').lockedOut, true);
    limiter.failure('d');
    assert.equal(limiter.size, 3);
    assert.equal(limiter.failure('b').lockedOut, false, 'b was evicted: its count started again');
    assert.equal(limiter.retryAfter('a'), 60, 'a, touched recently, is still locked out');
    now += 60_000;
    assert.equal(limiter.retryAfter('a'), undefined);
    limiter.success('a');
    assert.throws(() => new AuthLimiter({ maxFailures: 0 }), RangeError);
  });
});
