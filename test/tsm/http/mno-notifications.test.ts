/**
 * MNO notifications through app.inject() (GPS_SPE_002 notification functions, research/tsm.md §1.4):
 * lost/stolen/recovered move the SE's status and call `seStatusChanged` with the transition and the
 * GP reason; a terminated SE stays terminated; subscription status changes with a lost/theft reason
 * reach the SE; SE renewal moves the subscription; a number change starts a new subscription; a
 * handset change is recorded; without hooks every notification is still recorded.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { listSeNotifications } from '../../../src/store/index.ts';
import { resolveSubscription } from '../../../src/tsm/index.ts';
import { bearer, errorOf } from './fixture.ts';
import { importBatch, registerSes, withMno, type MnoFixture } from './mno-fixture.ts';

const notify = (f: MnoFixture, payload: Record<string, unknown>, token = f.mno.a) =>
  f.app.inject({ method: 'POST', url: '/v1/mno/notifications', headers: bearer(token), payload });
const seStatus = async (f: MnoFixture, seId: string) =>
  (await f.app.inject({ method: 'GET', url: `/v1/mno/secure-elements/${seId}`, headers: bearer(f.mno.a) })).json<{ status: string }>().status;
const subscribe = async (f: MnoFixture, msisdn: string, seId: string) =>
  (await f.app.inject({ method: 'POST', url: '/v1/mno/subscriptions', headers: bearer(f.mno.a), payload: { msisdn, seId } })).json<{ subscriptionId: string; alias: string }>();

describe('MNO routes: notifications', () => {
  it('lost (22) → lost, recovered (121) → active, theft (21) → stolen, lost-or-theft (23) → lost, NFC suspended (11) → locked, terminated is final: each a 202 and one hook call', () =>
    withMno(async (f) => {
      const [seId] = await registerSes(f, await importBatch(f), 1);
      const steps: [string, number | undefined, string][] = [
        ['SUSPENDED', 22, 'lost'], ['ACTIVATED', 121, 'active'], ['SUSPENDED', 21, 'stolen'], ['ACTIVATED', 121, 'active'],
        ['SUSPENDED', 23, 'lost'], ['ACTIVATED', undefined, 'active'], ['SUSPENDED', 11, 'locked'], ['TERMINATED', undefined, 'terminated'],
      ];
      let from = 'active';
      for (const [newStatus, reason, to] of steps) {
        const r = await notify(f, { kind: 'HandleSEStatusChangeNotification', seId, newStatus, ...(reason === undefined ? {} : { reason }) });
        assert.equal(r.statusCode, 202, r.body);
        const body = r.json<{ notificationId: string; seId: string; seStatus: string }>();
        assert.match(body.notificationId, /^ntf_/);
        assert.deepEqual([body.seId, body.seStatus, await seStatus(f, seId!)], [seId, to, to]);
        const call = f.hookCalls.at(-1)!;
        assert.deepEqual(
          { seId: call.seId, mno: call.mno, from: call.from, to: call.to, reason: call.reason, kind: call.kind, id: call.notificationId },
          { seId, mno: 'mno-a', from, to, reason, kind: 'HandleSEStatusChangeNotification', id: body.notificationId },
        );
        from = to;
      }
      assert.equal(f.hookCalls.length, steps.length);
      const back = await notify(f, { kind: 'HandleSEStatusChangeNotification', seId, newStatus: 'ACTIVATED', reason: 121 });
      assert.deepEqual([back.statusCode, errorOf(back.body).code], [409, 'FAILED_PRECONDITION']);
      const recorded = await listSeNotifications(f.db, seId!);
      assert.equal(recorded.length, steps.length, 'the refused one is not recorded');
      assert.deepEqual([recorded[0]!.reason, recorded[0]!.from_status, recorded[0]!.to_status], [22, 'active', 'lost']);
    }));

  it('a repeated notification answers again and re-announces the status (from === to) so a failed fan-out can be retried', () =>
    withMno(async (f) => {
      const [seId] = await registerSes(f, await importBatch(f), 1);
      for (let i = 0; i < 2; i++) assert.equal((await notify(f, { kind: 'HandleSEStatusChangeNotification', seId, newStatus: 'SUSPENDED', reason: 22 })).statusCode, 202);
      assert.deepEqual(f.hookCalls.map((c) => [c.from, c.to]), [['active', 'lost'], ['lost', 'lost']]);
    }));

  it('subscription status: theft (21) marks its SE stolen, recovered (121) active; TERMINATED ends the subscription', () =>
    withMno(async (f) => {
      const [seId] = await registerSes(f, await importBatch(f), 1);
      const sub = await subscribe(f, '447700900001', seId!);
      const stolen = await notify(f, { kind: 'HandleMobileSubscriptionStatusChangeNotification', subscriptionId: sub.subscriptionId, newStatus: 'SUSPENDED', reason: 21 });
      assert.equal(stolen.statusCode, 202, stolen.body);
      assert.equal(stolen.json<{ seStatus: string }>().seStatus, 'stolen');
      assert.equal((await resolveSubscription(f.db, sub.alias))?.status, 'suspended');
      const back = await notify(f, { kind: 'HandleMobileSubscriptionStatusChangeNotification', subscriptionId: sub.subscriptionId, newStatus: 'ACTIVATED', reason: 121 });
      assert.equal(back.json<{ seStatus: string }>().seStatus, 'active');
      assert.deepEqual(f.hookCalls.map((c) => [c.from, c.to, c.reason, c.kind]), [
        ['active', 'stolen', 21, 'HandleMobileSubscriptionStatusChangeNotification'], ['stolen', 'active', 121, 'HandleMobileSubscriptionStatusChangeNotification'],
      ]);
      const restricted = await notify(f, { kind: 'HandleMobileSubscriptionStatusChangeNotification', subscriptionId: sub.subscriptionId, newStatus: 'RESTRICTED', reason: 2 });
      assert.deepEqual([restricted.statusCode, restricted.json<{ seStatus: string }>().seStatus, f.hookCalls.length], [202, 'active', 2]);
      await notify(f, { kind: 'HandleMobileSubscriptionStatusChangeNotification', subscriptionId: sub.subscriptionId, newStatus: 'TERMINATED', reason: 3 });
      assert.equal((await resolveSubscription(f.db, sub.alias))?.status, 'ended');
      const late = await notify(f, { kind: 'HandleMobileSubscriptionStatusChangeNotification', subscriptionId: sub.subscriptionId, newStatus: 'ACTIVATED' });
      assert.equal(late.statusCode, 409);
    }));

  it('SE renewal (SIM swap): the subscription moves to the new SE, the old SE is terminated; a number change starts a new subscription on the SE', () =>
    withMno(async (f) => {
      const [oldSe, newSe] = await registerSes(f, await importBatch(f), 2);
      const sub = await subscribe(f, '447700900002', oldSe!);
      const swap = await notify(f, { kind: 'HandleSERenewalNotification', oldSeId: oldSe, newSeId: newSe });
      assert.equal(swap.statusCode, 202, swap.body);
      assert.deepEqual([swap.json<{ seId: string }>().seId, swap.json<{ seStatus: string }>().seStatus], [oldSe, 'terminated']);
      assert.deepEqual(await resolveSubscription(f.db, sub.alias), { seId: newSe, status: 'active', mno: 'mno-a' });
      assert.deepEqual(f.hookCalls.map((c) => [c.seId, c.from, c.to, c.kind]), [[oldSe, 'active', 'terminated', 'HandleSERenewalNotification']]);
      const toDead = await notify(f, { kind: 'HandleSERenewalNotification', oldSeId: newSe, newSeId: oldSe });
      assert.deepEqual([toDead.statusCode, errorOf(toDead.body).code], [409, 'FAILED_PRECONDITION']);
      const port = await notify(f, { kind: 'HandleSEMobileSubscriptionChangedNotification', seId: newSe, newMsisdn: '447700900003' });
      assert.equal(port.statusCode, 202, port.body);
      const fresh = port.json<{ subscription: { subscriptionId: string; alias: string } }>().subscription;
      assert.deepEqual(await resolveSubscription(f.db, fresh.alias), { seId: newSe, status: 'active', mno: 'mno-a' });
      assert.equal((await resolveSubscription(f.db, sub.alias))?.status, 'ended');
      const detail = (await listSeNotifications(f.db, newSe!)).map((n) => n.detail).join();
      assert.ok(!detail.includes('447700900003'), 'the MSISDN is not recorded');
    }));

  it('handset change is recorded (deviceChanged hook when given); wrong fields for a kind name the field; another MNO\'s SE is a 404; SP role 403', () =>
    withMno(async (f) => {
      const [seId] = await registerSes(f, await importBatch(f), 1);
      const r = await notify(f, { kind: 'HandleSEDeviceChangedNotification', seId, newDeviceProfileId: 'pixel-9' });
      assert.deepEqual([r.statusCode, r.json<{ seStatus: string }>().seStatus], [202, 'active']);
      const missing = await notify(f, { kind: 'HandleSEStatusChangeNotification', seId });
      assert.deepEqual([missing.statusCode, errorOf(missing.body).message], [400, 'body.newStatus: is required for HandleSEStatusChangeNotification']);
      const extra = await notify(f, { kind: 'HandleSERenewalNotification', oldSeId: seId, newSeId: 'x', reason: 22 });
      assert.deepEqual([extra.statusCode, errorOf(extra.body).message], [400, 'body.reason: is not allowed for HandleSERenewalNotification']);
      const restricted = await notify(f, { kind: 'HandleSEStatusChangeNotification', seId, newStatus: 'RESTRICTED' });
      assert.deepEqual([restricted.statusCode, errorOf(restricted.body).message], [400, 'body.newStatus: RESTRICTED is for subscriptions']);
      const unknown = await notify(f, { kind: 'HandleSomething', seId });
      assert.equal(unknown.statusCode, 400);
      const other = await notify(f, { kind: 'HandleSEStatusChangeNotification', seId, newStatus: 'SUSPENDED', reason: 22 }, f.mno.b);
      assert.deepEqual([other.statusCode, errorOf(other.body).code], [404, 'NOT_FOUND']);
      assert.equal(await seStatus(f, seId!), 'active');
      const sp = await notify(f, { kind: 'HandleSEStatusChangeNotification', seId, newStatus: 'SUSPENDED', reason: 22 }, f.tokens.spA);
      assert.equal(sp.statusCode, 403);
      assert.equal((await f.app.inject({ method: 'POST', url: '/v1/mno/notifications', payload: { kind: 'HandleSEDeviceChangedNotification', seId } })).statusCode, 401);
    }));

  it('without hooks a notification is still recorded and applied', () =>
    withMno(async (f) => {
      const [seId] = await registerSes(f, await importBatch(f), 1);
      const r = await notify(f, { kind: 'HandleSEStatusChangeNotification', seId, newStatus: 'SUSPENDED', reason: 21 });
      assert.deepEqual([r.statusCode, await seStatus(f, seId!), (await listSeNotifications(f.db, seId!)).length], [202, 'stolen', 1]);
    }, 1, { hooks: null }));

  it('a hook that throws fails the request (500) with the change kept; the retry calls the hook again', () => {
    let fail = true;
    const seen: string[] = [];
    const hooks = { seStatusChanged: (c: { from: string; to: string }) => (fail ? Promise.reject(new Error('fan-out down')) : Promise.resolve(void seen.push(`${c.from}->${c.to}`))) };
    return withMno(async (f) => {
      const [seId] = await registerSes(f, await importBatch(f), 1);
      const r = await notify(f, { kind: 'HandleSEStatusChangeNotification', seId, newStatus: 'SUSPENDED', reason: 22 });
      assert.deepEqual([r.statusCode, await seStatus(f, seId!)], [500, 'lost']);
      fail = false;
      assert.equal((await notify(f, { kind: 'HandleSEStatusChangeNotification', seId, newStatus: 'SUSPENDED', reason: 22 })).statusCode, 202);
      assert.deepEqual(seen, ['lost->lost']);
    }, 1, { hooks });
  });

  it('seReplaced after a renewal and deviceChanged after a handset change, with the notification id', () => {
    const calls: unknown[] = [];
    const hooks = {
      seStatusChanged: () => Promise.resolve(),
      seReplaced: (r: unknown) => Promise.resolve(void calls.push(['replaced', r])),
      deviceChanged: (c: unknown) => Promise.resolve(void calls.push(['device', c])),
    };
    return withMno(async (f) => {
      const [oldSe, newSe] = await registerSes(f, await importBatch(f), 2);
      const sub = await subscribe(f, '447700900004', oldSe!);
      const swap = (await notify(f, { kind: 'HandleSERenewalNotification', oldSeId: oldSe, newSeId: newSe })).json<{ notificationId: string }>();
      const device = (await notify(f, { kind: 'HandleSEDeviceChangedNotification', seId: newSe, oldDeviceProfileId: 'a', newDeviceProfileId: 'b' })).json<{ notificationId: string }>();
      assert.deepEqual(calls, [
        ['replaced', { mno: 'mno-a', oldSeId: oldSe, newSeId: newSe, subscriptionIds: [sub.subscriptionId], notificationId: swap.notificationId }],
        ['device', { mno: 'mno-a', seId: newSe, notificationId: device.notificationId, oldDeviceProfileId: 'a', newDeviceProfileId: 'b' }],
      ]);
    }, 2, { hooks });
  });
});
