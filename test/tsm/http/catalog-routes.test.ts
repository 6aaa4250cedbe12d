/**
 * The SP catalog routes through app.inject() (docs/service.md "SP API"): a service created with key
 * references checked for usage in the SP's tenant and an uploaded CAP that must parse (the GPPro
 * test CAP); list, get, add/replace a flavour; eligibility by SE id and by subscription alias with
 * every reason; 400 naming the field, 401, 403, 404 for another SP's service, 413.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { fromHex, toHex } from '../../../src/bytes/index.ts';
import { parseCapFile } from '../../../src/gp/index.ts';
import { importClear, SPECS } from '../../hsm/conformance/fixture.ts';
import { loadVectors } from '../../helpers/vectors.ts';
import { splitComponents, zipCap } from '../../gp/cm/helpers.ts';
import { bearer, errorOf } from './fixture.ts';
import { importBatch, registerSes, withMno, type MnoFixture } from './mno-fixture.ts';

const capVector = loadVectors<{ vectors: { id: string; code_hex: string }[] }>('gp/misc.json').vectors.find((v) => v.id === 'gppro-cap-lfdb')!;
const CAP_ZIP = zipCap(splitComponents(fromHex(capVector.code_hex)));
const CAP = parseCapFile(CAP_ZIP);

/** bank-a's keys: IMKs, an issuer RSA key (S1), SSD masters (B3); labels as the service body names them. */
async function spKeys(f: MnoFixture): Promise<void> {
  const k = () => new Uint8Array(randomBytes(16));
  await importClear(f.t, SPECS.imkAc, k());
  await importClear(f.t, SPECS.imkSmi, k());
  await importClear(f.t, SPECS.imkSmc, k());
  await f.t.hsm.generateKeyPair({ algorithm: 'R', size: 1024, usage: 'S1', owner: 'bank-a', label: 'issuer key' }, f.t.ctx);
  for (const role of ['ENC', 'MAC', 'DEK']) await importClear(f.t, { usage: 'B3', algorithm: 'A', modeOfUse: 'X', exportability: 'N', label: `SSD master ${role}` }, k());
}

const flavour = (platform = 'strict-ese', cap?: string): Record<string, unknown> => ({
  platform,
  package: { loadFileAid: toHex(CAP.packageAid), moduleAid: toHex(CAP.appletAids[0]!), ...(cap === undefined ? {} : { cap }) },
  instanceAid: 'A0000000041010', privileges: '00', ssd: { aid: 'A000000151535041', kvn: 0x30 }, personalization: 'payment',
});

const serviceBody = (flavours = [flavour()]): Record<string, unknown> => ({
  name: 'Bank A debit', walletCertHash: 'AB'.repeat(32),
  issuer: { imkAc: 'IMK-AC', imkSmi: 'IMK-SMI', imkSmc: 'IMK-SMC', issuerKey: 'issuer key', issuerCertificate: { certificate: '6A'.repeat(128), remainder: '', exponent: '03' }, caPublicKeyIndex: 0x92 },
  ssdMasters: { enc: 'SSD master ENC', mac: 'SSD master MAC', dek: 'SSD master DEK' },
  flavours,
});

const create = (f: MnoFixture, body: Record<string, unknown>, token = f.tokens.spA) =>
  f.app.inject({ method: 'POST', url: '/v1/sp/services', headers: bearer(token), payload: body });

describe('SP catalog routes', () => {
  it('creates a service (201) with an uploaded CAP (shown as size and SHA-256), lists and gets it; another SP gets 404; MNO role 403; 401', () =>
    withMno(async (f) => {
      await spKeys(f);
      const cap = Buffer.from(CAP_ZIP).toString('base64');
      const r = await create(f, serviceBody([flavour('strict-ese', cap), flavour('strict-uicc')]));
      assert.equal(r.statusCode, 201, r.body);
      const s = r.json<{ serviceId: string; flavours: { package: { cap?: { size: number } } }[]; issuer: Record<string, unknown> }>();
      assert.match(s.serviceId, /^svc_/);
      assert.equal(s.flavours[0]!.package.cap!.size, CAP_ZIP.length);
      assert.equal(s.flavours[1]!.package.cap, undefined);
      assert.ok(!r.body.includes(cap.slice(0, 40)), 'the CAP is not echoed');
      assert.equal(s.issuer['caPublicKeyIndex'], 0x92);
      const list = await f.app.inject({ method: 'GET', url: '/v1/sp/services', headers: bearer(f.tokens.spA) });
      assert.deepEqual(list.json<{ services: { serviceId: string }[] }>().services.map((x) => x.serviceId), [s.serviceId]);
      const got = await f.app.inject({ method: 'GET', url: `/v1/sp/services/${s.serviceId}`, headers: bearer(f.tokens.spA) });
      assert.deepEqual([got.statusCode, got.json()], [200, s]);
      const other = await f.app.inject({ method: 'GET', url: `/v1/sp/services/${s.serviceId}`, headers: bearer(f.mno.spB) });
      assert.deepEqual([other.statusCode, errorOf(other.body).code], [404, 'NOT_FOUND']);
      assert.deepEqual((await f.app.inject({ method: 'GET', url: '/v1/sp/services', headers: bearer(f.mno.spB) })).json(), { services: [] });
      assert.equal((await f.app.inject({ method: 'GET', url: '/v1/sp/services', headers: bearer(f.mno.a) })).statusCode, 403);
      assert.equal((await f.app.inject({ method: 'GET', url: '/v1/sp/services' })).statusCode, 401);
      assert.equal((await create(f, serviceBody(), f.tokens.issuerA)).statusCode, 403);
    }));

  it('refuses with 400 naming the field: a key of the wrong usage, a CAP that does not parse or is not the flavour\'s, two flavours for one platform, schema violations; 404 for another SP\'s key; 413', () =>
    withMno(async (f) => {
      await spKeys(f);
      const body = serviceBody() as { issuer: Record<string, unknown>; ssdMasters: Record<string, unknown> };
      const cases: [Record<string, unknown>, string][] = [
        [{ ...body, issuer: { ...body.issuer, imkAc: 'IMK-SMI' } }, 'issuer.imkAc: expected a key of usage E0'],
        [{ ...body, issuer: { ...body.issuer, issuerKey: 'IMK-AC' } }, 'issuer.issuerKey: expected a key of usage S1'],
        [{ ...body, ssdMasters: { ...body.ssdMasters, dek: 'IMK-SMC' } }, 'ssdMasters.dek: expected a key of usage B3'],
        [serviceBody([flavour('strict-ese', Buffer.from('not a zip at all').toString('base64'))]), 'flavours[0].package.cap: not a CAP file (base64 of the zip)'],
        [serviceBody([{ ...flavour('strict-ese', Buffer.from(CAP_ZIP).toString('base64')), package: { loadFileAid: 'A000000151', moduleAid: toHex(CAP.appletAids[0]!), cap: Buffer.from(CAP_ZIP).toString('base64') } }]), 'flavours[0].package.loadFileAid: not the CAP\'s package AID'],
        [serviceBody([flavour(), flavour()]), 'flavours[1].platform: a second flavour for this platform'],
        [{ ...serviceBody(), walletCertHash: 'AB' }, 'body.walletCertHash: must match pattern "^([0-9A-Fa-f]{40}|[0-9A-Fa-f]{64})$"'],
        [{ ...serviceBody(), extra: 1 }, 'body.extra: is not allowed'],
        [serviceBody([{ ...flavour(), privileges: '0000' }]), 'body.flavours.0.privileges: must match pattern "^([0-9A-Fa-f]{2}|[0-9A-Fa-f]{6})$"'],
      ];
      for (const [payload, message] of cases) {
        const r = await create(f, payload);
        assert.deepEqual([r.statusCode, errorOf(r.body).message], [400, message]);
      }
      const foreign = await create(f, serviceBody(), f.mno.spB);
      assert.deepEqual([foreign.statusCode, errorOf(foreign.body).code], [404, 'NOT_FOUND']);
      const huge = await create(f, serviceBody([flavour('strict-ese', 'A'.repeat(20_000))]));
      assert.deepEqual([huge.statusCode, errorOf(huge.body).code], [413, 'PAYLOAD_TOO_LARGE']);
      assert.equal((await f.db.selectFrom('services').select('id').execute()).length, 0, 'nothing written');
    }));

  it('adds a flavour (201), replaces one (200); another SP\'s service is a 404', () =>
    withMno(async (f) => {
      await spKeys(f);
      const { serviceId } = (await create(f, serviceBody())).json<{ serviceId: string }>();
      const url = `/v1/sp/services/${serviceId}/flavours`;
      const added = await f.app.inject({ method: 'POST', url, headers: bearer(f.tokens.spA), payload: flavour('strict-uicc') });
      assert.equal(added.statusCode, 201, added.body);
      assert.deepEqual(added.json<{ flavours: { platform: string }[] }>().flavours.map((x) => x.platform), ['strict-ese', 'strict-uicc']);
      const replaced = await f.app.inject({ method: 'POST', url, headers: bearer(f.tokens.spA), payload: { ...flavour('strict-ese'), instanceAid: 'A0000000031010' } });
      assert.equal(replaced.statusCode, 200, replaced.body);
      assert.deepEqual(replaced.json<{ flavours: { instanceAid: string }[] }>().flavours.map((x) => x.instanceAid), ['A0000000031010', 'A0000000041010']);
      const other = await f.app.inject({ method: 'POST', url, headers: bearer(f.mno.spB), payload: flavour('legacy-uicc') });
      assert.equal(other.statusCode, 404);
      const bad = await f.app.inject({ method: 'POST', url, headers: bearer(f.tokens.spA), payload: { ...flavour(), personalization: 'transit' } });
      assert.deepEqual([bad.statusCode, errorOf(bad.body).message.startsWith('body.personalization:')], [400, true]);
    }));

  it('eligibility (CheckGlobalEligibility) by SE id and by subscription alias: every reason that stands in the way', () =>
    withMno(async (f) => {
      await spKeys(f);
      const [se0, se1] = await registerSes(f, await importBatch(f), 2);
      const { serviceId } = (await create(f, serviceBody())).json<{ serviceId: string }>();
      const check = async (body: Record<string, unknown>, token = f.tokens.spA) => {
        const r = await f.app.inject({ method: 'POST', url: `/v1/sp/services/${serviceId}/eligibility`, headers: bearer(token), payload: body });
        return r.statusCode === 200 ? r.json<{ eligible: boolean; reasons: string[] }>() : { status: r.statusCode, message: errorOf(r.body).message };
      };
      assert.deepEqual(await check({ seId: se0 }), { eligible: false, reasons: ['no-subscription'] });
      const sub = (await f.app.inject({ method: 'POST', url: '/v1/mno/subscriptions', headers: bearer(f.mno.a), payload: { msisdn: '447700900010', seId: se0 } })).json<{ alias: string; subscriptionId: string }>();
      assert.deepEqual(await check({ seId: se0 }), { eligible: true, reasons: [] });
      assert.deepEqual(await check({ subscription: sub.alias }), { eligible: true, reasons: [] });
      await f.app.inject({ method: 'POST', url: '/v1/mno/notifications', headers: bearer(f.mno.a), payload: { kind: 'HandleSEStatusChangeNotification', seId: se0, newStatus: 'SUSPENDED', reason: 22 } });
      assert.deepEqual(await check({ subscription: sub.alias }), { eligible: false, reasons: ['se-lost'] });
      await f.app.inject({ method: 'DELETE', url: `/v1/mno/subscriptions/${sub.subscriptionId}`, headers: bearer(f.mno.a) });
      assert.deepEqual(await check({ subscription: sub.alias }), { eligible: false, reasons: ['se-lost', 'subscription-not-active'] });
      assert.deepEqual(await check({ seId: 'se-nope' }), { eligible: false, reasons: ['se-unknown'] });
      assert.deepEqual(await check({ subscription: `msa_${'0'.repeat(32)}` }), { eligible: false, reasons: ['subscription-unknown'] });
      // A platform the service has no flavour for.
      await f.db.updateTable('secure_elements').set({ platform: 'legacy-uicc' }).where('se_id', '=', se1!).execute();
      assert.deepEqual(await check({ seId: se1 }), { eligible: false, reasons: ['no-flavour-for-platform', 'no-subscription'] });
      assert.deepEqual(await check({}), { status: 400, message: 'body: give exactly one of seId and subscription' });
      assert.deepEqual(await check({ seId: se0, subscription: sub.alias }), { status: 400, message: 'body: give exactly one of seId and subscription' });
      assert.deepEqual(await check({ seId: se0 }, f.mno.spB), { status: 404, message: 'no such resource for this tenant' });
      assert.equal((await check({ seId: se0 }, f.mno.a) as { status: number }).status, 403);
    }));
});
