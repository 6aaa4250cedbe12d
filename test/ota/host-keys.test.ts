/**
 * The host side through `OtaHostKeys` (the interface an HSM implements): every pySim vector gives
 * the same command packet and the same decoded PoR as with clear keys; keys print as KCVs only.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { fromHex, toHex } from '../../src/bytes/index.ts';
import { OtaError, openResponsePacket, parseKeyId, plainOtaHostKeys, sealCommandPacket } from '../../src/ota/index.ts';
import { loadVectors } from '../helpers/vectors.ts';
import { keysOf, type VectorKeys } from './helpers.ts';

interface Vector {
  name: string;
  inputs: VectorKeys & { tar?: string; cntr?: string; secured_data_plain?: string; por_ud?: string };
  expected: { command_packet?: string; command_packet_spec?: string; por_ud?: string; por_decoded?: { secured_data: string }; secured_data?: string };
}

const file = loadVectors<{ source: string; vectors: Vector[] }>('ota/pysim.json');

function hostKeys(v: Vector) {
  const { keys, kic, kid } = keysOf(v.inputs);
  return plainOtaHostKeys({ key: keys.kic, algorithm: parseKeyId(kic, 'KIc').algorithm }, { key: keys.kid, algorithm: parseKeyId(kid, 'KID').algorithm });
}

describe('SCP80 host side through OtaHostKeys: pySim vectors', () => {
  for (const v of file.vectors) {
    const { spi, kic, kid } = keysOf(v.inputs);
    if (v.inputs.secured_data_plain !== undefined) {
      it(`${v.name}: sealCommandPacket`, async () => {
        const keys = hostKeys(v);
        const packet = await sealCommandPacket(keys, { spi, kic, kid, tar: fromHex(v.inputs.tar!), counter: fromHex(v.inputs.cntr!), data: fromHex(v.inputs.secured_data_plain!) });
        assert.equal(toHex(packet).toLowerCase(), v.expected.command_packet ?? v.expected.command_packet_spec);
        keys.close();
      });
    }
    const ud = v.expected.por_ud ?? v.inputs.por_ud;
    if (ud === undefined) continue;
    it(`${v.name}: openResponsePacket`, async () => {
      const por = await openResponsePacket(hostKeys(v), fromHex(ud), { spi, kic, kid });
      assert.equal(por.status, 0);
      assert.equal(toHex(por.data).toLowerCase(), v.expected.por_decoded?.secured_data ?? v.expected.secured_data);
    });
  }

  it('a tampered PoR is refused with ERR_OTA_CC', async () => {
    const v = file.vectors.find((x) => x.name === 'pysim-legacy-3des-por-cc')!;
    const { spi, kic, kid } = keysOf(v.inputs);
    const bad = fromHex(v.inputs.por_ud!);
    bad[bad.length - 1]! ^= 1;
    await assert.rejects(openResponsePacket(hostKeys(v), bad, { spi, kic, kid }), (e: unknown) => e instanceof OtaError && e.code === 'ERR_OTA_CC');
  });
});

describe('plainOtaHostKeys', () => {
  const kic = fromHex('300102030405060708090a0b0c0d0e0f');
  const kid = fromHex('301102030405060708090a0b0c0d0e0f');
  it('prints KCVs, never key bytes', () => {
    const keys = plainOtaHostKeys({ key: kic, algorithm: '3des-2key' }, { key: kid, algorithm: '3des-2key' });
    for (const text of [String(keys), inspect(keys), JSON.stringify({ keys })]) {
      assert.match(text, /KCV [0-9A-Fa-f]{6}/);
      assert.ok(!text.toLowerCase().includes(toHex(kic).toLowerCase().slice(0, 8)));
      assert.ok(!text.toLowerCase().includes(toHex(kid).toLowerCase().slice(0, 8)));
    }
  });
  it('refuses an algorithm its key is not for, and use after close()', async () => {
    const keys = plainOtaHostKeys({ key: kic, algorithm: '3des-2key' }, { key: kid, algorithm: '3des-2key' });
    await assert.rejects(keys.cc(new Uint8Array(8), { algorithm: 'aes' }), (e: unknown) => e instanceof OtaError && e.code === 'ERR_OTA_KEY');
    keys.close();
    await assert.rejects(keys.cc(new Uint8Array(8), { algorithm: '3des-2key' }), (e: unknown) => e instanceof OtaError && e.code === 'ERR_OTA_KEY');
    assert.equal(String(keys), 'OtaHostKeys(closed)');
  });
  it('refuses a key of the wrong length for its algorithm', () => {
    assert.throws(() => plainOtaHostKeys({ key: kic, algorithm: 'aes' }, { key: new Uint8Array(8), algorithm: '3des-3key' }), (e: unknown) => e instanceof OtaError && e.code === 'ERR_OTA_KEY');
  });
});
