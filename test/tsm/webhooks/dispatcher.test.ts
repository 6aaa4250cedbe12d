/**
 * The webhook dispatcher against a real HTTP receiver on 127.0.0.1 (docs/webhooks.md §4): signed
 * deliveries checked by an independent HMAC written here with node:crypto, retries with growing
 * delays on a fake clock and fake timers (no sleeping), dead after the last attempt, pending work
 * picked up by a new dispatcher, redirects not followed, timeouts, bounded concurrency.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { claimWebhookDelivery, listWebhookDeliveries } from '../../../src/store/index.ts';
import { retryDelayMs, verifyWebhookSignature } from '../../../src/tsm/index.ts';
import { startReceiver, withWorld, type ReceivedRequest } from './fixture.ts';

/** Stripe's scheme, written independently of src/: t=<s>,v1=<hex HMAC-SHA-256(secret, t "." body)>. */
function independentlyValid(secret: string, request: ReceivedRequest, nowSeconds: number): boolean {
  const header = request.headers['opentsm-signature'];
  const m = typeof header === 'string' ? /^t=([0-9]+),v1=([0-9a-f]{64})$/.exec(header) : null;
  if (m === null) return false;
  const expected = createHmac('sha256', secret).update(`${m[1]}.${request.body}`).digest();
  return timingSafeEqual(Buffer.from(m[2]!, 'hex'), expected) && Math.abs(nowSeconds - Number(m[1])) <= 300;
}

const DATA = { jobId: 'job_0123', kind: 'deploy', attempt: 1, state: 'running', step: null };

describe('webhook dispatcher', () => {
  it('persists, then POSTs the JSON body signed; the signature verifies independently; only subscribed endpoints of the tenant receive it', () =>
    withWorld(async (w) => {
      const rx = await startReceiver([204]);
      const other = await startReceiver([200]);
      try {
        const { endpointId, secret } = await w.register(rx.url, ['job.started']);
        await w.register(other.url, ['job.succeeded']);
        await w.register(other.url, ['job.started'], 'bank-b');
        const d = w.dispatcher();
        const { eventId, deliveries } = await d.enqueue('bank-a', 'job.started', DATA);
        assert.equal(deliveries, 1);
        await d.whenIdle();
        assert.equal(rx.requests.length, 1);
        assert.equal(other.requests.length, 0, 'neither another type nor another tenant is sent');
        const r = rx.requests[0]!;
        assert.equal(r.method, 'POST');
        assert.equal(r.url, '/hooks');
        assert.equal(r.headers['content-type'], 'application/json');
        assert.equal(r.headers['opentsm-event-id'], eventId);
        assert.match(eventId, /^evt_[0-9a-f]{24}$/);
        assert.deepEqual(JSON.parse(r.body), { id: eventId, type: 'job.started', createdAt: '2026-11-27T13:00:00.000Z', data: DATA });
        const nowSeconds = Math.floor(w.clock.ms / 1000);
        assert.equal(r.headers['opentsm-signature'], `t=${nowSeconds},v1=${createHmac('sha256', secret).update(`${nowSeconds}.${r.body}`).digest('hex')}`);
        assert.ok(independentlyValid(secret, r, nowSeconds));
        assert.ok(verifyWebhookSignature(secret, r.headers['opentsm-signature'], r.body, { now: w.clock.now }));
        const [row] = await listWebhookDeliveries(w.db, { eventId });
        assert.deepEqual([row?.endpointId, row?.state, row?.attempts, row?.lastStatus, row?.deliveredAt], [endpointId, 'delivered', 1, 204, '2026-11-27T13:00:00.000Z']);
      } finally {
        await rx.close();
        await other.close();
      }
    }));

  it('a receiver failing twice then answering 200: three attempts, 1 s then 2 s apart, same event id and body, each freshly signed', () =>
    withWorld(async (w) => {
      const rx = await startReceiver([500, 503, 200]);
      try {
        const { secret } = await w.register(rx.url);
        const d = w.dispatcher();
        const { eventId } = await d.enqueue('bank-a', 'job.started', DATA);
        await d.whenIdle();
        let [row] = await listWebhookDeliveries(w.db, { eventId });
        assert.deepEqual([row?.state, row?.attempts, row?.lastStatus, row?.lastError, row?.nextAttemptAt], ['pending', 1, 500, 'http 500', '2026-11-27T13:00:01.000Z']);
        assert.equal(await w.timers.fire(w.clock, d), 1000);
        assert.equal(rx.requests.length, 2);
        assert.equal(await w.timers.fire(w.clock, d), 2000);
        assert.equal(rx.requests.length, 3);
        [row] = await listWebhookDeliveries(w.db, { eventId });
        assert.deepEqual([row?.state, row?.attempts, row?.lastStatus, row?.deliveredAt], ['delivered', 3, 200, '2026-11-27T13:00:03.000Z']);
        const stamps = rx.requests.map((r) => /^t=([0-9]+),/.exec(String(r.headers['opentsm-signature']))![1]);
        const t0 = Date.parse('2026-11-27T13:00:00Z') / 1000;
        assert.deepEqual(stamps, [t0, t0 + 1, t0 + 3].map(String));
        for (const [i, r] of rx.requests.entries()) {
          assert.equal(r.headers['opentsm-event-id'], eventId);
          assert.equal(r.body, rx.requests[0]!.body);
          assert.ok(independentlyValid(secret, r, t0 + [0, 1, 3][i]!));
        }
      } finally {
        await rx.close();
      }
    }));

  it('dead after maxAttempts with delays 1, 2, 4 s; nothing more is sent; the dead delivery is logged by ids only', () =>
    withWorld(async (w) => {
      const rx = await startReceiver([500]);
      try {
        await w.register(rx.url);
        const d = w.dispatcher({ maxAttempts: 4 });
        const { eventId } = await d.enqueue('bank-a', 'job.started', DATA);
        await d.whenIdle();
        const fired = [await w.timers.fire(w.clock, d), await w.timers.fire(w.clock, d), await w.timers.fire(w.clock, d)];
        assert.deepEqual(fired, [1000, 2000, 4000]);
        const [row] = await listWebhookDeliveries(w.db, { eventId });
        assert.deepEqual([row?.state, row?.attempts, row?.lastError], ['dead', 4, 'http 500']);
        assert.equal(rx.requests.length, 4);
        assert.equal(w.timers.pendingMs(), 30_000, 'only the poll is left');
        await w.timers.fire(w.clock, d);
        assert.equal(rx.requests.length, 4);
        const dead = w.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['level'] === 'warn');
        assert.equal(dead.length, 1);
        assert.equal(dead[0]!['eventId'], eventId);
        assert.ok(!w.logs.join('\n').includes('127.0.0.1'), 'no URL in the log');
      } finally {
        await rx.close();
      }
    }));

  it('backoff: doubles from the base, capped at five minutes; jitter keeps it within [d/2, d]', () => {
    assert.deepEqual([1, 2, 3, 4, 9].map((n) => retryDelayMs(n, 1000, 300_000, () => 1)), [1000, 2000, 4000, 8000, 256_000]);
    assert.equal(retryDelayMs(10, 1000, 300_000, () => 1), 300_000);
    assert.equal(retryDelayMs(40, 1000, 300_000, () => 1), 300_000);
    assert.equal(retryDelayMs(3, 1000, 300_000, () => 0), 2000);
    for (let i = 0; i < 100; i++) {
      const d = retryDelayMs(5, 1000, 300_000, Math.random);
      assert.ok(d >= 8000 && d <= 16_000);
    }
  });

  it('a new dispatcher picks up what the old one left: a retry due, an event never sent, an attempt whose sender vanished (after its lease)', () =>
    withWorld(async (w) => {
      const rx = await startReceiver([500, 200]);
      try {
        await w.register(rx.url);
        const first = w.dispatcher();
        const retry = await first.enqueue('bank-a', 'job.started', DATA);
        await first.whenIdle();
        await first.close();
        assert.equal(w.timers.pending, undefined, 'close cancels the wake-up');
        const unsent = await first.enqueue('bank-a', 'job.succeeded', { ...DATA, state: 'succeeded' });
        assert.equal(rx.requests.length, 1, 'a closed dispatcher stores but does not send');
        const vanished = await first.enqueue('bank-a', 'job.succeeded', { ...DATA, jobId: 'job_2' });
        const [held] = await listWebhookDeliveries(w.db, { eventId: vanished.eventId });
        const lease = new Date(w.clock.ms + 62_000).toISOString();
        assert.ok(await claimWebhookDelivery(w.db, held!.id, held!.nextAttemptAt, lease, w.clock.now().toISOString()));

        w.clock.advance(1000);
        const second = w.dispatcher();
        await second.whenIdle();
        const state = async (eventId: string) => (await listWebhookDeliveries(w.db, { eventId }))[0]?.state;
        assert.equal(await state(retry.eventId), 'delivered');
        assert.equal(await state(unsent.eventId), 'delivered');
        assert.equal(await state(vanished.eventId), 'pending');
        assert.equal(rx.requests.length, 3);
        assert.equal(w.timers.pendingMs(), 30_000, 'the lease ends after the poll interval');
        w.clock.advance(61_000);
        second.wake();
        await second.whenIdle();
        assert.equal(await state(vanished.eventId), 'delivered');
        assert.equal((await listWebhookDeliveries(w.db, { eventId: vanished.eventId }))[0]?.attempts, 2);
        assert.equal(rx.requests.length, 4);
      } finally {
        await rx.close();
      }
    }));

  it('a redirect is not followed (the target sees nothing); a silent receiver times out; a refused connection is a network error', () =>
    withWorld(async (w) => {
      const target = await startReceiver([200]);
      const redirecting = await startReceiver([302], (res) => res.writeHead(302, { location: target.url }).end());
      const silent = await startReceiver([200], () => undefined);
      const gone = await startReceiver([200]);
      await gone.close();
      try {
        for (const url of [redirecting.url, silent.url, gone.url]) await w.register(url, ['job.started']);
        const d = w.dispatcher({ timeoutMs: 300 });
        await d.enqueue('bank-a', 'job.started', DATA);
        await d.whenIdle();
        const rows = await listWebhookDeliveries(w.db);
        const byError = rows.map((r) => [r.lastStatus, r.lastError?.replace(/^network .*/, 'network')]).sort();
        assert.deepEqual(byError, [[302, 'redirect not followed'], [null, 'network'], [null, 'timeout']].sort());
        assert.equal(target.requests.length, 0);
      } finally {
        for (const rx of [target, redirecting, silent]) await rx.close();
      }
    }));

  it('a huge answer is not read: 200 with 8 MiB of body is delivered at once', () =>
    withWorld(async (w) => {
      const rx = await startReceiver([200], (res) => {
        res.writeHead(200);
        const chunk = Buffer.alloc(64 * 1024, 0x61);
        let sent = 0;
        const more = (): void => {
          while (sent < 128) {
            sent++;
            if (!res.write(chunk)) return void res.once('drain', more);
          }
          res.end();
        };
        more();
      });
      try {
        await w.register(rx.url);
        const d = w.dispatcher();
        const { eventId } = await d.enqueue('bank-a', 'job.started', DATA);
        await d.whenIdle();
        assert.equal((await listWebhookDeliveries(w.db, { eventId }))[0]?.state, 'delivered');
      } finally {
        await rx.close();
      }
    }));

  it('at most `concurrency` requests in flight', () =>
    withWorld(async (w) => {
      let now = 0;
      let peak = 0;
      const rx = await startReceiver([200], (res) => {
        now++;
        peak = Math.max(peak, now);
        setTimeout(() => {
          now--;
          res.writeHead(200).end();
        }, 40);
      });
      try {
        for (let i = 0; i < 6; i++) await w.register(rx.url);
        const d = w.dispatcher({ concurrency: 2 });
        await d.enqueue('bank-a', 'job.started', DATA);
        await d.whenIdle();
        while (rx.requests.length < 6) {
          w.timers.pending?.fn();
          await d.whenIdle();
        }
        assert.equal(peak, 2);
        assert.equal((await listWebhookDeliveries(w.db, { state: 'delivered' })).length, 6);
      } finally {
        await rx.close();
      }
    }));

  it('deleting an endpoint cancels its pending deliveries; enqueue refuses a bad type or nested data', () =>
    withWorld(async (w) => {
      const rx = await startReceiver([500]);
      try {
        const { endpointId } = await w.register(rx.url);
        const d = w.dispatcher();
        const { eventId } = await d.enqueue('bank-a', 'job.started', DATA);
        await d.whenIdle();
        await w.endpoints.delete(endpointId, { tenant: 'bank-a', actor: 'test' });
        assert.deepEqual((await listWebhookDeliveries(w.db, { eventId })).map((r) => r.state), ['cancelled']);
        await w.timers.fire(w.clock, d);
        assert.equal(rx.requests.length, 1);
        assert.equal((await d.enqueue('bank-a', 'job.started', DATA)).deliveries, 0);
        await assert.rejects(d.enqueue('bank-a', 'job.nope' as 'job.started', DATA), { code: 'ERR_TSM_REQUEST' });
        await assert.rejects(d.enqueue('bank-a', 'job.started', { pan: { n: 1 } } as never), { code: 'ERR_TSM_REQUEST' });
        await assert.rejects(d.enqueue('bank-a', 'job.started', { 'a b': 1 }), { code: 'ERR_TSM_REQUEST' });
      } finally {
        await rx.close();
      }
    }));
});
