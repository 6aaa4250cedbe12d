/**
 * hsmOtaHostKeys on any Hsm backend (CONVENTIONS.md §7: one suite, every implementation): every
 * published SCP80 command vector (osmocom/pysim tests/unittests/test_ota.py; suma12/asterix
 * SecurePacket.py tests, 3DES with two and three keys) sealed with the keys in the HSM gives the
 * vector's command packet byte for byte — AES (CMAC) and 3DES (ISO 9797-1 MAC algorithm 1, padding
 * method 1) CCs alike — and the pySim PoRs open with them; the HSM's usage checks keep a TDES CMAC
 * or data key from making the 3DES CC. Run on the software HSM by hsm-ota-keys.test.ts and on
 * SoftHSM2 by test/services/hsm-pkcs11.test.ts (npm run test:services).
 *
 * @example hsmOtaKeysSuite('software', softwareSetup)
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../../src/bytes/index.ts';
import { openResponsePacket, parseKeyId, parseSpi, sealCommandPacket, unwrapCommandPacket } from '../../../src/ota/index.ts';
import { hsmOtaHostKeys } from '../../../src/tsm/ota/hsm-ota-keys.ts';
import { importClear, rejectsWith, type HsmSetup } from '../../hsm/conformance/fixture.ts';
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
export function hsmAlgorithm(keyByte: number): 'A' | 'T' {
  return parseKeyId(keyByte, 'KIc').algorithm === 'aes' ? 'A' : 'T';
}

/** The keys imported into a fresh backend: KIc as D0 (encrypt/decrypt); KID as M6 (CMAC) for AES, M1 (ISO 9797-1 MAC algorithm 1) for 3DES. */
export async function hsmWith(setup: HsmSetup, kicKey: Uint8Array, kidKey: Uint8Array, algorithm: 'A' | 'T') {
  const t = await setup();
  const kic = await importClear(t, { usage: 'D0', algorithm, modeOfUse: 'B', exportability: 'N', label: 'OTA KIc' }, kicKey);
  const kid = await importClear(t, { usage: algorithm === 'A' ? 'M6' : 'M1', algorithm, modeOfUse: 'C', exportability: 'N', label: 'OTA KID' }, kidKey);
  return { t, kic, kid, keys: hsmOtaHostKeys(t.hsm, t.ctx, { kic: kic.id, kid: kid.id }) };
}

/** Registers the vector and refusal tests of hsmOtaHostKeys on backend `name`; `setup` gives a fresh instance per test. */
export function hsmOtaKeysSuite(name: string, setup: HsmSetup): void {
  describe(`hsmOtaHostKeys on ${name}: the pySim and asterix vectors (${commandVectors.length} command packets, ${porVectors.length} PoRs)`, () => {
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
        const { t, keys } = await hsmWith(setup, fromHex(v.inputs.kic_key), fromHex(v.inputs.kid_key), hsmAlgorithm(kicByte));
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
        const { t, keys } = await hsmWith(setup, fromHex(v.inputs.kic_key), fromHex(v.inputs.kid_key), hsmAlgorithm(kic));
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
    it('3DES: a KID of two keys for a three-key packet is refused, and a TDES CMAC (M6) or data (D0) key never makes the DES CC', async () => {
      const c = { kic: fromHex('2233445566778899AABBCCDDEEFF0011'), kid: fromHex('456789ABCDEF012356789ABCDEF01234') };
      const { t, kic, kid, keys } = await hsmWith(setup, c.kic, c.kid, 'T');
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
}
