/**
 * Conformance: key pairs, signatures in every SignatureScheme (checked with node:crypto against the
 * exported SPKI), ISO 9796-2 message recovery, and the general MAC and data operations.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { constants, createHash, createPublicKey, publicEncrypt, verify as nodeVerify } from 'node:crypto';
import { fromHex, toHex } from '../../../src/bytes/index.ts';
import { aesCbcEncrypt, aesCmac, cbcMacDes, retailMac, tdesEcbEncrypt } from '../../../src/crypto/index.ts';
import type { SignatureScheme } from '../../../src/hsm/index.ts';
import { SPECS, importClear, rejectsWith, withHsm, type HsmSetup } from './fixture.ts';

const MESSAGE = new TextEncoder().encode('OpenTSM load file data block hash, and then some more bytes to sign');

function verifyWithNode(spki: Uint8Array, scheme: SignatureScheme, data: Uint8Array, signature: Uint8Array): boolean {
  const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  const hash = scheme === 'rsa-pkcs1-sha1' ? 'sha1' : 'sha256';
  const padding = scheme === 'rsa-pss-sha256' ? { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } : {};
  return nodeVerify(hash, data, { key, ...padding }, Buffer.from(signature));
}

export function asymmetricTests(setup: HsmSetup): void {
  it('RSA-2048: PKCS#1 v1.5 (SHA-1, SHA-256) and PSS signatures verify with the exported public key', () =>
    withHsm(setup, async (t) => {
      const h = await t.hsm.generateKeyPair({ algorithm: 'R', size: 2048, usage: 'S0', owner: t.ctx.tenant, label: 'DAP' }, t.ctx);
      assert.deepEqual([h.attributes.algorithm, h.attributes.length, h.attributes.usage, h.attributes.exportability], ['R', 2048, 'S0', 'N']);
      const spki = await t.hsm.exportPublicKey(h.id, t.ctx);
      assert.equal(createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }).asymmetricKeyDetails?.modulusLength, 2048);
      for (const scheme of ['rsa-pkcs1-sha1', 'rsa-pkcs1-sha256', 'rsa-pss-sha256'] as const) {
        const signature = await t.hsm.sign(h.id, MESSAGE, scheme, t.ctx);
        assert.ok(verifyWithNode(spki, scheme, MESSAGE, signature), scheme);
        assert.equal(await t.hsm.verify(h.id, MESSAGE, signature, scheme, t.ctx), true);
        assert.equal(await t.hsm.verify(h.id, MESSAGE.subarray(1), signature, scheme, t.ctx), false);
      }
      await rejectsWith(t.hsm.sign(h.id, MESSAGE, 'ecdsa-sha256', t.ctx), 'ERR_HSM_USAGE');
    }));

  it('EC P-256: ECDSA-SHA-256 (DER) verifies with the exported public key; other sizes refused', () =>
    withHsm(setup, async (t) => {
      const h = await t.hsm.generateKeyPair({ algorithm: 'E', size: 256, usage: 'S0', owner: t.ctx.tenant }, t.ctx);
      const spki = await t.hsm.exportPublicKey(h.id, t.ctx);
      const signature = await t.hsm.sign(h.id, MESSAGE, 'ecdsa-sha256', t.ctx);
      assert.ok(verifyWithNode(spki, 'ecdsa-sha256', MESSAGE, signature));
      assert.equal(await t.hsm.verify(h.id, MESSAGE, signature, 'ecdsa-sha256', t.ctx), true);
      assert.equal(await t.hsm.verify(h.id, MESSAGE, new Uint8Array(8), 'ecdsa-sha256', t.ctx), false);
      await rejectsWith(t.hsm.generateKeyPair({ algorithm: 'E', size: 384, usage: 'S0', owner: t.ctx.tenant }, t.ctx), 'ERR_HSM_UNSUPPORTED');
      await rejectsWith(t.hsm.generateKeyPair({ algorithm: 'R', size: 1024, usage: 'S0', owner: t.ctx.tenant }, t.ctx), 'ERR_HSM_PARAM');
      // EMV certification keys (S1) may be 1024–1984 bits (EMV Book 2 §5.1); 1000 is not a whole byte count.
      const emvCa = await t.hsm.generateKeyPair({ algorithm: 'R', size: 1152, usage: 'S1', owner: t.ctx.tenant }, t.ctx);
      assert.equal(createPublicKey({ key: Buffer.from(await t.hsm.exportPublicKey(emvCa.id, t.ctx)), format: 'der', type: 'spki' }).asymmetricKeyDetails?.modulusLength, 1152);
      await rejectsWith(t.hsm.generateKeyPair({ algorithm: 'R', size: 1000, usage: 'S1', owner: t.ctx.tenant }, t.ctx), 'ERR_HSM_PARAM');
      await rejectsWith(t.hsm.generateKeyPair({ algorithm: 'R', size: 1016, usage: 'S1', owner: t.ctx.tenant }, t.ctx), 'ERR_HSM_PARAM');
      await rejectsWith(t.hsm.sign(h.id, MESSAGE, 'rsa-pkcs1-sha256', t.ctx), 'ERR_HSM_USAGE');
    }));

  it('ISO 9796-2 scheme 1 (EMV Book 2 A2.1): the public operation recovers 6A ‖ MSG1 ‖ SHA-1(MSG) ‖ BC', () =>
    withHsm(setup, async (t) => {
      const h = await t.hsm.generateKeyPair({ algorithm: 'R', size: 2048, usage: 'S1', owner: t.ctx.tenant }, t.ctx);
      const spki = await t.hsm.exportPublicKey(h.id, t.ctx);
      const message = Uint8Array.from({ length: 256 - 22 + 7 }, (_, i) => i & 0xff);
      const signature = await t.hsm.sign(h.id, message, 'iso9796-2-sha1', t.ctx);
      const x = new Uint8Array(publicEncrypt({ key: createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }), padding: constants.RSA_NO_PADDING }, Buffer.from(signature)));
      assert.equal(x[0], 0x6a);
      assert.equal(x[255], 0xbc);
      assert.equal(toHex(x.subarray(1, 1 + 234)), toHex(message.subarray(0, 234)));
      assert.equal(toHex(x.subarray(235, 255)), createHash('sha1').update(message).digest('hex').toUpperCase());
      assert.equal(await t.hsm.verify(h.id, message, signature, 'iso9796-2-sha1', t.ctx), true);
      const other = message.slice();
      other[other.length - 1]! ^= 1;
      assert.equal(await t.hsm.verify(h.id, other, signature, 'iso9796-2-sha1', t.ctx), false);
      await rejectsWith(t.hsm.sign(h.id, message.subarray(0, 100), 'iso9796-2-sha1', t.ctx), 'ERR_HSM_PARAM');
    }));

  it('MACs: ISO 9797-1 alg 1 and 3 (padding 2), AES-CMAC, HMAC-SHA-256 equal the clear-key computation; truncated MACs verify', () =>
    withHsm(setup, async (t) => {
      const tdes = fromHex('0123456789ABCDEFFEDCBA9876543210');
      const aes = fromHex('2B7E151628AED2A6ABF7158809CF4F3C');
      const data = fromHex('6BC1BEE22E409F96E93D7E117393172AAE2D8A57');
      const m1 = await importClear(t, { ...SPECS.macRetail, usage: 'M1' }, tdes);
      const m3 = await importClear(t, SPECS.macRetail, tdes);
      const m6 = await importClear(t, { usage: 'M6', algorithm: 'A', modeOfUse: 'C', exportability: 'N' }, aes);
      assert.equal(toHex(await t.hsm.generateMac(m1.id, data, 'iso9797-1-alg1', t.ctx)), toHex(cbcMacDes(tdes, data, { padding: 2, length: 8 })));
      const retail = await t.hsm.generateMac(m3.id, data, 'retail-mac', t.ctx);
      assert.equal(toHex(retail), toHex(retailMac(tdes, data, { padding: 2, length: 8 })));
      const cmac = await t.hsm.generateMac(m6.id, data, 'cmac', t.ctx);
      assert.equal(toHex(cmac), toHex(aesCmac(aes, data, { length: 16 })));
      assert.equal(await t.hsm.verifyMac(m3.id, data, retail.subarray(0, 4), 'retail-mac', t.ctx), true);
      assert.equal(await t.hsm.verifyMac(m6.id, data, cmac.subarray(0, 8), 'cmac', t.ctx), true);
      assert.equal(await t.hsm.verifyMac(m6.id, data, cmac.subarray(0, 2), 'cmac', t.ctx), false);
      const m7 = await t.hsm.generateKey({ usage: 'M7', algorithm: 'H', modeOfUse: 'C', exportability: 'N', length: 32, owner: t.ctx.tenant }, t.ctx);
      const h = await t.hsm.generateMac(m7.id, data, 'hmac-sha256', t.ctx);
      assert.equal(h.length, 32);
      assert.equal(await t.hsm.verifyMac(m7.id, data, h, 'hmac-sha256', t.ctx), true);
    }));

  it('data encryption: ECB and CBC with an explicit IV, no implicit padding, no IV for ECB', () =>
    withHsm(setup, async (t) => {
      const aes = fromHex('2B7E151628AED2A6ABF7158809CF4F3C');
      const tdes = fromHex('0123456789ABCDEFFEDCBA9876543210');
      const a = await importClear(t, SPECS.dataA, aes);
      const d = await importClear(t, SPECS.dataT, tdes);
      const iv = fromHex('000102030405060708090A0B0C0D0E0F');
      const plain = fromHex('6BC1BEE22E409F96E93D7E117393172AAE2D8A571E03AC9C9EB76FAC45AF8E51');
      const c = await t.hsm.encryptData(a.id, plain, { mode: 'cbc', iv }, t.ctx);
      assert.equal(toHex(c), toHex(aesCbcEncrypt(aes, plain, { iv })));
      assert.equal(toHex(await t.hsm.decryptData(a.id, c, { mode: 'cbc', iv }, t.ctx)), toHex(plain));
      assert.equal(toHex(await t.hsm.encryptData(d.id, plain, { mode: 'ecb' }, t.ctx)), toHex(tdesEcbEncrypt(tdes, plain)));
      await rejectsWith(t.hsm.encryptData(a.id, plain.subarray(0, 20), { mode: 'ecb' }, t.ctx), 'ERR_HSM_PARAM');
      await rejectsWith(t.hsm.encryptData(a.id, plain, { mode: 'cbc' }, t.ctx), 'ERR_HSM_PARAM');
      await rejectsWith(t.hsm.encryptData(a.id, plain, { mode: 'ecb', iv }, t.ctx), 'ERR_HSM_PARAM');
    }));
}
