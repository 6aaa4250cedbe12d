/**
 * Software backend: LMK change while the HSM serves (rewrapAll), resuming after a failure, and the
 * unwrapped-key cache (bounded in size and time, wiped on close).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { fromHex, toHex } from '../../src/bytes/index.ts';
import { plainScp03Keys } from '../../src/gp/index.ts';
import { MemoryAuditSink, SoftwareHsm, generateLmk, type KeyRecord } from '../../src/hsm/index.ts';
import { SPECS, approvals, importClear, rejectsWith } from './conformance/fixture.ts';
import { CTX, CUSTODIANS, TEST_SCRYPT, softwareHsm } from './software-setup.ts';

const IMK = fromHex('0123456789ABCDEFFEDCBA9876543210');
const request = (imk: string) => ({ imk, profile: 'visa-18' as const, pan: '1234567890123456', psn: '00', atc: fromHex('001C'), data: new Uint8Array(43), arqc: new Uint8Array(8) });

describe('LMK change without downtime', () => {
  it('re-wraps every record in batches while ARQCs and MACs keep being served; the old LMK is destroyed', async () => {
    const t = await softwareHsm();
    try {
      const imk = await importClear(t, SPECS.imkAc, IMK);
      const mac = await t.hsm.generateKey({ ...SPECS.macRetail, length: 16, owner: CTX.tenant }, CTX);
      for (let i = 0; i < 120; i++) await t.hsm.generateKey({ ...SPECS.dataA, length: 16, owner: CTX.tenant }, CTX);
      const pair = await t.hsm.generateKeyPair({ algorithm: 'E', size: 256, usage: 'S0', owner: CTX.tenant }, CTX);
      const gone = await t.hsm.generateKey({ ...SPECS.dataA, length: 16, owner: CTX.tenant }, CTX);
      await t.hsm.destroyKey(gone.id, approvals(t), CTX);
      const oldKcv = t.hsm.lmkKcv;
      const next = generateLmk();

      await rejectsWith(t.hsm.rewrapAll(next, [CUSTODIANS[0]!], CTX), 'ERR_HSM_DUAL_CONTROL');
      let served = 0;
      let done = false;
      const rewrap = t.hsm.rewrapAll(next, approvals(t), CTX, { batchSize: 10 }).finally(() => (done = true));
      while (!done) {
        const r = await t.hsm.verifyArqc(request(imk.id), undefined, CTX);
        assert.equal(r.valid, false); // a zero ARQC: the point is that the call is served
        await t.hsm.generateMac(mac.id, new Uint8Array(8), 'retail-mac', CTX);
        served++;
        assert.ok(served < 100_000, 'the LMK change never finished');
        await new Promise(setImmediate); // a request loop yields to the event loop, as a server's does
      }
      const count = await rewrap;
      assert.ok(served > 3, `only ${served} operations served during the change`);
      assert.equal(count, 124); // imk, mac, 120 data keys, the pair, and the destroyed record (its tombstone moves too)
      assert.equal(t.hsm.lmkKcv, next.kcv);
      const records = JSON.parse(t.store.dump()) as { keys: KeyRecord[] };
      assert.deepEqual([...new Set(records.keys.map((r) => r.lmkKcv))], [next.kcv]);
      assert.equal(t.hsm.cachedKeyCount, 0, 'a new LMK epoch starts with an empty cache');
      assert.ok(t.audit.events.some((e) => e.operation === 'rewrapAll' && e.result === 'ok' && e.detail?.includes(`${oldKcv} -> ${next.kcv}`)));

      // Another node with only the new LMK serves every key; one with only the old LMK serves none.
      const fresh = new SoftwareHsm({ lmk: next, store: t.store, audit: new MemoryAuditSink(), scrypt: TEST_SCRYPT });
      assert.equal((await fresh.verifyArqc(request(imk.id), undefined, CTX)).valid, false);
      assert.equal(await fresh.verify(pair.id, new Uint8Array(4), await fresh.sign(pair.id, new Uint8Array(4), 'ecdsa-sha256', CTX), 'ecdsa-sha256', CTX), true);
      const stale = new SoftwareHsm({ lmk: generateLmk(), store: t.store, audit: new MemoryAuditSink(), scrypt: TEST_SCRYPT });
      await rejectsWith(stale.generateMac(mac.id, new Uint8Array(8), 'retail-mac', CTX), 'ERR_HSM_LMK');
      stale.close();
    } finally {
      await t.close();
    }
  });

  it('stops on a damaged record, keeps serving under both LMKs, and resumes once the record is restored', async () => {
    const t = await softwareHsm();
    try {
      const keys = [];
      for (let i = 0; i < 30; i++) keys.push(await t.hsm.generateKey({ ...SPECS.macRetail, length: 16, owner: CTX.tenant }, CTX));
      const victim = (await t.store.getKey(keys[17]!.id))!;
      await t.store.putKey({ ...victim, keyBlock: victim.keyBlock.replace(/.$/, (c) => (c === '0' ? '1' : '0')) });
      const next = generateLmk();
      await rejectsWith(t.hsm.rewrapAll(next, approvals(t), CTX, { batchSize: 7 }), 'ERR_HSM_KEY_BLOCK');
      const under = new Set((JSON.parse(t.store.dump()) as { keys: KeyRecord[] }).keys.map((r) => r.lmkKcv));
      assert.equal(under.size, 2, 'half way: records under both LMKs');
      for (const k of keys.filter((_, i) => i !== 17)) await t.hsm.generateMac(k.id, new Uint8Array(8), 'retail-mac', CTX);
      await t.store.putKey(victim);
      assert.equal(await t.hsm.rewrapAll(next, approvals(t), CTX, { batchSize: 7 }) > 0, true);
      await t.hsm.generateMac(keys[17]!.id, new Uint8Array(8), 'retail-mac', CTX);
    } finally {
      await t.close();
    }
  });
});

describe('unwrapped-key cache', () => {
  it('keeps at most maxEntries keys, each at most ttlMs, and nothing after close()', async () => {
    const t = await softwareHsm({ keyCache: { ttlMs: 60, maxEntries: 3 } });
    const keys = [];
    for (let i = 0; i < 5; i++) keys.push(await t.hsm.generateKey({ ...SPECS.dataA, length: 16, owner: CTX.tenant }, CTX));
    for (const k of keys) await t.hsm.encryptData(k.id, new Uint8Array(16), { mode: 'ecb' }, CTX);
    assert.equal(t.hsm.cachedKeyCount, 3);
    await sleep(150);
    assert.equal(t.hsm.cachedKeyCount, 0, 'expired keys are wiped by the sweep');
    await t.hsm.encryptData(keys[0]!.id, new Uint8Array(16), { mode: 'ecb' }, CTX);
    assert.equal(t.hsm.cachedKeyCount, 1);
    await t.close();
    assert.equal(t.hsm.cachedKeyCount, 0);
  });

  it('drops a key from the cache when it is destroyed or rotated; keyCache: false keeps nothing', async () => {
    const t = await softwareHsm();
    try {
      const a = await t.hsm.generateKey({ ...SPECS.macRetail, length: 16, owner: CTX.tenant }, CTX);
      await t.hsm.generateMac(a.id, new Uint8Array(8), 'retail-mac', CTX);
      assert.equal(t.hsm.cachedKeyCount, 1);
      await t.hsm.rotateKey(a.id, CTX);
      assert.equal(t.hsm.cachedKeyCount, 0);
    } finally {
      await t.close();
    }
    const none = await softwareHsm({ keyCache: false });
    const k = await none.hsm.generateKey({ ...SPECS.dataA, length: 16, owner: CTX.tenant }, CTX);
    await none.hsm.encryptData(k.id, new Uint8Array(16), { mode: 'ecb' }, CTX);
    assert.equal(none.hsm.cachedKeyCount, 0);
    await none.close();
  });

  it('a cache of one entry: nested key loads of an SCP03 open evict keys still in use without zeroing them (session keys equal the clear-key ones)', async () => {
    const t = await softwareHsm({ keyCache: { ttlMs: 60_000, maxEntries: 1 } });
    try {
      const clear = { enc: fromHex('404142434445464748494A4B4C4D4E4F'), mac: fromHex('505152535455565758595A5B5C5D5E5F'), dek: fromHex('606162636465666768696A6B6C6D6E6F') };
      const enc = await importClear(t, SPECS.gpEnc, clear.enc);
      const mac = await importClear(t, SPECS.gpMac, clear.mac);
      const dek = await importClear(t, SPECS.gpDek, clear.dek);
      const held = await t.hsm.scp03HostKeys({ enc: enc.id, mac: mac.id, dek: dek.id }, 0x30, CTX);
      const plain = plainScp03Keys({ keyVersion: 0x30, ...clear }); // gp/'s clear-key holder, proven on the pySim SCP03 transcripts
      const context = { kdd: fromHex('00010203040506070809'), keyVersion: 0x30, i: 0x70, hostChallenge: fromHex('0001020304050607'), cardChallenge: fromHex('1011121314151617') };
      for (let round = 0; round < 3; round++) {
        const [a, b] = [await held.deriveSession(context), await plain.deriveSession(context)];
        assert.equal(toHex(a.cardCryptogram()), toHex(b.cardCryptogram()));
        assert.equal(toHex(a.hostCryptogram()), toHex(b.hostCryptogram()));
        assert.equal(toHex(a.cMac([fromHex('8482330010')])), toHex(b.cMac([fromHex('8482330010')])));
        assert.equal(toHex(await held.encryptSensitive(new Uint8Array(16), context)), toHex(await plain.encryptSensitive(new Uint8Array(16), context)));
      }
      assert.ok(t.hsm.cachedKeyCount <= 1);
    } finally {
      await t.close();
    }
  });
});
