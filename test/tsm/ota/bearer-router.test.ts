/**
 * The bearer router (src/tsm/bearer-router.ts): the rule (platform → bearer, SCP81 only with a PSK
 * and a running SCP81 bearer), the asynchronous first look-up behind a synchronous `connect`, the
 * merged and filtered `onReachable`, failures and the cache bound; hostile policies refused.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ApduTransport } from '../../../src/apdu/index.ts';
import { BearerRouter, bearerOf, checkBearerPolicy, DEFAULT_BEARER_POLICY, TsmError, type BearerName } from '../../../src/tsm/index.ts';
import type { CardBearer, SecureElementRecord } from '../../../src/tsm/model.ts';

/** A bearer whose reachable SEs and announcements the test controls; it records every connect. */
class FakeBearer implements CardBearer {
  readonly connects: string[] = [];
  readonly reachable = new Set<string>();
  readonly #listeners = new Set<(seId: string) => void>();
  constructor(readonly name: string) {}
  connect(seId: string): ApduTransport | undefined {
    this.connects.push(seId);
    return this.reachable.has(seId) ? { transmit: () => Promise.resolve(Uint8Array.of(0x90, 0x00)) } : undefined;
  }
  onReachable(listener: (seId: string) => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }
  get listeners(): number {
    return this.#listeners.size;
  }
  announce(seId: string): void {
    for (const l of [...this.#listeners]) l(seId);
  }
}

const tick = () => new Promise((r) => setImmediate(r));

function world(routes: Record<string, BearerName | Error>) {
  const relay = new FakeBearer('relay');
  const scp81 = new FakeBearer('scp81');
  const lookups: string[] = [];
  const errors: string[] = [];
  const router = new BearerRouter({
    bearers: { relay, scp81 },
    route: (seId) => {
      lookups.push(seId);
      const r = routes[seId];
      return r instanceof Error ? Promise.reject(r) : Promise.resolve(r ?? 'relay');
    },
    onError: (e, seId) => void errors.push(`${seId}: ${e.message}`),
  });
  const reached: string[] = [];
  router.onReachable((seId) => void reached.push(seId));
  return { relay, scp81, router, lookups, errors, reached };
}

const se = (platform: string, psk: boolean): Pick<SecureElementRecord, 'platform' | 'ota'> => ({
  platform, ...(psk ? { ota: { tars: ['000000'], scp81: { kvn: '40', identity: 'id-1', psk: 'k1' } } } : {}),
});

describe('bearerOf: the rule', () => {
  it('SCP81 only for a platform mapped to scp81 with an SCP81 PSK and a running SCP81 bearer; every other SE over the relay', () => {
    const p = DEFAULT_BEARER_POLICY;
    assert.equal(bearerOf(se('strict-uicc', true), p, true), 'scp81');
    assert.equal(bearerOf(se('legacy-uicc', true), p, true), 'scp81');
    assert.equal(bearerOf(se('strict-uicc', false), p, true), 'relay', 'no PSK registered');
    assert.equal(bearerOf(se('strict-uicc', true), p, false), 'relay', 'no SCP81 bearer running');
    assert.equal(bearerOf(se('strict-ese', true), p, true), 'relay', 'an eSE profile');
    assert.equal(bearerOf(undefined, p, true), 'relay', 'an SE the registry does not know');
    assert.equal(bearerOf(se('toString', true), p, true), 'relay', 'an inherited name is no mapping');
    assert.equal(bearerOf(se('__proto__', true), p, true), 'relay');
    const custom = checkBearerPolicy({ 'strict-ese': 'scp81', 'strict-uicc': 'relay' });
    assert.equal(bearerOf(se('strict-ese', true), custom, true), 'scp81');
    assert.equal(bearerOf(se('strict-uicc', true), custom, true), 'relay');
  });

  it('refuses a hostile policy with ERR_TSM_CONFIG naming the field', () => {
    for (const [policy, message] of [
      [null, /^bearerFor: expected an object/],
      [['scp81'], /^bearerFor: expected an object/],
      ['scp81', /^bearerFor: expected an object/],
      [{ 'strict-uicc': 'sms' }, /^bearerFor\.strict-uicc: expected 'relay' or 'scp81'/],
      [{ 'strict-uicc': 1 }, /^bearerFor\.strict-uicc: expected/],
      [{ 'Strict UICC': 'scp81' }, /^bearerFor: platform id "Strict UICC" is not a platform profile id/],
      [{ ['x'.repeat(100)]: 'relay' }, /^bearerFor: platform id/],
      [JSON.parse('{"__proto__": "scp81"}'), /^bearerFor: platform id "__proto__"/],
    ] as const) {
      assert.throws(() => checkBearerPolicy(policy), (e: unknown) => e instanceof TsmError && e.code === 'ERR_TSM_CONFIG' && message.test(e.message), JSON.stringify(policy));
    }
    assert.throws(() => checkBearerPolicy({ a: 'sms' }, 'ota.bearerFor'), /^TsmError: ota\.bearerFor\.a:|ota\.bearerFor\.a:/);
  });
});

describe('BearerRouter', () => {
  it('first connect: not reachable, the route is looked up once; an SCP81 SE is then connected through SCP81 (its trigger), later connects go straight there', async () => {
    const w = world({ 'se-u': 'scp81' });
    assert.equal(w.router.connect('se-u'), undefined);
    assert.equal(w.router.connect('se-u'), undefined, 'a second connect during the look-up');
    await tick();
    assert.deepEqual(w.lookups, ['se-u'], 'one look-up');
    assert.equal(w.router.routeOf('se-u'), 'scp81');
    assert.deepEqual([w.scp81.connects, w.relay.connects], [['se-u'], []], 'the trigger went through SCP81, the relay never asked');
    assert.deepEqual(w.reached, [], 'no session yet: nothing announced');
    w.scp81.reachable.add('se-u');
    assert.ok(w.router.connect('se-u') !== undefined);
    assert.deepEqual(w.lookups, ['se-u']);
    assert.deepEqual(w.relay.connects, []);
  });

  it('a relay SE whose phone is already connected is announced once its route is known (the waiting job goes on)', async () => {
    const w = world({ 'se-e': 'relay' });
    w.relay.reachable.add('se-e');
    assert.equal(w.router.connect('se-e'), undefined);
    await tick();
    assert.deepEqual(w.reached, ['se-e']);
    assert.ok(w.router.connect('se-e') !== undefined);
    assert.deepEqual(w.scp81.connects, []);
  });

  it('onReachable merges both bearers and drops an announcement from the bearer that is not the SE\'s', async () => {
    const w = world({ 'se-u': 'scp81', 'se-e': 'relay' });
    w.router.connect('se-u');
    w.router.connect('se-e');
    await tick();
    w.relay.announce('se-u'); // the phone of an SCP81 SE on the relay: not its bearer
    w.scp81.announce('se-e');
    assert.deepEqual(w.reached, []);
    w.scp81.announce('se-u');
    w.relay.announce('se-e');
    w.relay.announce('se-new'); // not routed yet: passed on (the job's connect looks it up)
    assert.deepEqual(w.reached, ['se-u', 'se-e', 'se-new']);
  });

  it('a failed look-up is reported, nothing cached, the next connect looks again; a listener that throws does not stop the others', async () => {
    const routes: Record<string, BearerName | Error> = { 'se-x': new Error('store down') };
    const w = world(routes);
    assert.equal(w.router.connect('se-x'), undefined);
    await tick();
    assert.deepEqual(w.errors, ['se-x: store down']);
    assert.equal(w.router.routeOf('se-x'), undefined);
    routes['se-x'] = 'relay';
    w.relay.reachable.add('se-x');
    w.router.onReachable(() => {
      throw new Error('listener failed');
    });
    const after: string[] = [];
    w.router.onReachable((s) => void after.push(s));
    w.router.connect('se-x');
    await tick();
    assert.deepEqual(w.lookups, ['se-x', 'se-x']);
    assert.deepEqual([w.reached, after], [['se-x'], ['se-x']]);
    assert.deepEqual(w.errors, ['se-x: store down', 'se-x: listener failed']);
  });

  it('an SCP81 route without an SCP81 bearer is an error, not a silent relay', async () => {
    const relay = new FakeBearer('relay');
    const errors: string[] = [];
    const router = new BearerRouter({ bearers: { relay }, route: () => Promise.resolve('scp81'), onError: (e) => void errors.push((e as TsmError).code) });
    assert.equal(router.connect('se-u'), undefined);
    await tick();
    assert.deepEqual(errors, ['ERR_TSM_STATE']);
    assert.throws(() => router.connect('se-u'), (e: unknown) => e instanceof TsmError && e.code === 'ERR_TSM_STATE');
  });

  it('keeps at most cacheSize routes (the oldest dropped), setRoute/forget, close unsubscribes from both bearers', () => {
    const relay = new FakeBearer('relay');
    const scp81 = new FakeBearer('scp81');
    const router = new BearerRouter({ bearers: { relay, scp81 }, route: () => Promise.resolve('relay'), cacheSize: 2 });
    assert.deepEqual([relay.listeners, scp81.listeners], [1, 1]);
    router.setRoute('a', 'scp81');
    router.setRoute('b', 'relay');
    router.setRoute('c', 'relay');
    assert.deepEqual(['a', 'b', 'c'].map((s) => router.routeOf(s)), [undefined, 'relay', 'relay']);
    router.forget('b');
    assert.equal(router.routeOf('b'), undefined);
    assert.throws(() => router.setRoute('d', 'sms' as BearerName), (e: unknown) => e instanceof TsmError && e.code === 'ERR_TSM_REQUEST');
    assert.throws(() => new BearerRouter({ bearers: { relay }, route: () => Promise.resolve('relay'), cacheSize: 0 }), (e: unknown) => e instanceof TsmError && e.code === 'ERR_TSM_CONFIG');
    router.close();
    assert.deepEqual([relay.listeners, scp81.listeners], [0, 0]);
  });
});
