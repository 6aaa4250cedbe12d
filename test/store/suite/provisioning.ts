/**
 * Conformance: the provisioning tables (migration 2026-11-27T1300, docs/provisioning.md) — service
 * instances (one live instance of an AID per SE through a partial unique index, guarded state moves),
 * the SP's security domains (keys replaced on a second takeover) and the per-SE registry mirror
 * (replaced as a whole, atomically). Run on every dialect by test/store/store-suite.ts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  getRegistryMirror,
  getServiceInstance,
  getSpSecurityDomain,
  insertServiceInstance,
  listServiceInstances,
  putSpSecurityDomain,
  replaceRegistryMirror,
  StoreError,
  updateServiceInstanceState,
  type MirrorEntry,
  type StoredServiceInstance,
  type StoredSpSecurityDomain,
} from '../../../src/store/index.ts';
import { failsWithCode, withStore, type StoreFactory } from './fixtures.ts';

const AT = '2026-11-27T13:00:00.000Z';
const LATER = '2026-11-27T13:00:05.000Z';
const AID = 'A0000000031010';

function instance(id: string, overrides: Partial<StoredServiceInstance> = {}): StoredServiceInstance {
  return { instanceId: id, sp: 'bank-a', serviceId: 'svc_visa', seId: 'se-1', aid: AID, state: 'deploying', createdAt: AT, updatedAt: AT, ...overrides };
}

function ssd(seId: string, aid: string, overrides: Partial<StoredSpSecurityDomain> = {}): StoredSpSecurityDomain {
  return { seId, aid, sp: 'bank-a', kvn: 0x30, keys: { enc: `k-enc-${seId}`, mac: `k-mac-${seId}`, dek: `k-dek-${seId}` }, createdAt: AT, ...overrides };
}

const ISD: MirrorEntry = { kind: 'sd', aid: 'A000000151000000', lifecycle: 0x0f, privileges: '9EFE80' };
const SSD: MirrorEntry = { kind: 'sd', aid: 'A00000015153504341534400', lifecycle: 0x0f, privileges: '808000', sdAid: 'A000000151000000' };
const APP: MirrorEntry = { kind: 'app', aid: AID, lifecycle: 0x07, privileges: '000000', sdAid: SSD.aid };
const PKG: MirrorEntry = { kind: 'load-file', aid: 'A0000000031000', lifecycle: 0x01, sdAid: 'A000000151000000' };

/** A mirror of `n` applications whose AIDs carry `tag` (two sets with different tags share no AID). */
function appSet(tag: string, n: number): MirrorEntry[] {
  return Array.from({ length: n }, (_, i) => ({ kind: 'app' as const, aid: `A0000000${tag}${String(i).padStart(4, '0')}`, lifecycle: 0x07 }));
}

async function rejectsWithStoreError(run: () => Promise<unknown>): Promise<void> {
  await assert.rejects(Promise.resolve().then(run), (e: unknown) => e instanceof StoreError);
}

export function provisioningStoreSuite(open: StoreFactory): void {
  describe('provisioning: service instances', () => {
    it('insert and read back every field; optional fields absent when unset; an unknown or over-long id is undefined', () =>
      withStore(open, async (db) => {
        const full = instance('inst-1', { cardId: 'card_inst_1', jobId: 'job-1' });
        await insertServiceInstance(db, full);
        await insertServiceInstance(db, instance('inst-2', { seId: 'se-2' }));
        assert.deepEqual(await getServiceInstance(db, 'inst-1'), full);
        const bare = await getServiceInstance(db, 'inst-2');
        assert.deepEqual(bare, instance('inst-2', { seId: 'se-2' }));
        assert.ok(bare !== undefined && !('cardId' in bare) && !('jobId' in bare));
        assert.equal(await getServiceInstance(db, 'nope'), undefined);
        assert.equal(await getServiceInstance(db, 'x'.repeat(5000)), undefined);
        assert.equal(await getServiceInstance(db, 'x\u0000'), undefined);
        await failsWithCode(() => getServiceInstance(db, 42 as unknown as string), 'ERR_STORE_PARAM');
      }));

    it('refuses a malformed record before writing it', () =>
      withStore(open, async (db) => {
        await failsWithCode(() => insertServiceInstance(db, instance('')), 'ERR_STORE_RECORD');
        await failsWithCode(() => insertServiceInstance(db, { ...instance('i'), state: 7 } as unknown as StoredServiceInstance), 'ERR_STORE_RECORD');
        await failsWithCode(() => insertServiceInstance(db, instance('i', { cardId: 'c'.repeat(5000) })), 'ERR_STORE_RECORD');
        assert.deepEqual(await listServiceInstances(db, {}), []);
      }));

    it('one live instance of an AID per SE: a second id is ERR_STORE_CONFLICT; the same AID on another SE, or another AID, is fine', () =>
      withStore(open, async (db) => {
        await insertServiceInstance(db, instance('inst-1'));
        await failsWithCode(() => insertServiceInstance(db, instance('inst-1', { seId: 'se-9', aid: 'A0000000041010' })), 'ERR_STORE_CONFLICT');
        await failsWithCode(() => insertServiceInstance(db, instance('inst-2')), 'ERR_STORE_CONFLICT');
        await failsWithCode(() => insertServiceInstance(db, instance('inst-2', { state: 'active', sp: 'bank-b', serviceId: 'svc_other' })), 'ERR_STORE_CONFLICT');
        await insertServiceInstance(db, instance('inst-3', { seId: 'se-2' }));
        await insertServiceInstance(db, instance('inst-4', { aid: 'A0000000041010' }));
        assert.deepEqual((await listServiceInstances(db, { seId: 'se-1' })).map((i) => i.instanceId), ['inst-1', 'inst-4']);
      }));

    it('a terminated instance frees its AID: the SE may be deployed again, and terminated ones accumulate', () =>
      withStore(open, async (db) => {
        await insertServiceInstance(db, instance('inst-1', { state: 'active' }));
        assert.equal(await updateServiceInstanceState(db, 'inst-1', { from: ['active'], to: 'terminated', at: LATER }), true);
        await insertServiceInstance(db, instance('inst-2', { createdAt: LATER, updatedAt: LATER }));
        await failsWithCode(() => insertServiceInstance(db, instance('inst-3')), 'ERR_STORE_CONFLICT');
        assert.equal(await updateServiceInstanceState(db, 'inst-2', { from: ['deploying'], to: 'terminated', at: LATER }), true);
        await insertServiceInstance(db, instance('inst-3', { createdAt: LATER, updatedAt: LATER }));
        // reviving a terminated instance while another is live breaks the index: refused, nothing changed
        await rejectsWithStoreError(() => updateServiceInstanceState(db, 'inst-1', { from: ['terminated'], to: 'active', at: LATER }));
        assert.equal((await getServiceInstance(db, 'inst-1'))?.state, 'terminated');
        const all = await listServiceInstances(db, { seId: 'se-1' });
        assert.deepEqual(all.map((i) => [i.instanceId, i.state]), [['inst-1', 'terminated'], ['inst-2', 'terminated'], ['inst-3', 'deploying']]);
        assert.deepEqual((await listServiceInstances(db, { seId: 'se-1', states: ['terminated'] })).map((i) => i.instanceId), ['inst-1', 'inst-2']);
      }));

    it('twenty concurrent deploys of one AID to one SE: exactly one is accepted', () =>
      withStore(open, async (db) => {
        const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => insertServiceInstance(db, instance(`race-${i}`))));
        const accepted = results.filter((r) => r.status === 'fulfilled');
        assert.equal(accepted.length, 1);
        for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as StoreError).code, 'ERR_STORE_CONFLICT');
        assert.equal((await listServiceInstances(db, { seId: 'se-1' })).length, 1);
      }));

    it('state moves only from an expected state; the card and job ids are set when given and kept otherwise', () =>
      withStore(open, async (db) => {
        await insertServiceInstance(db, instance('inst-1', { jobId: 'job-deploy' }));
        assert.equal(await updateServiceInstanceState(db, 'inst-1', { from: ['active'], to: 'locked', at: LATER }), false);
        assert.equal(await updateServiceInstanceState(db, 'nope', { from: ['deploying'], to: 'active', at: LATER }), false);
        assert.equal(await updateServiceInstanceState(db, 'inst-1', { from: ['deploying', 'failed'], to: 'active', at: LATER, cardId: 'card_inst_1' }), true);
        assert.deepEqual(await getServiceInstance(db, 'inst-1'), instance('inst-1', { state: 'active', cardId: 'card_inst_1', jobId: 'job-deploy', updatedAt: LATER }));
        assert.equal(await updateServiceInstanceState(db, 'inst-1', { from: ['deploying'], to: 'active', at: LATER }), false, 'a move done once is not done twice');
        assert.equal(await updateServiceInstanceState(db, 'inst-1', { from: ['active'], to: 'terminating', at: AT, jobId: 'job-term' }), true);
        assert.deepEqual(await getServiceInstance(db, 'inst-1'), instance('inst-1', { state: 'terminating', cardId: 'card_inst_1', jobId: 'job-term', updatedAt: AT }));
        await failsWithCode(() => updateServiceInstanceState(db, 'inst-1', { from: [], to: 'x', at: AT }), 'ERR_STORE_PARAM');
        await failsWithCode(() => updateServiceInstanceState(db, 'inst-1', { from: ['terminating'], to: '', at: AT }), 'ERR_STORE_RECORD');
      }));

    it('concurrent guarded moves from one state: exactly one wins', () =>
      withStore(open, async (db) => {
        await insertServiceInstance(db, instance('inst-1', { state: 'active' }));
        const targets = Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? 'locking' : 'terminating'));
        const won = await Promise.all(targets.map((to, i) => updateServiceInstanceState(db, 'inst-1', { from: ['active'], to, at: LATER, jobId: `job-${i}` })));
        assert.equal(won.filter(Boolean).length, 1);
        const winner = won.indexOf(true);
        const after = await getServiceInstance(db, 'inst-1');
        assert.equal(after?.state, targets[winner]);
        assert.equal(after?.jobId, `job-${winner}`);
      }));

    it('lists by SE, by SP, by service and by state, oldest first (then by id), at most `limit`', () =>
      withStore(open, async (db) => {
        const t = (s: number) => `2026-11-27T13:00:0${s}.000Z`;
        await insertServiceInstance(db, instance('b', { seId: 'se-1', createdAt: t(2) }));
        await insertServiceInstance(db, instance('a', { seId: 'se-2', createdAt: t(2) }));
        await insertServiceInstance(db, instance('c', { seId: 'se-3', createdAt: t(1), state: 'active' }));
        await insertServiceInstance(db, instance('d', { seId: 'se-1', aid: 'A0000000041010', sp: 'bank-b', serviceId: 'svc_mc', createdAt: t(0), state: 'active' }));
        assert.deepEqual((await listServiceInstances(db, {})).map((i) => i.instanceId), ['d', 'c', 'a', 'b']);
        assert.deepEqual((await listServiceInstances(db, { limit: 2 })).map((i) => i.instanceId), ['d', 'c']);
        assert.deepEqual((await listServiceInstances(db, { seId: 'se-1' })).map((i) => i.instanceId), ['d', 'b']);
        assert.deepEqual((await listServiceInstances(db, { sp: 'bank-a' })).map((i) => i.instanceId), ['c', 'a', 'b']);
        assert.deepEqual((await listServiceInstances(db, { sp: 'bank-b', serviceId: 'svc_mc' })).map((i) => i.instanceId), ['d']);
        assert.deepEqual((await listServiceInstances(db, { sp: 'bank-a', serviceId: 'svc_mc' })), []);
        assert.deepEqual((await listServiceInstances(db, { states: ['active'] })).map((i) => i.instanceId), ['d', 'c']);
        assert.deepEqual((await listServiceInstances(db, { seId: 'se-1', states: ['active', 'locked'] })).map((i) => i.instanceId), ['d']);
        assert.deepEqual(await listServiceInstances(db, { seId: `'; drop table service_instances; --` }), []);
        await rejectsWithStoreError(() => listServiceInstances(db, { limit: 0 })); // ERR_STORE_RECORD today (a caller's argument: PARAM would fit validate.ts)
        await rejectsWithStoreError(() => listServiceInstances(db, { limit: 10_001 }));
        assert.equal((await listServiceInstances(db, {})).length, 4, 'the hostile filter dropped nothing');
      }));
  });

  describe('provisioning: SP security domains', () => {
    it('put and get; a second takeover of the same SSD replaces its keys, kvn and owner; another SSD or SE is separate', () =>
      withStore(open, async (db) => {
        const first = ssd('se-1', 'A00000015153504341534400');
        await putSpSecurityDomain(db, first);
        assert.deepEqual(await getSpSecurityDomain(db, 'se-1', first.aid), first);
        assert.equal(typeof (await getSpSecurityDomain(db, 'se-1', first.aid))?.kvn, 'number');
        const again = ssd('se-1', first.aid, { kvn: 0x31, keys: { enc: 'k2-enc', mac: 'k2-mac', dek: 'k2-dek' }, createdAt: LATER });
        await putSpSecurityDomain(db, again);
        assert.deepEqual(await getSpSecurityDomain(db, 'se-1', first.aid), again);
        const other = ssd('se-1', 'A00000015153504341534401', { sp: 'bank-b', kvn: 0x7f });
        await putSpSecurityDomain(db, other);
        await putSpSecurityDomain(db, ssd('se-2', first.aid, { kvn: 1 }));
        assert.deepEqual(await getSpSecurityDomain(db, 'se-1', first.aid), again);
        assert.deepEqual(await getSpSecurityDomain(db, 'se-1', other.aid), other);
        assert.equal((await getSpSecurityDomain(db, 'se-2', first.aid))?.kvn, 1);
        assert.equal(await getSpSecurityDomain(db, 'se-3', first.aid), undefined);
        assert.equal(await getSpSecurityDomain(db, 'se-1', 'x'.repeat(5000)), undefined);
      }));

    it('refuses a key version outside 1..127, a missing key id or a non-object, writing nothing', () =>
      withStore(open, async (db) => {
        for (const kvn of [0, 0x80, 1.5, -1]) await failsWithCode(() => putSpSecurityDomain(db, ssd('se-1', 'A001', { kvn })), 'ERR_STORE_RECORD');
        await failsWithCode(() => putSpSecurityDomain(db, { ...ssd('se-1', 'A001'), keys: { enc: 'e', mac: 'm' } } as unknown as StoredSpSecurityDomain), 'ERR_STORE_RECORD');
        await failsWithCode(() => putSpSecurityDomain(db, null as unknown as StoredSpSecurityDomain), 'ERR_STORE_RECORD');
        assert.equal(await getSpSecurityDomain(db, 'se-1', 'A001'), undefined);
        await failsWithCode(() => getSpSecurityDomain(db, 'se-1', undefined as unknown as string), 'ERR_STORE_PARAM');
      }));

    it('concurrent takeovers of one SSD leave one whole record, never a mix of two', () =>
      withStore(open, async (db) => {
        const versions = Array.from({ length: 16 }, (_, i) => ssd('se-1', 'A001', { kvn: i + 1, keys: { enc: `e${i}`, mac: `m${i}`, dek: `d${i}` } }));
        await Promise.all(versions.map((v) => putSpSecurityDomain(db, v)));
        const final = await getSpSecurityDomain(db, 'se-1', 'A001');
        assert.ok(final !== undefined);
        assert.deepEqual(final, versions[final.kvn - 1]);
      }));
  });

  describe('provisioning: registry mirror', () => {
    it('replace and read back by kind then AID, optional fields kept or absent; another SE untouched; [] empties', () =>
      withStore(open, async (db) => {
        await replaceRegistryMirror(db, 'se-1', [PKG, APP, SSD, ISD], AT);
        await replaceRegistryMirror(db, 'se-2', [ISD], AT);
        const back = await getRegistryMirror(db, 'se-1');
        assert.deepEqual(back, [APP, PKG, ISD, SSD].sort((a, b) => (a.kind === b.kind ? (a.aid < b.aid ? -1 : 1) : a.kind < b.kind ? -1 : 1)));
        assert.ok(!('privileges' in back.find((e) => e.kind === 'load-file')!));
        assert.ok(!('sdAid' in back.find((e) => e.aid === ISD.aid)!));
        assert.equal(typeof back[0]?.lifecycle, 'number');
        await replaceRegistryMirror(db, 'se-1', [ISD, { ...APP, lifecycle: 0x83 }], LATER);
        assert.deepEqual(await getRegistryMirror(db, 'se-1'), [{ ...APP, lifecycle: 0x83 }, ISD]);
        assert.deepEqual(await getRegistryMirror(db, 'se-2'), [ISD]);
        await replaceRegistryMirror(db, 'se-1', [], LATER);
        assert.deepEqual(await getRegistryMirror(db, 'se-1'), []);
        assert.deepEqual(await getRegistryMirror(db, 'se-2'), [ISD]);
        assert.deepEqual(await getRegistryMirror(db, 'se-never-read'), []);
      }));

    it('refuses a malformed entry before touching the stored mirror', () =>
      withStore(open, async (db) => {
        await replaceRegistryMirror(db, 'se-1', [ISD, APP], AT);
        const bad: unknown[] = [{ ...APP, lifecycle: 256 }, { ...APP, kind: 'applet' }, { ...APP, aid: 'A'.repeat(33) }, { ...APP, privileges: '1234567' }, null];
        for (const entry of bad) await failsWithCode(() => replaceRegistryMirror(db, 'se-1', [ISD, entry as MirrorEntry], LATER), 'ERR_STORE_RECORD');
        assert.deepEqual(await getRegistryMirror(db, 'se-1'), [APP, ISD]);
      }));

    it('is atomic: a replacement that fails in the database (a duplicate entry) leaves the previous mirror whole', () =>
      withStore(open, async (db) => {
        await replaceRegistryMirror(db, 'se-1', [ISD, SSD, APP, PKG], AT);
        await failsWithCode(() => replaceRegistryMirror(db, 'se-1', [ISD, APP, { ...APP, lifecycle: 0x0f }], LATER), 'ERR_STORE_QUERY');
        assert.equal((await getRegistryMirror(db, 'se-1')).length, 4, 'the delete was rolled back with the failed insert');
      }));

    it('concurrent replacements and reads: every read, and the end, is one whole reading — never a mix or a union', () =>
      withStore(open, async (db) => {
        const sets = ['11', '22', '33', '44'].map((tag) => appSet(tag, 8));
        const isOneReading = (entries: readonly MirrorEntry[]) => entries.length === 0 || sets.some((s) => JSON.stringify(s) === JSON.stringify(entries));
        const writes = Array.from({ length: 12 }, (_, i) => replaceRegistryMirror(db, 'se-1', sets[i % sets.length]!, AT));
        const reads = Array.from({ length: 12 }, () => getRegistryMirror(db, 'se-1'));
        const [written, read] = await Promise.all([Promise.allSettled(writes), Promise.all(reads)]);
        for (const r of written) assert.equal(r.status, 'fulfilled', r.status === 'rejected' ? String((r.reason as Error).message) : '');
        for (const entries of read) assert.ok(isOneReading(entries), `a read saw ${entries.length} entries mixing readings`);
        const final = await getRegistryMirror(db, 'se-1');
        assert.ok(final.length === 8 && isOneReading(final), `the final mirror has ${final.length} entries`);
      }));
  });
}
