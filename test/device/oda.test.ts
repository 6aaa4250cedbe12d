/**
 * fDDA on the terminal side against certificates issued by the software HSM (the independent signer)
 * and an SDAD signed here with node:crypto (fixtures/mock-card.ts signSdad): the good chain recovers
 * the exact keys; each broken link sets the TVR bits of EMV Book 3 Annex C5.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { concat, hex, toHex } from '../../src/bytes/index.ts';
import { hasTvr, retrieveIccKey, retrieveIssuerKey, verifySdad, type RsaPublicKey } from '../../src/device/index.ts';
import { CardData } from '../../src/device/pos/card-data.ts';
import { performFdda, type OdaResult } from '../../src/device/pos/oda/fdda.ts';
import { parseTlv } from '../../src/tlv/index.ts';
import { AID, AIP, cardSpec, record1, signSdad, staticDataOf } from './fixtures/mock-card.ts';
import { CA_INDEX, PAN, iccKeyPair, makePki, type Pki } from './fixtures/pki.ts';

const DATE = '261127';
const UN = hex`01020304`;
const AMOUNT = hex`000000001000`;
const CURRENCY = hex`0978`;
const CAD = hex`01AABBCCDD0000`;
const TERMINAL = { '9F37': UN, '9F02': AMOUNT, '5F2A': CURRENCY };

let pki: Pki;
before(async () => (pki = await makePki()));
after(() => pki.close());

function modulusOf(spki: Uint8Array): string {
  const jwk = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }).export({ format: 'jwk' });
  return toHex(new Uint8Array(Buffer.from(jwk.n!, 'base64url')));
}

/** The card data of a good card, with `change` applied to the records' elements (tag → value or undefined to drop). */
async function fdda(change: Record<string, Uint8Array | undefined> = {}, options: { aid?: Uint8Array; sdad?: Uint8Array } = {}): Promise<{ result: OdaResult; tvr: Uint8Array }> {
  const spec = await cardSpec(pki, 'gpo');
  const data = new CardData();
  const rec1 = spec.records.get('0101')!;
  const elements = new Map<string, Uint8Array>([['82', AIP]]);
  for (const record of spec.records.values()) for (const child of parseTlv(record).children!) elements.set(toHex(Uint8Array.of(...(child.tag > 0xff ? [child.tag >> 8, child.tag & 0xff] : [child.tag]))), child.value);
  elements.set('9F4B', options.sdad ?? signSdad(pki.icc.privateKey, concat(UN, AMOUNT, CURRENCY, CAD), hex`1122334455667788`));
  elements.set('9F69', CAD);
  for (const [tag, value] of Object.entries(change)) {
    if (value === undefined) elements.delete(tag);
    else elements.set(tag, value);
  }
  for (const [tag, value] of elements) data.add(Number.parseInt(tag, 16), value, 'test');
  const tvr = new Uint8Array(5);
  const result = performFdda(data, { aid: options.aid ?? AID, caKeys: [pki.caKey], recordData: parseTlv(rec1).value, pan: PAN, date: DATE, terminal: TERMINAL }, tvr);
  return { result, tvr };
}

describe('fDDA: certificate chain issued by the software HSM', () => {
  it('the issuer key (1984 bits, with a remainder) and the ICC key recover exactly; the SDAD verifies', async () => {
    assert.ok(pki.issuerCert.remainder.length > 0);
    const issuer = retrieveIssuerKey(pki.caKey, { ...pki.issuerCert, pan: PAN, date: DATE });
    assert.ok(issuer.ok);
    assert.equal(toHex(issuer.key.modulus), modulusOf(await pki.hsm.exportPublicKey(pki.issuerId, { tenant: 'bank-a', actor: 'device-test' })));
    const staticData = staticDataOf(record1('gpo'));
    const iccCert = await pki.issueIcc({ staticData });
    const icc = retrieveIccKey(issuer.key, { ...iccCert, staticData, pan: PAN, date: DATE });
    assert.ok(icc.ok);
    assert.equal(toHex(icc.key.modulus), modulusOf(pki.icc.spki));
    const dynamic = concat(UN, AMOUNT, CURRENCY, CAD);
    const sdad = signSdad(pki.icc.privateKey, dynamic, hex`0102030405060708`);
    assert.equal(verifySdad(icc.key, sdad, dynamic), true);
    const tampered = sdad.slice();
    tampered[5]! ^= 0x80;
    assert.equal(verifySdad(icc.key, tampered, dynamic), false, 'a tampered SDAD');
    assert.equal(verifySdad(icc.key, sdad, concat(hex`01020305`, AMOUNT, CURRENCY, CAD)), false, 'another unpredictable number');
    assert.equal(verifySdad(icc.key, sdad.subarray(1), dynamic), false, 'a short SDAD');
  });

  it('an ICC key longer than the issuer certificate room (remainder 9F48) recovers too', async () => {
    const big = iccKeyPair(1984);
    const staticData = hex`5A0847617390010100109F4A0182`;
    const issuer = retrieveIssuerKey(pki.caKey, { ...pki.issuerCert, pan: PAN, date: DATE });
    assert.ok(issuer.ok);
    const cert = await pki.issueIcc({ staticData, spki: big.spki });
    assert.ok(cert.remainder.length > 0);
    const icc = retrieveIccKey(issuer.key, { ...cert, staticData, pan: PAN, date: DATE });
    assert.ok(icc.ok);
    assert.equal(toHex(icc.key.modulus), modulusOf(big.spki));
  });

  it('a good card: fdda-ok and a clean TVR', async () => {
    const { result, tvr } = await fdda();
    assert.deepEqual(result, { kind: 'fdda-ok' });
    assert.equal(toHex(tvr), '0000000000');
  });

  const failures: [string, () => Promise<{ result: OdaResult; tvr: Uint8Array }>, string, boolean][] = [
    ['a tampered issuer certificate', async () => fdda({ '90': flip(pki.issuerCert.certificate, 100) }), 'issuer-', false],
    ['a tampered issuer remainder', async () => fdda({ '92': flip(pki.issuerCert.remainder, 3) }), 'issuer-hash', false],
    ['a wrong CA index', async () => fdda({ '8F': Uint8Array.of(CA_INDEX + 1) }), 'ca-key-unknown', false],
    ['another RID', async () => fdda({}, { aid: hex`A0000000041010` }), 'ca-key-unknown', false],
    ['an expired issuer certificate', async () => fdda({ '90': (await pki.issueIssuer({ expiry: '1026' })).certificate }), 'issuer-expired', false],
    ['an issuer identifier that is not the PAN prefix', async () => fdda({ '90': (await pki.issueIssuer({ issuerIdentifier: '476174' })).certificate }), 'issuer-identifier', false],
    ['an ICC certificate for another PAN', async () => fdda({ '9F46': (await pki.issueIcc({ pan: '4761739001010011', staticData: staticDataOf(record1('gpo')) })).certificate }), 'icc-identifier', false],
    ['an expired ICC certificate', async () => fdda({ '9F46': (await pki.issueIcc({ expiry: '1026', staticData: staticDataOf(record1('gpo')) })).certificate }), 'icc-expired', false],
    ['wrong static data (the card changed record 1)', async () => fdda({ '9F46': (await pki.issueIcc({ staticData: staticDataOf(record1('gpo'), hex`2401`) })).certificate }), 'icc-hash', false],
    ['a tampered SDAD', async () => fdda({}, { sdad: flip(signSdad(pki.icc.privateKey, concat(UN, AMOUNT, CURRENCY, CAD), hex`1122334455667788`), 7) }), 'sdad', false],
    ['an SDAD over another amount', async () => fdda({}, { sdad: signSdad(pki.icc.privateKey, concat(UN, hex`000000001001`, CURRENCY, CAD), hex`1122334455667788`) }), 'sdad', false],
    ['a 9F4A that lists more than the AIP', async () => fdda({ '9F4A': hex`825A` }), 'static-data-tag-list', false],
    ['a 9F69 of another fDDA version', async () => fdda({ '9F69': hex`02AABBCCDD0000` }), 'fdda-version', false],
    ['no ICC certificate (9F46)', async () => fdda({ '9F46': undefined }), 'icc-data-missing', true],
    ['no SDAD (9F4B)', async () => fdda({ '9F4B': undefined }), 'icc-data-missing', true],
    ['no CA index (8F)', async () => fdda({ '8F': undefined }), 'icc-data-missing', true],
  ];
  for (const [name, run, stage, missing] of failures) {
    it(`${name}: "DDA failed"${missing ? ' and "ICC data missing"' : ''}`, async () => {
      const { result, tvr } = await run();
      assert.equal(result.kind, 'failed');
      assert.ok(result.kind === 'failed' && result.stage.startsWith(stage), result.kind === 'failed' ? result.stage : '');
      assert.ok(hasTvr(tvr, 'ddaFailed'));
      assert.equal(hasTvr(tvr, 'iccDataMissing'), missing);
      assert.equal(hasTvr(tvr, 'odaNotPerformed'), false);
    });
  }

  it('certificate expiry is inclusive of its month: MMYY 1126 is still valid on 261130, 1026 is not on 261101', async () => {
    const issuer = (expiry: string, date: string) => pki.issueIssuer({ expiry }).then((c) => retrieveIssuerKey(pki.caKey, { ...c, pan: PAN, date }));
    assert.equal((await issuer('1126', '261130')).ok, true);
    assert.deepEqual(await issuer('1026', '261101'), { ok: false, failure: 'expired' });
    // Book 3 Annex A year windowing: YY 00–49 is 20YY, 50–99 is 19YY
    assert.equal((await issuer('1249', '991231')).ok, true, 'valid to 12/2049 on 31/12/1999');
    assert.deepEqual(await issuer('1250', DATE), { ok: false, failure: 'expired' }, '12/1950 is long expired in 2026 (a plain YY compare would say 50 > 26)');
  });

  it('a certificate recovered with a key of another length, or garbage, does not recover', () => {
    const key: RsaPublicKey = pki.caKey;
    assert.deepEqual(retrieveIssuerKey(key, { certificate: new Uint8Array(255), remainder: new Uint8Array(0), exponent: hex`03`, pan: PAN, date: DATE }), { ok: false, failure: 'recovery' });
    assert.deepEqual(retrieveIssuerKey(key, { certificate: new Uint8Array(256).fill(0xff), remainder: new Uint8Array(0), exponent: hex`03`, pan: PAN, date: DATE }), { ok: false, failure: 'recovery' });
  });
});

function flip(bytes: Uint8Array, at: number): Uint8Array {
  const out = bytes.slice();
  out[at]! ^= 0x01;
  return out;
}
