/**
 * The DES MACs with their padding named (MacParameters): ISO 9797-1 MAC algorithm 1 (the CBC-MAC
 * under the key's full TDES, two or three keys) and algorithm 3 (the retail MAC), padding methods 1
 * and 2, against published values (test/vectors/hsm/iso9797-1-mac.json: psec, pyemv, NIST SP 800-67,
 * and the SCP80 CCs of pySim and asterix, ETSI TS 102 225 §5.1.3). Then what method 1 means, and
 * the refusals: padding for a MAC that takes none, an unknown method, a key of another usage.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../../src/bytes/index.ts';
import type { MacParameters } from '../../../src/hsm/index.ts';
import { loadVectors } from '../../helpers/vectors.ts';
import { SPECS, importClear, rejectsWith, withHsm, type HsmSetup } from './fixture.ts';

interface MacVector {
  readonly name: string;
  readonly source: string;
  readonly algorithm: MacParameters['algorithm'];
  readonly padding: MacParameters['padding'];
  readonly key: string;
  readonly data: string;
  readonly mac: string;
}

const VECTORS = loadVectors<{ vectors: MacVector[] }>('hsm/iso9797-1-mac.json').vectors;

const M1 = { usage: 'M1', algorithm: 'T', modeOfUse: 'C', exportability: 'N', label: 'CBC-MAC' } as const;
const M3 = { usage: 'M3', algorithm: 'T', modeOfUse: 'C', exportability: 'N', label: 'retail MAC' } as const;

export function macVectorTests(setup: HsmSetup): void {
  assert.ok(VECTORS.length >= 8);
  for (const v of VECTORS) {
    const mechanism: MacParameters = { algorithm: v.algorithm, padding: v.padding };
    const what = `${v.algorithm} ${v.padding}, ${fromHex(v.key).length}-byte key`;
    it(`${v.name} (${what}): generateMac equals the published MAC; verifyMac accepts it, truncated too, and refuses a flipped bit`, () =>
      withHsm(setup, async (t) => {
        const key = await importClear(t, v.algorithm === 'retail-mac' ? M3 : M1, fromHex(v.key));
        const data = fromHex(v.data);
        const expected = fromHex(v.mac);
        assert.equal(toHex(await t.hsm.generateMac(key.id, data, mechanism, t.ctx)), toHex(expected), v.source);
        assert.equal(await t.hsm.verifyMac(key.id, data, expected, mechanism, t.ctx), true);
        assert.equal(await t.hsm.verifyMac(key.id, data, expected.subarray(0, 4), mechanism, t.ctx), true);
        const flipped = expected.slice();
        flipped[7]! ^= 0x01;
        assert.equal(await t.hsm.verifyMac(key.id, data, flipped, mechanism, t.ctx), false);
        // a bare algorithm name keeps its fixed parameter, padding method 2
        const bare = await t.hsm.generateMac(key.id, data, v.algorithm, t.ctx);
        if (v.padding === 'iso9797-m2') assert.equal(toHex(bare), toHex(expected));
        else assert.notEqual(toHex(bare), toHex(expected));
      }));
  }

  it('padding method 1 appends zeros only up to the block: m and m ‖ 00 … to the block share a MAC, block-aligned data is not padded', () =>
    withHsm(setup, async (t) => {
      const v = VECTORS.find((x) => x.name === 'asterix-SPI1201-VTSD-3des3-cc')!;
      const key = await importClear(t, M1, fromHex(v.key));
      const m1 = { algorithm: 'iso9797-1-alg1', padding: 'iso9797-m1' } as const;
      const data = fromHex(v.data);
      const aligned = new Uint8Array(Math.ceil(data.length / 8) * 8);
      aligned.set(data);
      assert.equal(toHex(await t.hsm.generateMac(key.id, aligned, m1, t.ctx)), v.mac.toUpperCase());
      assert.equal(await t.hsm.verifyMac(key.id, aligned, fromHex(v.mac), m1, t.ctx), true);
      // method 2 always pads: the aligned and unaligned messages differ there
      const m2 = { algorithm: 'iso9797-1-alg1', padding: 'iso9797-m2' } as const;
      assert.notEqual(toHex(await t.hsm.generateMac(key.id, aligned, m2, t.ctx)), toHex(await t.hsm.generateMac(key.id, data, m2, t.ctx)));
    }));

  it('refuses a padding for CMAC or HMAC, an unknown padding or algorithm, and a DES MAC under a key of another usage', () =>
    withHsm(setup, async (t) => {
      const m1Key = await importClear(t, M1, fromHex('0123456789ABCDEF23456789ABCDEF01456789ABCDEF0123'));
      const m3Key = await importClear(t, SPECS.macRetail, fromHex('0123456789ABCDEFFEDCBA9876543210'));
      const data = new Uint8Array(16);
      await rejectsWith(t.hsm.generateMac(m1Key.id, data, { algorithm: 'cmac', padding: 'iso9797-m1' } as never, t.ctx), 'ERR_HSM_PARAM');
      await rejectsWith(t.hsm.generateMac(m1Key.id, data, { algorithm: 'hmac-sha256', padding: 'iso9797-m2' } as never, t.ctx), 'ERR_HSM_PARAM');
      await rejectsWith(t.hsm.generateMac(m1Key.id, data, { algorithm: 'iso9797-1-alg1', padding: 'iso9797-m3' } as never, t.ctx), 'ERR_HSM_PARAM');
      await rejectsWith(t.hsm.generateMac(m1Key.id, data, { algorithm: 'iso9797-1-alg1' } as never, t.ctx), 'ERR_HSM_PARAM');
      await rejectsWith(t.hsm.generateMac(m1Key.id, data, { algorithm: 'des-mac', padding: 'iso9797-m1' } as never, t.ctx), 'ERR_HSM_PARAM');
      await rejectsWith(t.hsm.verifyMac(m1Key.id, data, new Uint8Array(8), null as never, t.ctx), 'ERR_HSM_PARAM');
      // the key's usage still decides: an M3 key never makes an algorithm-1 MAC, an M1 key never a retail MAC
      await rejectsWith(t.hsm.generateMac(m3Key.id, data, { algorithm: 'iso9797-1-alg1', padding: 'iso9797-m1' }, t.ctx), 'ERR_HSM_USAGE');
      await rejectsWith(t.hsm.generateMac(m1Key.id, data, { algorithm: 'retail-mac', padding: 'iso9797-m1' }, t.ctx), 'ERR_HSM_USAGE');
      // a data key (D0) never MACs, whatever the padding
      const dataKey = await importClear(t, SPECS.dataT, fromHex('0123456789ABCDEFFEDCBA9876543210'));
      await rejectsWith(t.hsm.generateMac(dataKey.id, data, { algorithm: 'iso9797-1-alg1', padding: 'iso9797-m1' }, t.ctx), 'ERR_HSM_USAGE');
    }));
}
