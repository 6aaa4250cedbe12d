/**
 * hsmOtaHostKeys: every published SCP80 command vector (osmocom/pysim tests/unittests/test_ota.py,
 * as test/ota/pysim-vectors.test.ts reads them; suma12/asterix SecurePacket.py tests: 3DES with two
 * and three keys) sealed with the keys in a SoftwareHsm gives the vector's command packet byte for
 * byte — AES (CMAC) and 3DES (ISO 9797-1 MAC algorithm 1, padding method 1) CCs alike — and the
 * pySim PoRs open with them; single DES is refused with ERR_OTA_UNSUPPORTED (the HSM holds no
 * single-length keys); the keys print by handle and KCV only.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../../src/bytes/index.ts';
import {
  openResponsePacket,
  parseKeyId,
  parseSpi,
  plainOtaHostKeys,
  sealCommandPacket,
  unwrapCommandPacket,
  type OtaAlgorithm,
} from '../../../src/ota/index.ts';
import { hsmOtaHostKeys } from '../../../src/tsm/ota/hsm-ota-keys.ts';
import { importClear, rejectsWith } from '../../hsm/conformance/fixture.ts';
import { softwareHsm } from '../../hsm/software-setup.ts';
import { loadVectors } from '../../helpers/vectors.ts';

interface Vector {
  name: string;
  inputs: { spi: string; kic: string; kid: string; kic_key: string; kid_key: string; tar?: string; cntr?: string; secured_data_plain?: string; por_ud?: string };
  expected: {
    command_packet?: string;
    command_packet_spec?: string;
    por_ud?: string;
    por_decoded?: { status: string; cntr: string; pcntr: number; secured_data: string };
    tar?: string;
    cntr?: string;
    pcntr?: number;
    status?: string;
    secured_data?: string;
  };
}

const vectors = [...loadVectors<{ vectors: Vector[] }>('ota/pysim.json').vectors, ...loadVectors<{ vectors: Vector[] }>('ota/asterix.json').vectors];
const commandVectors = vectors.filter((v) => v.inputs.secured_data_plain !== undefined);
const porVectors = vectors.filter((v) => (v.expected.por_ud ?? v.inputs.por_ud) !== undefined);

/** The HSM key algorithm of an OTA key byte: AES ('A') or TDES ('T'). */
function hsmAlgorithm(keyByte: number): 'A' | 'T' {
  return parseKeyId(keyByte, 'KIc').algorithm === 'aes' ? 'A' : 'T';
}

/** The vector's keys imported into a fresh SoftwareHsm: KIc as D0 (encrypt/decrypt); KID as M6 (CMAC) for AES, M1 (ISO 9797-1 MAC algorithm 1) for 3DES. */
async function hsmWith(kicKey: Uint8Array, kidKey: Uint8Array, algorithm: 'A' | 'T') {
  const t = await softwareHsm();
  const kic = await importClear(t, { usage: 'D0', algorithm, modeOfUse: 'B', exportability: 'N', label: 'OTA KIc' }, kicKey);
  const kid = await importClear(t, { usage: algorithm === 'A' ? 'M6' : 'M1', algorithm, modeOfUse: 'C', exportability: 'N', label: 'OTA KID' }, kidKey);
  return { t, kic, kid, keys: hsmOtaHostKeys(t.hsm, t.ctx, { kic: kic.id, kid: kid.id }) };
}

describe(`hsmOtaHostKeys against the pySim and asterix vectors (${commandVectors.length} command packets, ${porVectors.length} PoRs)`, () => {
  assert.ok(commandVectors.length >= 10);
  assert.ok(commandVectors.filter((v) => parseSpi(fromHex(v.inputs.spi.slice(0, 4))).rcCcDs === 'cc' && hsmAlgorithm(parseInt(v.inputs.kid, 16)) === 'T').length >= 7);
  for (const v of commandVectors) {
    const spi = parseSpi(fromHex(v.inputs.spi.slice(0, 4)));
    const kicByte = parseInt(v.inputs.kic, 16);
    const kidByte = parseInt(v.inputs.kid, 16);
    const fields = { spi, kic: kicByte, kid: kidByte, tar: fromHex(v.inputs.tar!), counter: fromHex(v.inputs.cntr!), data: fromHex(v.inputs.secured_data_plain!) };
    const expected = v.expected.command_packet ?? v.expected.command_packet_spec!;
    const what = `${parseKeyId(kidByte, 'KID').algorithm}${spi.rcCcDs === 'cc' ? ' CC' : ''}${spi.ciphered ? ', ciphered' : ''}`;
    it(`${v.name} (${what}): sealed in the HSM, byte for byte; the card (clear keys) opens it`, async () => {
      const { t, keys } = await hsmWith(fromHex(v.inputs.kic_key), fromHex(v.inputs.kid_key), hsmAlgorithm(kicByte));
      try {
        const packet = await sealCommandPacket(keys, fields);
        assert.equal(toHex(packet).toLowerCase(), expected);
        const cmd = unwrapCommandPacket({ kic: fromHex(v.inputs.kic_key), kid: fromHex(v.inputs.kid_key) }, packet, { storedCounter: new Uint8Array(5) });
        assert.equal(toHex(cmd.data).toLowerCase(), v.inputs.secured_data_plain);
      } finally {
        await t.close();
      }
    });
  }
  for (const v of porVectors) {
    const spi = parseSpi(fromHex(v.inputs.spi.slice(0, 4)));
    const kic = parseInt(v.inputs.kic, 16);
    const kid = parseInt(v.inputs.kid, 16);
    const d = v.expected.por_decoded ?? { status: v.expected.status!, cntr: v.expected.cntr!, pcntr: v.expected.pcntr!, secured_data: v.expected.secured_data! };
    const tar = v.inputs.tar ?? v.expected.tar!;
    it(`${v.name}: the PoR opens with the HSM keys (deciphered, CC checked)`, async () => {
      const { t, keys } = await hsmWith(fromHex(v.inputs.kic_key), fromHex(v.inputs.kid_key), hsmAlgorithm(kic));
      try {
        const por = await openResponsePacket(keys, fromHex((v.expected.por_ud ?? v.inputs.por_ud)!), { spi, kic, kid, tar: fromHex(tar), counter: fromHex(d.cntr) });
        assert.equal(por.status, parseInt(d.status, 16));
        assert.equal(por.pcntr, d.pcntr);
        assert.equal(toHex(por.data).toLowerCase(), d.secured_data);
        // one flipped bit in the PoR's CC or ciphertext: refused
        if (spi.porRcCcDs === 'cc') {
          const bad = fromHex((v.expected.por_ud ?? v.inputs.por_ud)!);
          bad[bad.length - 1]! ^= 0x01;
          await assert.rejects(openResponsePacket(keys, bad, { spi, kic, kid, tar: fromHex(tar), counter: fromHex(d.cntr) }));
        }
      } finally {
        await t.close();
      }
    });
  }
});

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

  it('3DES: a KID of two keys for a three-key packet is refused, and a TDES CMAC (M6) or data (D0) key never makes the DES CC', async () => {
    const c = cases[1]!;
    const { t, kic, kid, keys } = await hsmWith(c.kic, c.kid, 'T');
    try {
      await rejectsWith(keys.cc(new Uint8Array(8), { algorithm: '3des-3key' }), 'ERR_OTA_KEY');
      await rejectsWith(keys.encrypt(new Uint8Array(8), { algorithm: '3des-3key' }), 'ERR_OTA_KEY');
      const cmacKey = await importClear(t, { usage: 'M6', algorithm: 'T', modeOfUse: 'C', exportability: 'N', label: 'TDES CMAC' }, c.kid);
      await rejectsWith(hsmOtaHostKeys(t.hsm, t.ctx, { kic: kic.id, kid: cmacKey.id }).cc(new Uint8Array(8), { algorithm: '3des-2key' }), 'ERR_HSM_USAGE');
      await rejectsWith(hsmOtaHostKeys(t.hsm, t.ctx, { kic: kid.id, kid: kic.id }).cc(new Uint8Array(8), { algorithm: '3des-2key' }), 'ERR_HSM_USAGE');
    } finally {
      await t.close();
    }
  });
});
