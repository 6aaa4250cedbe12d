/**
 * hsmOtaHostKeys: the pySim SCP80 vectors (osmocom/pysim tests/unittests/test_ota.py, as
 * test/ota/pysim-vectors.test.ts reads them) sealed with the keys in a SoftwareHsm give the vectors'
 * command packets byte for byte; what the HSM cannot compute (a DES/3DES CC, single DES) is refused
 * with ERR_OTA_UNSUPPORTED; the keys print by handle and KCV only.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../../src/bytes/index.ts';
import { parseSpi, plainOtaHostKeys, sealCommandPacket, unwrapCommandPacket, type OtaAlgorithm } from '../../../src/ota/index.ts';
import { hsmOtaHostKeys } from '../../../src/tsm/ota/hsm-ota-keys.ts';
import { importClear, rejectsWith } from '../../hsm/conformance/fixture.ts';
import { softwareHsm } from '../../hsm/software-setup.ts';
import { loadVectors } from '../../helpers/vectors.ts';

interface Vector {
  name: string;
  inputs: { spi: string; kic: string; kid: string; kic_key: string; kid_key: string; tar?: string; cntr?: string; secured_data_plain?: string };
  expected: { command_packet?: string; command_packet_spec?: string };
}

const file = loadVectors<{ vectors: Vector[] }>('ota/pysim.json');
const commandVectors = file.vectors.filter((v) => v.inputs.secured_data_plain !== undefined);

/** The vector's keys imported into a fresh SoftwareHsm: KIc as D0 (encrypt/decrypt), KID as M6 (CMAC) for AES, M1 otherwise. */
async function hsmWith(kicKey: Uint8Array, kidKey: Uint8Array, algorithm: 'A' | 'T') {
  const t = await softwareHsm();
  const kic = await importClear(t, { usage: 'D0', algorithm, modeOfUse: 'B', exportability: 'N', label: 'OTA KIc' }, kicKey);
  const kid = await importClear(t, { usage: algorithm === 'A' ? 'M6' : 'M1', algorithm, modeOfUse: 'C', exportability: 'N', label: 'OTA KID' }, kidKey);
  return { t, kic, kid, keys: hsmOtaHostKeys(t.hsm, t.ctx, { kic: kic.id, kid: kid.id }) };
}

describe(`hsmOtaHostKeys against the pySim vectors (${commandVectors.length} command packets)`, () => {
  assert.ok(commandVectors.length >= 5);
  for (const v of commandVectors) {
    const spi = parseSpi(fromHex(v.inputs.spi.slice(0, 4)));
    const kicByte = parseInt(v.inputs.kic, 16);
    const kidByte = parseInt(v.inputs.kid, 16);
    const aes = (kicByte & 0x0f) === 0x2;
    const fields = { spi, kic: kicByte, kid: kidByte, tar: fromHex(v.inputs.tar!), counter: fromHex(v.inputs.cntr!), data: fromHex(v.inputs.secured_data_plain!) };
    const expected = v.expected.command_packet ?? v.expected.command_packet_spec!;
    const desCc = spi.rcCcDs === 'cc' && !aes;
    it(`${v.name}: ${desCc ? 'a DES/3DES CC is refused clearly' : 'sealed in the HSM, byte for byte'}`, async () => {
      const { t, keys } = await hsmWith(fromHex(v.inputs.kic_key), fromHex(v.inputs.kid_key), aes ? 'A' : 'T');
      try {
        if (desCc) {
          const e = await rejectsWith(sealCommandPacket(keys, fields), 'ERR_OTA_UNSUPPORTED');
          assert.match(e.message, /ISO 9797-1/);
          return;
        }
        const packet = await sealCommandPacket(keys, fields);
        assert.equal(toHex(packet).toLowerCase(), expected);
        // and the card side (clear keys) opens it
        const cmd = unwrapCommandPacket({ kic: fromHex(v.inputs.kic_key), kid: fromHex(v.inputs.kid_key) }, packet, {});
        assert.equal(toHex(cmd.data).toLowerCase(), v.inputs.secured_data_plain);
      } finally {
        await t.close();
      }
    });
  }
});

describe('hsmOtaHostKeys', () => {
  const aesKic = fromHex('000102030405060708090A0B0C0D0E0F');
  const aesKid = fromHex('0F0E0D0C0B0A09080706050403020100');

  it('encrypt, decrypt and cc equal the clear-key implementation (AES)', async () => {
    const { t, keys } = await hsmWith(aesKic, aesKid, 'A');
    try {
      const plain = plainOtaHostKeys({ key: aesKic, algorithm: 'aes' }, { key: aesKid, algorithm: 'aes' });
      const data = fromHex('00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF');
      const o = { algorithm: 'aes' as OtaAlgorithm };
      const c = await keys.encrypt(data, o);
      assert.deepEqual(c, await plain.encrypt(data, o));
      assert.deepEqual(await keys.decrypt(c, o), data);
      assert.deepEqual(await keys.cc(data.subarray(0, 21), o), await plain.cc(data.subarray(0, 21), o));
      assert.equal((await keys.cc(data, o)).length, 8);
    } finally {
      await t.close();
    }
  });

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

  it('refuses single DES, a key of the wrong algorithm, and a key the HSM does not let it use', async () => {
    const { t, kic, kid, keys } = await hsmWith(aesKic, aesKid, 'A');
    try {
      await rejectsWith(keys.encrypt(new Uint8Array(8), { algorithm: 'des-cbc' }), 'ERR_OTA_UNSUPPORTED');
      await rejectsWith(keys.encrypt(new Uint8Array(8), { algorithm: 'des-ecb' }), 'ERR_OTA_UNSUPPORTED');
      await rejectsWith(keys.encrypt(new Uint8Array(8), { algorithm: '3des-2key' }), 'ERR_OTA_KEY');
      await rejectsWith(keys.cc(new Uint8Array(8), { algorithm: '3des-2key' }), 'ERR_OTA_UNSUPPORTED');
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
