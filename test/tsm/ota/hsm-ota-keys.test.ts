/**
 * hsmOtaHostKeys on the software HSM: the vector suite (hsm-ota-keys-suite.ts: every pySim and
 * asterix SCP80 command packet sealed byte for byte, the pySim PoRs opened), then encrypt, decrypt
 * and cc equal to the clear-key implementation for AES and 3DES with two and three keys; single DES
 * is refused with ERR_OTA_UNSUPPORTED (the HSM holds no single-length keys); the keys print by
 * handle and KCV only.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../../src/bytes/index.ts';
import { plainOtaHostKeys, type OtaAlgorithm } from '../../../src/ota/index.ts';
import { hsmOtaHostKeys } from '../../../src/tsm/ota/hsm-ota-keys.ts';
import { rejectsWith } from '../../hsm/conformance/fixture.ts';
import { softwareSetup } from '../../hsm/software-setup.ts';
import { hsmOtaKeysSuite, hsmWith as hsmWithKeys } from './hsm-ota-keys-suite.ts';

hsmOtaKeysSuite('the software HSM', softwareSetup);

const hsmWith = (kicKey: Uint8Array, kidKey: Uint8Array, algorithm: 'A' | 'T') => hsmWithKeys(softwareSetup, kicKey, kidKey, algorithm);

describe('hsmOtaHostKeys', () => {
  const aesKic = fromHex('000102030405060708090A0B0C0D0E0F');
  const aesKid = fromHex('0F0E0D0C0B0A09080706050403020100');
  const data = fromHex('00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF');

  const cases: readonly { algorithm: OtaAlgorithm; kic: Uint8Array; kid: Uint8Array; hsm: 'A' | 'T' }[] = [
    { algorithm: 'aes', kic: aesKic, kid: aesKid, hsm: 'A' },
    { algorithm: '3des-2key', kic: fromHex('2233445566778899AABBCCDDEEFF0011'), kid: fromHex('456789ABCDEF012356789ABCDEF01234'), hsm: 'T' },
    { algorithm: '3des-3key', kic: fromHex('0956F342366C6C92F32D5392ECB1CBD5C051DB484843F0EB'), kid: fromHex('9CD41F792BC38C08A5DF849B4118C71AEA4D8192207297C8'), hsm: 'T' },
  ];
  for (const c of cases) {
    it(`${c.algorithm}: encrypt, decrypt and cc equal the clear-key implementation (aligned, unaligned and empty CC input)`, async () => {
      const { t, keys } = await hsmWith(c.kic, c.kid, c.hsm);
      try {
        const plain = plainOtaHostKeys({ key: c.kic, algorithm: c.algorithm }, { key: c.kid, algorithm: c.algorithm });
        const o = { algorithm: c.algorithm };
        const ciphertext = await keys.encrypt(data, o);
        assert.deepEqual(ciphertext, await plain.encrypt(data, o));
        assert.deepEqual(await keys.decrypt(ciphertext, o), data);
        for (const n of [0, 1, 8, 21, 32]) {
          const cc = await keys.cc(data.subarray(0, n), o);
          assert.equal(cc.length, 8);
          assert.deepEqual(cc, await plain.cc(data.subarray(0, n), o), `CC of ${n} bytes`);
        }
      } finally {
        await t.close();
      }
    });
  }

  it('prints handles and KCVs, never key bytes', async () => {
    const { t, kic, kid, keys } = await hsmWith(aesKic, aesKid, 'A');
    try {
      assert.equal(String(keys), `OtaHostKeys(KIc HSM key ${kic.id}, KID HSM key ${kid.id})`);
      await keys.encrypt(new Uint8Array(16), { algorithm: 'aes' });
      await keys.cc(new Uint8Array(3), { algorithm: 'aes' });
      const s = `${String(keys)} ${JSON.stringify({ keys })}`;
      assert.ok(s.includes(`KCV ${kic.kcv}`) && s.includes(`KCV ${kid.kcv}`), s);
      for (const k of [aesKic, aesKid]) assert.ok(!s.toUpperCase().includes(toHex(k).toUpperCase()));
    } finally {
      await t.close();
    }
  });

  it('refuses single DES, a key of the wrong algorithm or length, and a key the HSM does not let it use', async () => {
    const { t, kic, kid, keys } = await hsmWith(aesKic, aesKid, 'A');
    try {
      for (const algorithm of ['des-cbc', 'des-ecb'] as const) {
        await rejectsWith(keys.encrypt(new Uint8Array(8), { algorithm }), 'ERR_OTA_UNSUPPORTED');
        await rejectsWith(keys.cc(new Uint8Array(8), { algorithm }), 'ERR_OTA_UNSUPPORTED');
      }
      await rejectsWith(keys.encrypt(new Uint8Array(8), { algorithm: '3des-2key' }), 'ERR_OTA_KEY');
      await rejectsWith(keys.cc(new Uint8Array(8), { algorithm: '3des-2key' }), 'ERR_OTA_KEY');
      // the KIc and KID swapped: the HSM's usage policy refuses (a D0 key never MACs, an M6 key never encrypts)
      const swapped = hsmOtaHostKeys(t.hsm, t.ctx, { kic: kid.id, kid: kic.id });
      await rejectsWith(swapped.encrypt(new Uint8Array(16), { algorithm: 'aes' }), 'ERR_HSM_USAGE');
      await rejectsWith(swapped.cc(new Uint8Array(16), { algorithm: 'aes' }), 'ERR_HSM_USAGE');
      // another tenant's context cannot reach the keys
      await rejectsWith(hsmOtaHostKeys(t.hsm, t.otherCtx, { kic: kic.id, kid: kid.id }).encrypt(new Uint8Array(16), { algorithm: 'aes' }), 'ERR_HSM_TENANT');
      assert.throws(() => hsmOtaHostKeys(t.hsm, t.ctx, { kic: '', kid: kid.id }), (e: unknown) => (e as { code?: string }).code === 'ERR_OTA_PARAM');
    } finally {
      await t.close();
    }
  });
});
