/**
 * Conformance: the published TR-31 / X9.143 blocks (test/vectors/hsm/tr31.json from psec 1.3.0,
 * tr31-published.json from TR-31:2018, X9.143:2021, ISO 20038 and payShield 10K examples) imported
 * through the HSM under their KBPK, then the imported key used where its usage allows, against the
 * published clear key: a PIN block under a P0 key, a MAC under an M3 key, data under a D0 key, a
 * signature under an S0 key. Single-DES keys and non-numeric key versions are refused, typed. A
 * backend that declares 'tr31-variant-binding' unsupported must refuse versions A and C with
 * ERR_HSM_UNSUPPORTED and store nothing.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, verify as nodeVerify } from 'node:crypto';
import { fromHex, toHex } from '../../../src/bytes/index.ts';
import { aesEcbEncrypt, kcv, parseKeyBlockHeader, retailMac, tdesEcbDecrypt, tdesEcbEncrypt } from '../../../src/crypto/index.ts';
import { decipherPinBlockIso4, encodePinBlock } from '../../../src/emv/index.ts';
import type { KeyHandle } from '../../../src/hsm/index.ts';
import { loadVectors } from '../../helpers/vectors.ts';
import { SPECS, declaresUnsupported, importClear, rejectsWith, withHsm, type HsmSetup, type HsmUnderTest } from './fixture.ts';

interface Tr31Case {
  readonly name: string;
  readonly kbpk: string;
  readonly block: string;
  /** The published clear key (hex). */
  readonly key: string;
}

function cases(): { accepted: Tr31Case[]; rejected: { name: string; kbpk: string; block: string }[] } {
  const psec = loadVectors<{ name: string; inputs: { key_block: string; kbpk: string }; expected: string | [string, string] }[]>('hsm/tr31.json');
  const published = loadVectors<{
    unwrap: { name: string; inputs: { kbpk: string; key_block: string }; expected: { key: string } }[];
    reject: { name: string; inputs: { kbpk: string; key_block: string } }[];
  }>('hsm/tr31-published.json');
  const accepted = [
    ...psec.map((v) => ({ name: v.name, kbpk: v.inputs.kbpk, block: v.inputs.key_block, key: Array.isArray(v.expected) ? v.expected[1] : v.expected })),
    ...published.unwrap.map((v) => ({ name: v.name, kbpk: v.inputs.kbpk, block: v.inputs.key_block, key: v.expected.key })),
  ];
  return { accepted, rejected: published.reject.map((v) => ({ name: v.name, kbpk: v.inputs.kbpk, block: v.inputs.key_block })) };
}

const ZPK = fromHex('C1D0F8FB4958670DBA40AB1F3752EF0D');
const PIN = '84103521';
const PAN = '5555555551234567';

/** Whether backend `t` refuses block `block` by design: a variant-binding block (A, C) on a backend that declares it. */
function refusedByDesign(t: HsmUnderTest, block: string): boolean {
  return (block.startsWith('A') || block.startsWith('C')) && declaresUnsupported(t, 'tr31-variant-binding');
}

async function kbpkFor(t: HsmUnderTest, c: { kbpk: string; block: string }): Promise<KeyHandle> {
  const aes = c.block.startsWith('D');
  return importClear(t, aes ? SPECS.kbpkA : SPECS.kbpkT, fromHex(c.kbpk));
}

/** Proves the imported key is the published one by using it where its usage allows. */
async function useImported(t: HsmUnderTest, h: KeyHandle, clear: Uint8Array): Promise<string> {
  const a = h.attributes;
  if (a.usage === 'P0' && a.algorithm === 'T') {
    const zpk = await importClear(t, SPECS.pinT, ZPK);
    const from = { key: zpk.id, format: 1 as const, block: tdesEcbEncrypt(ZPK, encodePinBlock(PIN, { format: 1 })) };
    const out = await t.hsm.translatePinBlock(from, { key: h.id, format: 0, pan: PAN }, t.ctx);
    assert.equal(toHex(tdesEcbDecrypt(clear, out)), toHex(encodePinBlock(PIN, { format: 0, pan: PAN })));
    return 'PIN block translated under it';
  }
  if (a.usage === 'P0' && a.algorithm === 'A') {
    const zpk = await importClear(t, SPECS.pinT, ZPK);
    const from = { key: zpk.id, format: 1 as const, block: tdesEcbEncrypt(ZPK, encodePinBlock(PIN, { format: 1 })) };
    const out = await t.hsm.translatePinBlock(from, { key: h.id, format: 4, pan: PAN }, t.ctx);
    assert.equal(decipherPinBlockIso4(clear, out, PAN), PIN);
    return 'format 4 PIN block translated under it';
  }
  if (a.usage === 'M3' && clear.length === 16) {
    const data = fromHex('4E6F77206973207468652074696D6520666F7220616C6C20');
    const expected = retailMac(clear, data, { padding: 2, length: 8 });
    if (a.modeOfUse === 'V') assert.equal(await t.hsm.verifyMac(h.id, data, expected, 'retail-mac', t.ctx), true);
    else assert.equal(toHex(await t.hsm.generateMac(h.id, data, 'retail-mac', t.ctx)), toHex(expected));
    return 'retail MAC under it';
  }
  if (a.usage === 'D0' && a.algorithm === 'A') {
    const block = fromHex('00112233445566778899AABBCCDDEEFF');
    assert.equal(toHex(await t.hsm.encryptData(h.id, block, { mode: 'ecb' }, t.ctx)), toHex(aesEcbEncrypt(clear, block)));
    return 'data encrypted under it';
  }
  if (a.usage === 'S0') {
    const privateKey = createPrivateKey({ key: Buffer.from(clear), format: 'der', type: a.algorithm === 'R' ? 'pkcs1' : 'sec1' });
    const scheme = a.algorithm === 'R' ? 'rsa-pkcs1-sha256' : 'ecdsa-sha256';
    const data = new TextEncoder().encode('signed through the HSM');
    const signature = await t.hsm.sign(h.id, data, scheme, t.ctx);
    assert.ok(nodeVerify('sha256', data, createPublicKey(privateKey), Buffer.from(signature)));
    return 'signature verified with the published key';
  }
  return 'KCV';
}

export function tr31VectorTests(setup: HsmSetup): void {
  const { accepted, rejected } = cases();
  describe('TR-31 vectors through importKeyBlock (tr31.json, tr31-published.json)', () => {
    for (const c of accepted) {
      it(c.name, () =>
        withHsm(setup, async (t) => {
          const kbpk = await kbpkFor(t, c);
          const header = parseKeyBlockHeader(c.block);
          const clear = fromHex(c.key);
          const before = (await t.hsm.listKeys({}, t.ctx)).length;
          if (refusedByDesign(t, c.block)) {
            await rejectsWith(t.hsm.importKeyBlock(kbpk.id, c.block, { owner: t.ctx.tenant }, t.ctx), 'ERR_HSM_UNSUPPORTED');
            assert.equal((await t.hsm.listKeys({}, t.ctx)).length, before);
            return;
          }
          if ((header.algorithm === 'T' || header.algorithm === 'D') && clear.length === 8) {
            await rejectsWith(t.hsm.importKeyBlock(kbpk.id, c.block, { owner: t.ctx.tenant }, t.ctx), 'ERR_HSM_UNSUPPORTED'); // single DES
            assert.equal((await t.hsm.listKeys({}, t.ctx)).length, before);
            return;
          }
          if (!/^\d\d$/.test(header.keyVersion)) {
            await rejectsWith(t.hsm.importKeyBlock(kbpk.id, c.block, { owner: t.ctx.tenant }, t.ctx), 'ERR_HSM_UNSUPPORTED');
            return;
          }
          const h = await t.hsm.importKeyBlock(kbpk.id, c.block, { owner: t.ctx.tenant, label: 'imported' }, t.ctx);
          const a = h.attributes;
          assert.deepEqual([a.usage, a.algorithm, a.modeOfUse, a.exportability, a.version], [header.usage, header.algorithm, header.modeOfUse, header.exportability, Number(header.keyVersion)]);
          if (header.algorithm === 'T' || header.algorithm === 'A') {
            assert.equal(h.kcv, toHex(kcv(clear, header.algorithm === 'T' ? 'tdes-zeros' : 'aes-cmac')));
            assert.equal(a.length, clear.length);
          } else {
            assert.match(h.kcv, /^[0-9A-F]{6}$/);
          }
          await useImported(t, h, clear);
        }),
      );
    }
    for (const c of rejected) {
      it(`${c.name}: refused, nothing stored`, () =>
        withHsm(setup, async (t) => {
          const kbpk = await kbpkFor(t, c);
          const before = (await t.hsm.listKeys({}, t.ctx)).length;
          await rejectsWith(t.hsm.importKeyBlock(kbpk.id, c.block, { owner: t.ctx.tenant }, t.ctx), refusedByDesign(t, c.block) ? 'ERR_HSM_UNSUPPORTED' : 'ERR_HSM_KEY_BLOCK');
          assert.equal((await t.hsm.listKeys({}, t.ctx)).length, before);
        }),
      );
    }
  });
}
