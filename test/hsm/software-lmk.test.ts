/**
 * Software backend: the LMK (file with mode 0600, or formed from custodians' components), the
 * custodian registry and its bootstrap, printing (KCVs only), close().
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { toHex, xor } from '../../src/bytes/index.ts';
import { kcv, randomBytes } from '../../src/crypto/index.ts';
import { Lmk, MemoryAuditSink, MemoryKeyRecordStore, SoftwareHsm, assembleLmk, createLmkFile, generateLmk, loadLmkFile, writeLmkFile } from '../../src/hsm/index.ts';
import { SPECS, importClear, rejectsWith } from './conformance/fixture.ts';
import { CTX, CUSTODIANS, TEST_SCRYPT, softwareHsm } from './software-setup.ts';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'opentsm-lmk-'));
}

function components(lmk: Uint8Array, count: 2 | 3) {
  const parts = [randomBytes(32)];
  if (count === 3) parts.push(randomBytes(32));
  parts.push(parts.reduce((acc, p) => xor(acc, p), lmk));
  return parts.map((component, i) => ({ credential: CUSTODIANS[i]!, component, kcv: toHex(kcv(component, 'aes-cmac')) }));
}

async function storeWithCustodians(): Promise<MemoryKeyRecordStore> {
  const t = await softwareHsm();
  const store = new MemoryKeyRecordStore();
  for (const c of await t.store.listCustodians()) await store.putCustodian(c);
  await t.close();
  return store;
}

describe('LMK file', () => {
  it('is created with mode 0600 as one line of 64 hex digits, loads back with the same KCV, never overwritten', () => {
    const dir = tempDir();
    try {
      const path = join(dir, 'lmk.hex');
      const created = createLmkFile(path);
      assert.equal(statSync(path).mode & 0o777, 0o600);
      assert.match(readFileSync(path, 'utf8'), /^[0-9A-F]{64}\n$/);
      assert.equal(loadLmkFile(path).kcv, created.kcv);
      assert.throws(() => createLmkFile(path), (e: unknown) => (e as { code?: string }).code === 'ERR_HSM_LMK');
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('writeLmkFile keeps an LMK formed elsewhere (components): the file holds exactly its bytes, never replaces a file', () => {
    const dir = tempDir();
    try {
      const path = join(dir, 'lmk.hex');
      const clear = randomBytes(32);
      const lmk = new Lmk(clear);
      writeLmkFile(path, lmk);
      assert.equal(statSync(path).mode & 0o777, 0o600);
      assert.equal(readFileSync(path, 'utf8'), `${toHex(clear)}\n`);
      assert.equal(toHex(kcv(clear, 'aes-cmac', 3)), loadLmkFile(path).kcv); // crypto/'s KCV (vector-tested) of the clear bytes
      assert.throws(() => writeLmkFile(path, generateLmk()), (e: unknown) => (e as { code?: string }).code === 'ERR_HSM_LMK');
      assert.equal(readFileSync(path, 'utf8'), `${toHex(clear)}\n`, 'the first file is untouched');
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('refuses a file readable or writable by group or others, a malformed file, a missing file', () => {
    const dir = tempDir();
    try {
      const path = join(dir, 'lmk.hex');
      createLmkFile(path);
      for (const mode of [0o640, 0o604, 0o620, 0o666]) {
        chmodSync(path, mode);
        assert.throws(() => loadLmkFile(path), (e: unknown) => (e as { code?: string }).code === 'ERR_HSM_LMK' && /chmod 600/.test((e as Error).message));
      }
      const bad = join(dir, 'bad.hex');
      writeFileSync(bad, 'not an LMK\n', { mode: 0o600 });
      assert.throws(() => loadLmkFile(bad), (e: unknown) => (e as { code?: string }).code === 'ERR_HSM_LMK');
      assert.throws(() => loadLmkFile(join(dir, 'missing')), (e: unknown) => (e as { code?: string }).code === 'ERR_HSM_LMK');
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('prints as its KCV only, and is unusable once destroyed', () => {
    const lmk = generateLmk();
    for (const text of [String(lmk), JSON.stringify({ lmk }), inspect(lmk)]) assert.match(text, new RegExp(`KCV ${lmk.kcv}`));
    const hsm = new SoftwareHsm({ lmk, audit: new MemoryAuditSink() });
    assert.equal(String(hsm), `SoftwareHsm(LMK KCV ${lmk.kcv})`);
    hsm.close();
    assert.equal(lmk.destroyed, true);
    assert.throws(() => new SoftwareHsm({ lmk, audit: new MemoryAuditSink() }), (e: unknown) => (e as { code?: string }).code === 'ERR_HSM_LMK');
  });
});

describe('LMK from custodian components', () => {
  for (const count of [2, 3] as const) {
    it(`forms the LMK from ${count} components of authenticated custodians, checked by KCV`, async () => {
      const store = await storeWithCustodians();
      const clear = randomBytes(32);
      const lmk = await assembleLmk(components(clear, count), { store, scrypt: TEST_SCRYPT, expectedKcv: toHex(kcv(clear, 'aes-cmac')) });
      assert.equal(lmk.kcv, toHex(kcv(clear, 'aes-cmac')));
    });
  }

  it('refuses a wrong component KCV, a bad passphrase, one custodian twice, a single component, an all-zero LMK, a wrong expected KCV', async () => {
    const store = await storeWithCustodians();
    const clear = randomBytes(32);
    const parts = components(clear, 2);
    const code = (c: string) => (e: unknown) => (e as { code?: string }).code === c;
    await assert.rejects(assembleLmk([parts[0]!, { ...parts[1]!, kcv: '000000' }], { store, scrypt: TEST_SCRYPT }), code('ERR_HSM_KCV'));
    await assert.rejects(assembleLmk([parts[0]!, { ...parts[1]!, credential: { custodian: 'bob', passphrase: 'guess guess guess' } }], { store, scrypt: TEST_SCRYPT }), code('ERR_HSM_CUSTODIAN'));
    await assert.rejects(assembleLmk([parts[0]!, { ...parts[1]!, credential: CUSTODIANS[0]! }], { store, scrypt: TEST_SCRYPT }), code('ERR_HSM_DUAL_CONTROL'));
    await assert.rejects(assembleLmk([parts[0]!], { store, scrypt: TEST_SCRYPT }), code('ERR_HSM_DUAL_CONTROL'));
    await assert.rejects(assembleLmk([parts[0]!, { ...parts[0]!, credential: CUSTODIANS[1]! }], { store, scrypt: TEST_SCRYPT }), code('ERR_HSM_WEAK_KEY'));
    await assert.rejects(assembleLmk(parts, { store, scrypt: TEST_SCRYPT, expectedKcv: '123456' }), code('ERR_HSM_KCV'));
  });

  it('keys sealed under an assembled LMK open under the same LMK assembled again', async () => {
    const store = await storeWithCustodians();
    const clear = randomBytes(32);
    const audit = new MemoryAuditSink();
    const first = new SoftwareHsm({ lmk: await assembleLmk(components(clear, 2), { store, scrypt: TEST_SCRYPT }), store, audit, scrypt: TEST_SCRYPT });
    const t = { hsm: first, ctx: CTX, otherCtx: CTX, custodians: CUSTODIANS, auditEvents: () => audit.events, close: () => first.close() };
    const h = await importClear(t, SPECS.dataA, Uint8Array.from({ length: 16 }, (_, i) => i));
    const c1 = await first.encryptData(h.id, new Uint8Array(16), { mode: 'ecb' }, CTX);
    first.close();
    const second = new SoftwareHsm({ lmk: await assembleLmk(components(clear, 3), { store, scrypt: TEST_SCRYPT }), store, audit, scrypt: TEST_SCRYPT });
    assert.equal(toHex(await second.encryptData(h.id, new Uint8Array(16), { mode: 'ecb' }, CTX)), toHex(c1));
    second.close();
  });
});

describe('custodians', () => {
  it('bootstrap: the first registers alone; later ones need an existing custodian, not themselves', async () => {
    const hsm = new SoftwareHsm({ lmk: generateLmk(), audit: new MemoryAuditSink(), scrypt: TEST_SCRYPT });
    await rejectsWith(hsm.registerCustodian(CUSTODIANS[0]!, CUSTODIANS[1], CTX), 'ERR_HSM_PARAM');
    await hsm.registerCustodian(CUSTODIANS[0]!, undefined, CTX);
    await rejectsWith(hsm.registerCustodian(CUSTODIANS[1]!, undefined, CTX), 'ERR_HSM_DUAL_CONTROL');
    await rejectsWith(hsm.registerCustodian(CUSTODIANS[1]!, CUSTODIANS[1], CTX), 'ERR_HSM_CUSTODIAN');
    await rejectsWith(hsm.registerCustodian(CUSTODIANS[1]!, { custodian: 'alice', passphrase: 'wrong wrong wrong' }, CTX), 'ERR_HSM_CUSTODIAN');
    await hsm.registerCustodian(CUSTODIANS[1]!, CUSTODIANS[0], CTX);
    await rejectsWith(hsm.registerCustodian(CUSTODIANS[0]!, CUSTODIANS[1], CTX), 'ERR_HSM_PARAM');
    await rejectsWith(hsm.registerCustodian({ custodian: 'mallory', passphrase: 'short' }, CUSTODIANS[0], CTX), 'ERR_HSM_PARAM');
    await rejectsWith(hsm.registerCustodian({ custodian: 'bad name!', passphrase: 'long enough passphrase' }, CUSTODIANS[0], CTX), 'ERR_HSM_PARAM');
    hsm.close();
  });

  it('stores only scrypt hashes; a hash edited below the cost floor no longer authenticates', async () => {
    const t = await softwareHsm();
    try {
      const records = await t.store.listCustodians();
      assert.equal(records.length, 3);
      for (const r of records) assert.match(r.passphraseHash, /^scrypt\$1024\$8\$1\$[0-9A-F]{32}\$[0-9A-F]{64}$/);
      assert.ok(!t.store.dump().includes(CUSTODIANS[0]!.passphrase));
      const alice = records.find((r) => r.name === 'alice')!;
      await t.store.putCustodian({ ...alice, passphraseHash: alice.passphraseHash.replace('scrypt$1024$', 'scrypt$2$') });
      const key = await t.hsm.generateKey({ ...SPECS.dataA, length: 16, owner: CTX.tenant }, CTX);
      await rejectsWith(t.hsm.destroyKey(key.id, [CUSTODIANS[0]!, CUSTODIANS[1]!], CTX), 'ERR_HSM_CUSTODIAN');
    } finally {
      await t.close();
    }
  });

  it('after close() every call is refused and audited', async () => {
    const t = await softwareHsm();
    await t.close();
    await rejectsWith(t.hsm.random(8, CTX), 'ERR_HSM_STATE');
    assert.deepEqual([t.audit.events.at(-1)!.operation, t.audit.events.at(-1)!.code], ['random', 'ERR_HSM_STATE']);
  });
});
