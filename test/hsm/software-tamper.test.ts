/**
 * Software backend: a key record edited in the store (someone with write access to the database)
 * is refused with a typed error, whatever field was changed, with the key cache warm or cold; and
 * hostile input to any method ends in a typed error with nothing stored.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OpenTsmError, fromHex } from '../../src/bytes/index.ts';
import type { KeyRecord } from '../../src/hsm/index.ts';
import { SPECS, approvals, importClear, rejectsWith } from './conformance/fixture.ts';
import { softwareHsm, type SoftwareUnderTest } from './software-setup.ts';

const IMK = fromHex('0123456789ABCDEFFEDCBA9876543210');
const KBPK = fromHex('88E1AB2A2E3DD38C1FA039A536500CC8A87AB9D62DC92C01058FA79F44657DE6');

async function edit(t: SoftwareUnderTest, id: string, change: (r: KeyRecord) => KeyRecord): Promise<void> {
  const record = await t.store.getKey(id);
  assert.ok(record !== undefined);
  await t.store.putKey(change(record));
}

const arqc = (imk: string) => ({ imk, profile: 'visa-18' as const, pan: '1234567890123456', psn: '00', atc: fromHex('001C'), data: new Uint8Array(43), arqc: new Uint8Array(8) });

/** Each case: edit a record, then the operation that must now fail, and the code. */
const CASES: readonly { name: string; run: (t: SoftwareUnderTest) => Promise<{ code: string; attempt: Promise<unknown> }> }[] = [
  {
    name: 'usage E0 → M3 (to MAC with an issuer master key)',
    run: async (t) => {
      const h = await importClear(t, SPECS.imkAc, IMK);
      await t.hsm.verifyArqc(arqc(h.id), undefined, t.ctx);
      await edit(t, h.id, (r) => ({ ...r, attributes: { ...r.attributes, usage: 'M3', modeOfUse: 'C' } }));
      return { code: 'ERR_HSM_KEY_BLOCK', attempt: t.hsm.generateMac(h.id, new Uint8Array(8), 'retail-mac', t.ctx) };
    },
  },
  {
    name: 'exportability N → E (to export it)',
    run: async (t) => {
      const kbpk = await importClear(t, SPECS.kbpkA, KBPK);
      const secret = await t.hsm.generateKey({ ...SPECS.dataA, exportability: 'N', length: 16, owner: t.ctx.tenant }, t.ctx);
      await edit(t, secret.id, (r) => ({ ...r, attributes: { ...r.attributes, exportability: 'E' } }));
      return { code: 'ERR_HSM_KEY_BLOCK', attempt: t.hsm.exportKeyBlock(kbpk.id, secret.id, approvals(t), t.ctx) };
    },
  },
  {
    name: 'owner → another tenant (to use it there)',
    run: async (t) => {
      const h = await importClear(t, SPECS.imkAc, IMK);
      await edit(t, h.id, (r) => ({ ...r, attributes: { ...r.attributes, owner: t.otherCtx.tenant } }));
      return { code: 'ERR_HSM_KEY_BLOCK', attempt: t.hsm.verifyArqc(arqc(h.id), undefined, t.otherCtx) };
    },
  },
  {
    name: 'status retired → active (to create with an old key)',
    run: async (t) => {
      const h = await importClear(t, SPECS.macRetail, IMK);
      await t.hsm.rotateKey(h.id, t.ctx);
      await edit(t, h.id, (r) => ({ ...r, status: 'active' }));
      return { code: 'ERR_HSM_KEY_BLOCK', attempt: t.hsm.generateMac(h.id, new Uint8Array(8), 'retail-mac', t.ctx) };
    },
  },
  {
    name: 'class hsm → protocol-memory (to read it out)',
    run: async (t) => {
      const h = await importClear(t, SPECS.dataA, fromHex('000102030405060708090A0B0C0D0E0F'));
      await edit(t, h.id, (r) => ({ ...r, attributes: { ...r.attributes, class: 'protocol-memory' } }));
      return { code: 'ERR_HSM_KEY_BLOCK', attempt: t.hsm.revealProtocolKey(h.id, t.ctx) };
    },
  },
  {
    name: 'class hsm → transient (to destroy it without custodians)',
    run: async (t) => {
      const h = await importClear(t, SPECS.dataA, fromHex('000102030405060708090A0B0C0D0E0F'));
      await edit(t, h.id, (r) => ({ ...r, attributes: { ...r.attributes, class: 'transient' } }));
      return { code: 'ERR_HSM_KEY_BLOCK', attempt: t.hsm.destroyKey(h.id, [], t.ctx) };
    },
  },
  {
    name: 'label GP-ENC → GP-MAC, version, length, KCV',
    run: async (t) => {
      const a = await importClear(t, SPECS.gpEnc, fromHex('000102030405060708090A0B0C0D0E0F'));
      await edit(t, a.id, (r) => ({ ...r, attributes: { ...r.attributes, label: 'GP-MAC' } }));
      await rejectsWith(t.hsm.getKey(a.id, t.ctx), 'ERR_HSM_KEY_BLOCK');
      const b = await importClear(t, SPECS.dataA, fromHex('101112131415161718191A1B1C1D1E1F'));
      await edit(t, b.id, (r) => ({ ...r, attributes: { ...r.attributes, version: 5 } }));
      await rejectsWith(t.hsm.getKey(b.id, t.ctx), 'ERR_HSM_KEY_BLOCK');
      const c = await importClear(t, SPECS.dataA, fromHex('202122232425262728292A2B2C2D2E2F'));
      await edit(t, c.id, (r) => ({ ...r, attributes: { ...r.attributes, length: 32 } }));
      await rejectsWith(t.hsm.getKey(c.id, t.ctx), 'ERR_HSM_KEY_BLOCK');
      const d = await importClear(t, SPECS.dataA, fromHex('303132333435363738393A3B3C3D3E3F'));
      await edit(t, d.id, (r) => ({ ...r, kcv: '000000' }));
      return { code: 'ERR_HSM_KEY_BLOCK', attempt: t.hsm.encryptData(d.id, new Uint8Array(16), { mode: 'ecb' }, t.ctx) };
    },
  },
  {
    name: 'key blocks swapped between two records of the same tenant and attributes',
    run: async (t) => {
      const a = await importClear(t, SPECS.imkAc, IMK);
      const b = await t.hsm.generateKey({ ...SPECS.imkAc, length: 16, owner: t.ctx.tenant }, t.ctx);
      const blockB = (await t.store.getKey(b.id))!.keyBlock;
      await edit(t, a.id, (r) => ({ ...r, keyBlock: blockB }));
      return { code: 'ERR_HSM_KEY_BLOCK', attempt: t.hsm.verifyArqc(arqc(a.id), undefined, t.ctx) };
    },
  },
  {
    name: 'a flipped character in the key block',
    run: async (t) => {
      const h = await importClear(t, SPECS.imkAc, IMK);
      await edit(t, h.id, (r) => ({ ...r, keyBlock: r.keyBlock.slice(0, 60) + (r.keyBlock[60] === 'A' ? 'B' : 'A') + r.keyBlock.slice(61) }));
      return { code: 'ERR_HSM_KEY_BLOCK', attempt: t.hsm.verifyArqc(arqc(h.id), undefined, t.ctx) };
    },
  },
  {
    name: 'the LMK KCV of the record',
    run: async (t) => {
      const h = await importClear(t, SPECS.imkAc, IMK);
      await edit(t, h.id, (r) => ({ ...r, lmkKcv: 'ABCDEF' }));
      return { code: 'ERR_HSM_LMK', attempt: t.hsm.verifyArqc(arqc(h.id), undefined, t.ctx) };
    },
  },
  {
    name: 'public keys swapped between two key pairs (to make a forged signature verify)',
    run: async (t) => {
      const a = await t.hsm.generateKeyPair({ algorithm: 'E', size: 256, usage: 'S0', owner: t.ctx.tenant }, t.ctx);
      const b = await t.hsm.generateKeyPair({ algorithm: 'E', size: 256, usage: 'S0', owner: t.ctx.tenant }, t.ctx);
      const data = new Uint8Array(10);
      const forged = await t.hsm.sign(b.id, data, 'ecdsa-sha256', t.ctx);
      const pkB = (await t.store.getKey(b.id))!.publicKey;
      await edit(t, a.id, (r) => ({ ...r, publicKey: pkB }));
      return { code: 'ERR_HSM_KEY_BLOCK', attempt: t.hsm.verify(a.id, data, forged, 'ecdsa-sha256', t.ctx) };
    },
  },
];

describe('software HSM: edited key records are refused', () => {
  for (const cache of [true, false]) {
    for (const c of CASES) {
      it(`${c.name} (key cache ${cache ? 'on' : 'off'})`, async () => {
        const t = await softwareHsm(cache ? {} : { keyCache: false });
        try {
          const { code, attempt } = await c.run(t);
          const error = await rejectsWith(attempt, code);
          assert.doesNotMatch(error.message, /[0-9A-F]{32}/);
          const last = t.audit.events.at(-1)!;
          assert.deepEqual([last.result, last.code], [code === 'ERR_HSM_KEY_BLOCK' || code === 'ERR_HSM_LMK' ? 'failed' : 'refused', code]);
        } finally {
          await t.close();
        }
      });
    }
  }
});

describe('software HSM: hostile input ends in a typed error, nothing stored', () => {
  it('malformed arguments to every kind of method', async () => {
    const t = await softwareHsm();
    try {
      const imk = await importClear(t, SPECS.imkAc, IMK);
      const zpk = await importClear(t, SPECS.pinT, IMK);
      const before = t.store.dump().length;
      const attempts: Promise<unknown>[] = [
        t.hsm.verifyArqc({ ...arqc(imk.id), atc: Uint8Array.of(1) }, undefined, t.ctx),
        t.hsm.verifyArqc({ ...arqc(imk.id), profile: 'visa-99' as never }, undefined, t.ctx),
        t.hsm.verifyArqc({ ...arqc(imk.id), pan: '12345678901234567890123' }, undefined, t.ctx),
        t.hsm.verifyArqc(arqc(imk.id), { method: 1, arc: Uint8Array.of(1, 2) }, t.ctx),
        t.hsm.verifyArqc(null as never, undefined, t.ctx),
        t.hsm.translatePinBlock({ key: zpk.id, format: 0, block: new Uint8Array(7), pan: '5555555551234567' }, { key: zpk.id, format: 3, pan: '5555555551234567' }, t.ctx),
        t.hsm.translatePinBlock({ key: zpk.id, format: 9 as never, block: new Uint8Array(8) }, { key: zpk.id, format: 1 }, t.ctx),
        t.hsm.importKeyBlock(imk.id, 'D0016', { owner: t.ctx.tenant }, t.ctx),
        t.hsm.importComponents({ ...SPECS.dataA, length: 16, owner: t.ctx.tenant }, null as never, t.ctx),
        t.hsm.importComponents({ ...SPECS.dataA, length: 16, owner: t.ctx.tenant }, [{}, {}] as never, t.ctx),
        t.hsm.generateKey(undefined as never, t.ctx),
        t.hsm.generateMac(imk.id, 'text' as never, 'retail-mac', t.ctx),
        t.hsm.diversifyGpKeys({ enc: imk.id, mac: imk.id, dek: imk.id }, new Uint8Array(3), 'kdf3', { owner: t.ctx.tenant }, t.ctx),
        t.hsm.exportDerivedKeyForCard({ derive: { kind: 'nope' } as never, dek: imk.id, scp: 3 }, t.ctx),
        t.hsm.getKey(imk.id, { tenant: '', actor: '' }),
        t.hsm.sign(imk.id, new Uint8Array(4), 'rsa-pkcs1-sha256', t.ctx),
        t.hsm.random(1e9, t.ctx),
      ];
      for (const attempt of attempts) {
        await assert.rejects(attempt, (e: unknown) => e instanceof OpenTsmError && /^ERR_[A-Z_]+$/.test(String(e.code)));
      }
      assert.equal(t.store.dump().length, before, 'nothing stored');
    } finally {
      await t.close();
    }
  });
});
