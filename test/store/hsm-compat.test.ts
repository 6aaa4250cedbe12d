/**
 * store/ satisfies what hsm/ declares, without importing it (docs/architecture.md §2): checked here,
 * where both may be imported. The type assertions fail `npm run typecheck` when either side's
 * record shapes drift; the runtime part wires the two the way tsm/ and cli/ will, with real TR-31
 * key blocks.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EXPORTABILITY, KEY_ALGORITHMS, KEY_USAGES, MODES_OF_USE, randomBytes, wrapKeyBlock } from '../../src/crypto/index.ts';
import { OpenTsmError } from '../../src/bytes/index.ts';
import { SoftwareHsm, generateLmk, isKeyClass, type AuditEvent, type AuditSink, type CustodianRecord, type KeyAttributes, type KeyRecord, type KeyRecordStore, type OperationContext } from '../../src/hsm/index.ts';
import {
  appendAuditEvent,
  closeDatabase,
  keyRecordStore,
  migrateToLatest,
  openDatabase,
  putKey,
  queryAuditEvents,
  type AuditEventRecord,
  type KeyRecordFilter,
  type StoreDb,
  type StoredCustodianRecord,
  type StoredKeyAttributes,
  type StoredKeyRecord,
} from '../../src/store/index.ts';

/** True only when A and B are the same type (readonly and optional modifiers included). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

// Exact shapes: a field added, removed or retyped on either side breaks the type check.
export const recordShapesMatch: Equal<StoredKeyRecord<KeyAttributes>, KeyRecord> = true;
export const custodianShapesMatch: Equal<StoredCustodianRecord, CustodianRecord> = true;
export const filterShapesMatch: Equal<KeyRecordFilter, Parameters<KeyRecordStore['listKeys']>[0]> = true;
export const auditFieldsMatch: Equal<keyof AuditEventRecord, keyof AuditEvent> = true;
// Every AuditEvent can be appended as it is.
export const auditEventsFit = (event: AuditEvent): AuditEventRecord => event;

function isCode<T extends object>(table: T, value: string): value is keyof T & string {
  return Object.hasOwn(table, value);
}

/** What tsm/ or cli/ will pass to keyRecordStore: stored codes checked against the X9.143 tables. */
function narrowKeyAttributes(a: StoredKeyAttributes, id: string): KeyAttributes {
  const { usage, algorithm, modeOfUse, exportability } = a;
  if (!isCode(KEY_USAGES, usage) || !isCode(KEY_ALGORITHMS, algorithm) || !isCode(MODES_OF_USE, modeOfUse) || !isCode(EXPORTABILITY, exportability)) {
    throw new Error(`key record ${id}: a stored attribute code is not an X9.143 code`);
  }
  if (!isKeyClass(a.class)) throw new Error(`key record ${id}: unknown key class`);
  return { ...a, usage, algorithm, modeOfUse, exportability, class: a.class };
}

/** The wiring itself: these lines do not compile if the store stops satisfying the HSM's interfaces. */
function wire(db: StoreDb): { store: KeyRecordStore; sink: AuditSink } {
  const store: KeyRecordStore = keyRecordStore(db, narrowKeyAttributes);
  const sink: AuditSink = { record: async (event) => void (await appendAuditEvent(db, event)) };
  return { store, sink };
}

describe('store/ satisfies hsm/', () => {
  it('a KeyRecordStore and an AuditSink over the store keep real TR-31 blocks and audit events', async () => {
    const db = await openDatabase(':memory:');
    try {
      await migrateToLatest(db);
      const { store, sink } = wire(db);
      const lmk = randomBytes(32);
      const keyBlock = wrapKeyBlock(lmk, randomBytes(16), {
        header: { version: 'D', usage: 'B3', algorithm: 'A', modeOfUse: 'X', exportability: 'N' },
      });
      const record: KeyRecord = {
        id: 'key-1',
        attributes: { usage: 'B3', algorithm: 'A', modeOfUse: 'X', exportability: 'N', length: 16, version: 0, owner: 'sp-1', label: 'GP master', class: 'hsm' },
        kcv: 'A1B2C3',
        status: 'active',
        keyBlock,
        lmkKcv: 'D4E5F6',
        createdAt: new Date(0).toISOString(),
        updatedAt: new Date(0).toISOString(),
      };
      await store.putKey(record);
      assert.deepEqual(await store.getKey('key-1'), record);
      assert.deepEqual(await store.listKeys({ owner: 'sp-1', usage: 'B3' }), [record]);
      assert.deepEqual(await store.listKeysNotUnder('FFFFFF', 10), [record]);
      const custodian: CustodianRecord = { name: 'alice', passphraseHash: 'scrypt$16384$8$1$00$11', createdAt: new Date(0).toISOString() };
      await store.putCustodian(custodian);
      assert.deepEqual(await store.listCustodians(), [custodian]);

      const event: AuditEvent = { kind: 'hsm-audit', at: new Date(0).toISOString(), tenant: 'sp-1', actor: 'alice', operation: 'generateKey', keys: [{ id: 'key-1', kcv: 'A1B2C3' }], result: 'ok' };
      await sink.record(event);
      assert.deepEqual((await queryAuditEvents(db, { keyId: 'key-1' })).map((e) => e.event), [event]);

      // A row whose codes the HSM does not know is refused on the way out, not cast.
      await putKey(db, { ...record, id: 'key-2', attributes: { ...record.attributes, usage: 'ZZ' } });
      await assert.rejects(store.getKey('key-2'), /not an X9\.143 code/);
    } finally {
      await closeDatabase(db);
    }
  });

  it('a call with an unusable context is refused (ERR_HSM_PARAM) and its refusal stored, under a placeholder name', async () => {
    const db = await openDatabase(':memory:');
    try {
      await migrateToLatest(db);
      const { store, sink } = wire(db);
      const hsm = new SoftwareHsm({ lmk: generateLmk(), store, audit: sink, scrypt: { N: 1024, r: 8, p: 1 } });
      const spec = { usage: 'D0', algorithm: 'A', modeOfUse: 'B', exportability: 'N', length: 16, owner: 'sp-1' } as const;
      const bad: OperationContext[] = [
        { tenant: '', actor: 'alice' },
        { tenant: 'sp-1', actor: '' },
        { tenant: 'sp\u00001', actor: 'alice' },
        { tenant: 'x'.repeat(300), actor: 'alice' },
        { tenant: 'sp-1', actor: 'alice', requestId: '\uD800' },
        null as unknown as OperationContext,
      ];
      for (const ctx of bad) {
        await assert.rejects(hsm.generateKey(spec, ctx), (e: unknown) => e instanceof OpenTsmError && e.code === 'ERR_HSM_PARAM');
      }
      const events = await queryAuditEvents(db, { operation: 'generateKey' });
      assert.equal(events.length, bad.length);
      for (const { event } of events) assert.equal(event.result, 'refused');
      assert.equal(events.filter(({ event }) => event.tenant === '(invalid context)').length, 4);
      assert.deepEqual(await store.listKeys({}), [], 'nothing stored');
      hsm.close();
    } finally {
      await closeDatabase(db);
    }
  });
});
