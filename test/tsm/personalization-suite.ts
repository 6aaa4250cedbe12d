/**
 * Personalization data preparation (docs/payment-application.md §4) on an HSM backend: every DGI the
 * card will get, opened in the test with the DEK the test knows — the ICC master keys equal the
 * published pyemv UDKs, DGI 9000 carries their KCVs, the CRT components rebuild the certified ICC key,
 * the ICC certificate recovers under the issuer key with the static data's hash, the PIN is a format
 * 2 block. The checks are the test's own (node:crypto), not the code under test.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createDecipheriv, createHash, createPrivateKey, createPublicKey, constants, publicEncrypt, createCipheriv } from 'node:crypto';
import { concat, fromHex, toHex } from '../../src/bytes/index.ts';
import { kcv } from '../../src/crypto/index.ts';
import { PAYMENT_DGI, parseDol } from '../../src/emv/index.ts';
import { findTlv, parseTlv, parseTlvList } from '../../src/tlv/index.ts';
import { TsmError, createPaymentIssuer, preparePersonalization, staticDataToAuthenticate, type PaymentCardRecord } from '../../src/tsm/index.ts';
import { importClear, SPECS, type HsmSetup, type HsmUnderTest } from '../hsm/conformance/fixture.ts';

const DEK = fromHex('404142434445464748494A4B4C4D4E4F');
const PIN_KEY = fromHex('0123456789ABCDEFFEDCBA9876543210');
const IMK = { ac: '0123456789ABCDEFFEDCBA9876543210', smi: 'FEDCBA98765432100123456789ABCDEF', smc: '89ABCDEF0123456776543210FEDCBA98' };
/** pyemv test_visa_cvn10 steps 2–4 (udk-derivation.json): the ICC master keys of PAN 1234567890123456, PSN 00. */
const UDK = ['154F349D8585CB7F6B0798E9839B10C1', '94F867167C64EF3EEAB0CB627A7A3480', '19296D4CD626859E8AADDF0B2AAB8FEA'];
/** ISO 9564-1 format 0 of PIN 1234 with that PAN: 041234FF…FF ⊕ 0000456789012345, worked by hand. */
const PIN_BLOCK_0 = fromHex('0412719876FEDCBA');

const CARD: PaymentCardRecord = {
  pan: '1234567890123456', psn: '00', expiry: '301231', profile: 'visa-18', flow: 'gpo', issuerCountry: '840',
  label: 'OPENTSM VISA', priority: 1, keyDerivationIndex: 1,
};

function aesCbcDecrypt(data: Uint8Array): Uint8Array {
  const d = createDecipheriv('aes-128-cbc', DEK, new Uint8Array(16)).setAutoPadding(false);
  return new Uint8Array(Buffer.concat([d.update(data), d.final()]));
}

const big = (b: Uint8Array): bigint => BigInt(`0x${toHex(b) || '0'}`);
const b64 = (n: bigint, len: number): string => Buffer.from(n.toString(16).padStart(len * 2, '0'), 'hex').toString('base64url');
function modInverse(a: bigint, m: bigint): bigint {
  let [r0, r1, s0, s1] = [a % m, m, 1n, 0n];
  while (r1 !== 0n) { const q = r0 / r1; [r0, r1] = [r1, r0 - q * r1]; [s0, s1] = [s1, s0 - q * s1]; }
  return ((s0 % m) + m) % m;
}

async function setupIssuer(t: HsmUnderTest) {
  const caCtx = { tenant: 'payment-scheme', actor: 'test' };
  const ca = await t.hsm.generateKeyPair({ algorithm: 'R', size: 1408, usage: 'S1', owner: caCtx.tenant, label: 'test CA' }, caCtx);
  const issuer = await createPaymentIssuer(t.hsm, t.ctx, { ca: { key: ca.id, ctx: caCtx, index: 0x92 }, issuerIdentifier: '123456', expiry: '1230' });
  const imk = async (spec: Parameters<typeof importClear>[1], hex: string) => (await importClear(t, spec, fromHex(hex))).id;
  const keys = { ...issuer, imkAc: await imk(SPECS.imkAc, IMK.ac), imkSmi: await imk(SPECS.imkSmi, IMK.smi), imkSmc: await imk(SPECS.imkSmc, IMK.smc) };
  const dek = await importClear(t, SPECS.gpDek, DEK);
  const pinKey = await importClear(t, SPECS.pinT, PIN_KEY);
  return { keys, dek: dek.id, pinKey: pinKey.id, issuerSpki: await t.hsm.exportPublicKey(issuer.issuerKey, t.ctx) };
}

function dgiValue(p: { dgis: readonly { dgi: number; value: Uint8Array }[] }, dgi: number): Uint8Array {
  const found = p.dgis.find((d) => d.dgi === dgi);
  assert.ok(found, `DGI ${dgi.toString(16)} present`);
  return found.value;
}

export function personalizationSuite(name: string, setup: HsmSetup): void {
  describe(`personalization data preparation: ${name}`, () => {
    it('visa-18 over SCP03: keys, KCVs, ICC key pair and certificate, PIN — each checked independently', async () => {
      const t = await setup();
      try {
        const s = await setupIssuer(t);
        const pinBlock = createCipheriv('des-ede-ecb', PIN_KEY, null).setAutoPadding(false).update(PIN_BLOCK_0);
        const card = { ...CARD, pin: { block: { key: s.pinKey, format: 0 as const, block: new Uint8Array(pinBlock), pan: CARD.pan }, tryLimit: 3 } };
        const p = await preparePersonalization(t.hsm, t.ctx, card, s.keys, { dek: s.dek, scp: 3 });
        assert.deepEqual(p.dgis.map((d) => d.dgi.toString(16).padStart(4, '0')),
          ['0101', '0201', '0202', '9102', '9104', '0d01', '8000', '9000', '8201', '8202', '8203', '8204', '8205', '8010', '9010']);
        // DGI 8000: each key on its own under the DEK; equal to the published UDKs. DGI 9000: their KCVs.
        const keys = dgiValue(p, PAYMENT_DGI.ICC_KEYS);
        assert.equal(keys.length, 48);
        assert.deepEqual([0, 1, 2].map((i) => toHex(aesCbcDecrypt(keys.subarray(16 * i, 16 * i + 16)))), UDK);
        assert.equal(toHex(dgiValue(p, PAYMENT_DGI.ICC_KEY_KCVS)), UDK.map((k) => toHex(kcv(fromHex(k), 'tdes-zeros').subarray(0, 3))).join(''));
        assert.deepEqual(p.iccKeyKcvs, UDK.map((k) => toHex(kcv(fromHex(k), 'tdes-zeros').subarray(0, 3))));
        // DGIs 8201–8205 rebuild the private key of the certified public key.
        const [qInv, dq, dp, q, pp] = [0x8201, 0x8202, 0x8203, 0x8204, 0x8205].map((g) => big(aesCbcDecrypt(dgiValue(p, g))));
        const publicJwk = createPublicKey({ key: Buffer.from(p.iccPublicKey), format: 'der', type: 'spki' }).export({ format: 'jwk' });
        const n = big(Buffer.from(publicJwk.n!, 'base64url'));
        assert.equal(pp! * q!, n);
        const e = 3n;
        const d = modInverse(e, (pp! - 1n) * (q! - 1n));
        assert.equal(d % (pp! - 1n), dp);
        assert.equal(d % (q! - 1n), dq);
        assert.equal((qInv! * q!) % pp!, 1n);
        const len = 128;
        const rebuilt = createPrivateKey({ key: { kty: 'RSA', n: b64(n, len), e: 'Aw', d: b64(d, len), p: b64(pp!, len / 2), q: b64(q!, len / 2), dp: b64(dp!, len / 2), dq: b64(dq!, len / 2), qi: b64(qInv!, len / 2) }, format: 'jwk' });
        assert.equal(rebuilt.asymmetricKeyDetails?.modulusLength, 1024);
        // The ICC certificate (9F46) recovers under the issuer key: format 04, the PAN, the ICC modulus, the static data's hash.
        const rec2 = parseTlv(dgiValue(p, 0x0202));
        const cert = findTlv(rec2, 0x70, 0x9f46)!.value;
        const remainder = findTlv(rec2, 0x70, 0x9f48)?.value ?? new Uint8Array(0);
        const x = new Uint8Array(publicEncrypt({ key: createPublicKey({ key: Buffer.from(s.issuerSpki), format: 'der', type: 'spki' }), padding: constants.RSA_NO_PADDING }, cert));
        assert.deepEqual([x[0], x[1], x[x.length - 1]], [0x6a, 0x04, 0xbc]);
        assert.equal(toHex(x.subarray(2, 12)), '1234567890123456FFFF');
        assert.deepEqual([x[17], x[18], x[19], x[20]], [0x01, 0x01, 128, 1]);
        const leftmost = x.subarray(21, x.length - 21);
        assert.equal(toHex(concat(leftmost, remainder)), b64ToHex(publicJwk.n!));
        const hash = createHash('sha1').update(concat(x.subarray(1, x.length - 21), remainder, Uint8Array.of(3), staticDataToAuthenticate(card))).digest();
        assert.equal(toHex(x.subarray(x.length - 21, x.length - 1)), toHex(hash));
        // DGI 8010: format 2 block of PIN 1234, padded 80 00… to the AES block; 9010 counters.
        assert.equal(toHex(aesCbcDecrypt(dgiValue(p, PAYMENT_DGI.PIN))), '241234FFFFFFFFFF8000000000000000');
        assert.equal(toHex(dgiValue(p, PAYMENT_DGI.PIN_COUNTERS)), '0303');
        // Records and FCI are well formed; the PDOL parses.
        const fci = parseTlvList(dgiValue(p, PAYMENT_DGI.FCI));
        assert.ok(parseDol(fci.find((n) => n.tag === 0x9f38)!.value).length === 9);
        assert.equal(toHex(findTlv(parseTlv(dgiValue(p, 0x0101)), 0x70, 0x5a)!.value), '1234567890123456');
        // Nothing in the clear: no UDK, no PIN digits block, no CRT component appears in the stream.
        const stream = toHex(p.stream);
        for (const secret of [...UDK, '241234FFFFFFFFFF', toHex(Buffer.from(pp!.toString(16).padStart(128, '0'), 'hex'))]) assert.ok(!stream.includes(secret));
      } finally {
        await t.close();
      }
    });

    it('refuses a malformed card record with ERR_TSM_REQUEST naming the field, never its value', async () => {
      const t = await setup();
      try {
        const s = await setupIssuer(t);
        const bad: Partial<Record<keyof PaymentCardRecord, unknown>>[] = [
          { pan: '12345' }, { psn: 'A1' }, { expiry: '301331' }, { profile: 'visa-99' }, { flow: 'tap' }, { issuerCountry: '84' },
          { label: '' }, { label: 'x'.repeat(17) }, { priority: 0 }, { keyDerivationIndex: 256 }, { pin: { block: null, tryLimit: 3 } },
        ];
        for (const change of bad) {
          await assert.rejects(preparePersonalization(t.hsm, t.ctx, { ...CARD, ...change } as PaymentCardRecord, s.keys, { dek: s.dek, scp: 3 }),
            (e: unknown) => e instanceof TsmError && e.code === 'ERR_TSM_REQUEST' && !e.message.includes(CARD.pan), JSON.stringify(change));
        }
      } finally {
        await t.close();
      }
    });
  });
}

function b64ToHex(b: string): string {
  return toHex(new Uint8Array(Buffer.from(b, 'base64url')));
}
