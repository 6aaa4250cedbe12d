/**
 * The MNO routes through app.inject() (docs/service.md "MNO API"): a factory batch imported with
 * its KCVs checked, SEs registered with keys derived in the HSM (their KCVs equal to the factory's
 * card records) or imported per SE, subscriptions with the MSISDN kept only as a keyed hash, and
 * errors: 400 naming the field, 401, 403, 404 for another MNO's ids, 409, 413.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { bearer, errorOf } from './fixture.ts';
import { batchBody, block, importBatch, registerSes, seItem, withMno, type MnoFixture } from './mno-fixture.ts';
import { resolveSubscription } from '../../../src/tsm/index.ts';

type Results = { created: number; existing: number; failed: number; results: { seId: string; result: string; error?: { code: string; message: string } }[] };

const register = (f: MnoFixture, items: unknown[], token = f.mno.a) =>
  f.app.inject({ method: 'POST', url: '/v1/mno/secure-elements', headers: bearer(token), payload: { items } });

describe('MNO routes: batches and secure elements', () => {
  it('imports a batch (201); a wrong KCV is a 400 naming the key; an unknown KBPK a 404; SP role 403; no credentials 401', () =>
    withMno(async (f) => {
      const ok = await f.app.inject({ method: 'POST', url: '/v1/mno/batches', headers: bearer(f.mno.a), payload: batchBody(f) });
      assert.equal(ok.statusCode, 201, ok.body);
      assert.match(ok.json<{ batchId: string }>().batchId, /^batch_/);
      const body = batchBody(f) as { keys: { mac: { kcv: string } } };
      body.keys.mac.kcv = body.keys.mac.kcv === '000000' ? '111111' : '000000';
      const badKcv = await f.app.inject({ method: 'POST', url: '/v1/mno/batches', headers: bearer(f.mno.a), payload: body });
      assert.deepEqual([badKcv.statusCode, errorOf(badKcv.body).message], [400, 'keys.mac.kcv: does not match the imported key']);
      const otherTenant = await f.app.inject({ method: 'POST', url: '/v1/mno/batches', headers: bearer(f.mno.b), payload: batchBody(f) });
      assert.deepEqual([otherTenant.statusCode, errorOf(otherTenant.body).code], [404, 'NOT_FOUND']);
      const sp = await f.app.inject({ method: 'POST', url: '/v1/mno/batches', headers: bearer(f.tokens.spA), payload: batchBody(f) });
      assert.equal(sp.statusCode, 403);
      const anonymous = await f.app.inject({ method: 'POST', url: '/v1/mno/batches', payload: batchBody(f) });
      assert.equal(anonymous.statusCode, 401);
      const schema = await f.app.inject({ method: 'POST', url: '/v1/mno/batches', headers: bearer(f.mno.a), payload: { ...batchBody(f), method: 'xor' } });
      assert.deepEqual([schema.statusCode, errorOf(schema.body).message.startsWith('body.method:')], [400, true]);
    }));

  it('registers SEs with keys diversified in the HSM: their KCVs equal the factory card records\'; GET shows no key id; another MNO gets 404', () =>
    withMno(async (f) => {
      const batchId = await importBatch(f);
      const r = await register(f, [seItem(f, batchId, 0), { ...seItem(f, batchId, 1), araAid: 'a00000015141434c00', ota: { tars: ['b00000'], counter: '0000000001' } }]);
      assert.equal(r.statusCode, 200, r.body);
      assert.deepEqual(r.json<Results>(), { created: 2, existing: 0, failed: 0, results: [{ seId: 'se-0', result: 'created' }, { seId: 'se-1', result: 'created' }] });
      for (const i of [0, 1]) {
        const row = await f.db.selectFrom('secure_elements').select(['isd', 'mno', 'status']).where('se_id', '=', `se-${i}`).executeTakeFirstOrThrow();
        const keys = (JSON.parse(row.isd) as { keys: { enc: string; mac: string; dek: string } }).keys;
        const expected = f.batch.keyFile.cards[i]!.isdKeys;
        for (const role of ['enc', 'mac', 'dek'] as const) {
          const handle = await f.t.hsm.getKey(keys[role], f.mnoCtx);
          assert.equal(handle.kcv, expected[role].kcv.toUpperCase(), `se-${i} ${role}`);
        }
        assert.deepEqual([row.mno, row.status], ['mno-a', 'active']);
      }
      const got = await f.app.inject({ method: 'GET', url: '/v1/mno/secure-elements/se-1', headers: bearer(f.mno.a) });
      assert.equal(got.statusCode, 200, got.body);
      const se = got.json<Record<string, unknown>>();
      assert.deepEqual(se['isd'], { aid: f.batch.keyFile.cards[1]!.isdAid.toUpperCase(), kvn: 0x30, scp: 3 });
      assert.deepEqual([se['status'], se['platform'], se['araAid'], se['ota']], ['active', 'strict-ese', 'A00000015141434C00', { tars: ['B00000'], counter: '0000000001' }]);
      assert.ok(!got.body.includes('keys'));
      const other = await f.app.inject({ method: 'GET', url: '/v1/mno/secure-elements/se-1', headers: bearer(f.mno.b) });
      assert.deepEqual([other.statusCode, errorOf(other.body).code], [404, 'NOT_FOUND']);
      const missing = await f.app.inject({ method: 'GET', url: '/v1/mno/secure-elements/se-9', headers: bearer(f.mno.a) });
      assert.equal(missing.statusCode, 404);
      const sp = await f.app.inject({ method: 'GET', url: '/v1/mno/secure-elements/se-1', headers: bearer(f.tokens.spA) });
      assert.equal(sp.statusCode, 403);
    }));

  it('answers per item: same data again "exists", other data or another MNO an error, a bad item an error naming its field — and writes nothing for it', () =>
    withMno(async (f) => {
      const batchId = await importBatch(f);
      await registerSes(f, batchId, 1);
      const keysBefore = (await f.t.hsm.listKeys({}, f.mnoCtx)).length;
      const items = [
        seItem(f, batchId, 0),
        { ...seItem(f, batchId, 0), platform: 'strict-uicc' },
        seItem(f, 'batch_missing', 1, 'se-a'),
        { ...seItem(f, batchId, 1, 'se-b'), isd: { aid: 'A000000151000000', kvn: 48, scp: 3, keys: { batchId, kdd: '00112233445566778899', kbpk: 'factory KBPK' } } },
        { ...seItem(f, batchId, 1, 'se-c'), isd: { aid: 'A000000151000000', kvn: 48, scp: 3, keys: { kbpk: 'factory KBPK', enc: 'D'.repeat(20), mac: 'D'.repeat(20) } } },
        seItem(f, batchId, 1, 'se-d'),
        seItem(f, batchId, 1, 'se-d'),
      ];
      const r = await register(f, items);
      assert.equal(r.statusCode, 200, r.body);
      const body = r.json<Results>();
      assert.deepEqual([body.created, body.existing, body.failed], [1, 1, 5]);
      assert.deepEqual(body.results.map((x) => [x.seId, x.result, x.error?.code, x.error?.message]), [
        ['se-0', 'exists', undefined, undefined],
        ['se-0', 'error', 'INVALID_ARGUMENT', 'items[1].seId: repeated in this call'],
        ['se-a', 'error', 'NOT_FOUND', 'no such resource for this tenant'],
        ['se-b', 'error', 'INVALID_ARGUMENT', 'items[3].isd.keys.kbpk: is not allowed with isd.keys.batchId'],
        ['se-c', 'error', 'INVALID_ARGUMENT', 'items[4].isd.keys.dek: is required (give {batchId, kdd} or {kbpk, enc, mac, dek})'],
        ['se-d', 'created', undefined, undefined],
        ['se-d', 'error', 'INVALID_ARGUMENT', 'items[6].seId: repeated in this call'],
      ]);
      // Only se-d's three keys were made: the failed items wrote nothing, in the store or the HSM.
      assert.equal((await f.t.hsm.listKeys({}, f.mnoCtx)).length, keysBefore + 3);
      const rows = await f.db.selectFrom('secure_elements').select('se_id').orderBy('se_id').execute();
      assert.deepEqual(rows.map((x) => x.se_id), ['se-0', 'se-d']);
      // SE ids are global (jobs and SE locks key on them): another MNO's id is taken, whatever the data.
      const taken = await register(f, [seItem(f, batchId, 0)], f.mno.b);
      const item = taken.json<Results>().results[0]!;
      assert.deepEqual([item.result, item.error?.code], ['error', 'ALREADY_EXISTS']);
      const other = await register(f, [{ ...seItem(f, batchId, 0), platform: 'strict-uicc' }]);
      assert.deepEqual(other.json<Results>().results[0]!.error, { code: 'ALREADY_EXISTS', message: 'the resource already exists' });
    }));

  it('imports per-SE ISD keys as TR-31 blocks (usage checked per field); schema errors name the field; 413 over the body limit', () =>
    withMno(async (f) => {
      const key = () => new Uint8Array(randomBytes(16));
      const keys = { kbpk: f.kbpkId, enc: block(f, key(), 'E5', 'X'), mac: block(f, key(), 'E5', 'X'), dek: block(f, key(), 'K0', 'E') };
      const item = (seId: string, k: Record<string, string>) => ({ seId, platform: 'strict-ese', isd: { aid: 'A000000151000000', kvn: 48, scp: 3, keys: k } });
      const r = await register(f, [item('se-x', keys), item('se-y', { ...keys, mac: keys.dek }), item('se-z', { ...keys, enc: 'D0112B0AX00E0000' + '00'.repeat(40) })]);
      assert.equal(r.statusCode, 200, r.body);
      assert.deepEqual(r.json<Results>().results.map((x) => [x.result, x.error?.message]), [
        ['created', undefined],
        ['error', 'items[1].isd.keys.mac: expected a key of usage E5'],
        ['error', 'items[2].isd.keys.enc: not a valid key block under the KBPK'],
      ]);
      const bad = await register(f, [{ ...item('se-w', keys), isd: { aid: 'A0', kvn: 48, scp: 3, keys } }]);
      assert.deepEqual([bad.statusCode, errorOf(bad.body).message], [400, 'body.items.0.isd.aid: must match pattern "^([0-9A-Fa-f]{2}){5,16}$"']);
      const none = await register(f, []);
      assert.deepEqual([none.statusCode, errorOf(none.body).message], [400, 'body.items: must NOT have fewer than 1 items']);
      const big = await register(f, Array.from({ length: 200 }, (_, i) => item(`se-${i}`, keys)));
      assert.deepEqual([big.statusCode, errorOf(big.body).code], [413, 'PAYLOAD_TOO_LARGE']);
    }));
});

describe('MNO routes: subscriptions', () => {
  it('creates (201: id and alias), refuses a second live one for the MSISDN (409), ends it (204, then 409); another MNO gets 404; the MSISDN is never stored', () =>
    withMno(async (f) => {
      const [seId] = await registerSes(f, await importBatch(f), 1);
      const msisdn = '447700900123';
      const r = await f.app.inject({ method: 'POST', url: '/v1/mno/subscriptions', headers: bearer(f.mno.a), payload: { msisdn, seId } });
      assert.equal(r.statusCode, 201, r.body);
      const { subscriptionId, alias } = r.json<{ subscriptionId: string; alias: string }>();
      assert.match(subscriptionId, /^sub_/);
      assert.match(alias, /^msa_[0-9a-f]{32}$/);
      assert.deepEqual(await resolveSubscription(f.db, alias), { seId, status: 'active', mno: 'mno-a' });
      const twice = await f.app.inject({ method: 'POST', url: '/v1/mno/subscriptions', headers: bearer(f.mno.a), payload: { msisdn, seId } });
      assert.deepEqual([twice.statusCode, errorOf(twice.body).code], [409, 'ALREADY_EXISTS']);
      const otherSe = await f.app.inject({ method: 'POST', url: '/v1/mno/subscriptions', headers: bearer(f.mno.b), payload: { msisdn, seId } });
      assert.equal(otherSe.statusCode, 404);
      const badMsisdn = await f.app.inject({ method: 'POST', url: '/v1/mno/subscriptions', headers: bearer(f.mno.a), payload: { msisdn: '+4477', seId } });
      assert.deepEqual([badMsisdn.statusCode, errorOf(badMsisdn.body).message.startsWith('body.msisdn:')], [400, true]);
      const dump = JSON.stringify(await sql`select * from subscriptions`.execute(f.db));
      assert.ok(!dump.includes(msisdn), 'the MSISDN is stored only as a keyed hash');
      assert.ok(!f.logs.join('\n').includes(msisdn));
      const otherEnd = await f.app.inject({ method: 'DELETE', url: `/v1/mno/subscriptions/${subscriptionId}`, headers: bearer(f.mno.b) });
      assert.equal(otherEnd.statusCode, 404);
      const end = await f.app.inject({ method: 'DELETE', url: `/v1/mno/subscriptions/${subscriptionId}`, headers: bearer(f.mno.a) });
      assert.deepEqual([end.statusCode, end.body], [204, '']);
      assert.equal((await resolveSubscription(f.db, alias))?.status, 'ended');
      const again = await f.app.inject({ method: 'DELETE', url: `/v1/mno/subscriptions/${subscriptionId}`, headers: bearer(f.mno.a) });
      assert.deepEqual([again.statusCode, errorOf(again.body).code], [409, 'FAILED_PRECONDITION']);
      const renewed = await f.app.inject({ method: 'POST', url: '/v1/mno/subscriptions', headers: bearer(f.mno.a), payload: { msisdn, seId } });
      assert.equal(renewed.statusCode, 201, 'an ended subscription frees its MSISDN');
      assert.equal(await resolveSubscription(f.db, 'msa_nope'), undefined);
    }));
});
