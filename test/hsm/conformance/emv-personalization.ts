/**
 * Conformance: the personalization operations (issueEmvCertificate, generateIccKeyPairForCard,
 * pinBlockForCard), each checked INDEPENDENTLY of the code under test: certificates are recovered
 * here with the signer's public key (raw RSA, node:crypto) and parsed by EMV Book 2 §5.3 Table 13
 * / §6.4 Table 14 as written below, the SHA-1 recomputed; the CRT components are decrypted here with
 * the DEK the test imported, checked by arithmetic (p·q = n, d mod (p−1), d mod (q−1), q⁻¹ mod p)
 * and rebuilt into a key that signs what the certified key verifies; the card PIN block is
 * decrypted here and compared with a format 2 block written out by hand.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { constants, createHash, createPrivateKey, createPublicKey, generateKeyPairSync, publicEncrypt, sign, verify } from 'node:crypto';
import { concat, fromHex, toHex } from '../../../src/bytes/index.ts';
import { aesCbcDecrypt, tdesEcbDecrypt, tdesEcbEncrypt } from '../../../src/crypto/index.ts';
import { encipherPinBlockIso4, encodePinBlock } from '../../../src/emv/index.ts';
import { SCP02_DERIVATION, scp02SessionKey } from '../../../src/gp/index.ts';
import type { IccKeyPairForCard } from '../../../src/hsm/index.ts';
import { SPECS, importClear, rejectsWith, withHsm, type HsmSetup, type HsmUnderTest } from './fixture.ts';

const DEK_AES = fromHex('505152535455565758595A5B5C5D5E5F');
const DEK_TDES = fromHex('3132333435363738393A3B3C3D3E3F40');
const PIN_KEY = fromHex('C1D0F8FB4958670DBA40AB1F3752EF0D');
const PIN_KEY_AES = fromHex('00112233445566778899AABBCCDDEEFF');
const PAN = '4761739001010119';
const SERIAL = fromHex('0A0B0C');
const STATIC_DATA = fromHex('5A0847617390010101195F24032912315F3401002400');

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64url');
const big = (b: Uint8Array): bigint => (b.length === 0 ? 0n : BigInt(`0x${toHex(b)}`));
const sha1 = (...parts: Uint8Array[]): string => createHash('sha1').update(concat(...parts)).digest('hex').toUpperCase();
const jwkOf = (spki: Uint8Array) => createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }).export({ format: 'jwk' });
const modulusOf = (spki: Uint8Array): Uint8Array => new Uint8Array(Buffer.from(jwkOf(spki).n!, 'base64url'));

/** A key pair made by the test (the subject of an issuer certificate), RSA with e = 3. */
function testRsaKey(bits: number): Uint8Array {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: bits, publicExponent: 3, publicKeyEncoding: { type: 'spki', format: 'der' }, privateKeyEncoding: { type: 'pkcs1', format: 'der' } });
  return new Uint8Array(publicKey);
}

/**
 * Recovers `certificate` with the signer's public key and parses it by Table 13 (issuer, 14 header
 * bytes before the key) or Table 14 (ICC, 20): returns the fields and the certified modulus, after
 * checking header, trailer and hash.
 */
function recover(signerSpki: Uint8Array, cert: { certificate: Uint8Array; remainder: Uint8Array; exponent: Uint8Array }, kind: 'issuer' | 'icc', staticData: Uint8Array = new Uint8Array(0)) {
  const x = new Uint8Array(publicEncrypt({ key: createPublicKey({ key: Buffer.from(signerSpki), format: 'der', type: 'spki' }), padding: constants.RSA_NO_PADDING }, cert.certificate));
  const n = x.length;
  assert.deepEqual([x[0], x[n - 1]], [0x6a, 0xbc], 'recovered data header 6A and trailer BC (Book 2 A2.1)');
  const msg1 = x.subarray(1, n - 21);
  const idLength = kind === 'issuer' ? 4 : 10;
  const at = 1 + idLength;
  const header = { format: msg1[0], id: toHex(msg1.subarray(1, at)), expiry: toHex(msg1.subarray(at, at + 2)), serial: toHex(msg1.subarray(at + 2, at + 5)), algorithms: toHex(msg1.subarray(at + 5, at + 7)) };
  const keyLength = msg1[at + 7]!;
  const exponentLength = msg1[at + 8]!;
  const leftmost = msg1.subarray(at + 9);
  assert.equal(leftmost.length, n - (kind === 'issuer' ? 36 : 42));
  assert.equal(exponentLength, cert.exponent.length);
  const modulus = keyLength <= leftmost.length ? leftmost.subarray(0, keyLength) : concat(leftmost, cert.remainder);
  if (keyLength <= leftmost.length) assert.ok(leftmost.subarray(keyLength).every((b) => b === 0xbb), 'padded with BB');
  assert.equal(modulus.length, keyLength);
  assert.equal(toHex(x.subarray(n - 21, n - 1)), sha1(msg1, cert.remainder, cert.exponent, staticData), 'SHA-1 over MSG1 ‖ remainder ‖ exponent (‖ static data)');
  return { header, modulus };
}

/** The plain DEK decryption of one encrypted DGI value, as the card does it. */
function decryptForCard(scp: 2 | 3, data: Uint8Array): Uint8Array {
  return scp === 3 ? aesCbcDecrypt(DEK_AES, data, { iv: new Uint8Array(16) }) : tdesEcbDecrypt(scp02SessionKey(DEK_TDES, SCP02_DERIVATION.DEK, 0x0042), data);
}

async function dekFor(t: HsmUnderTest, scp: 2 | 3) {
  return scp === 3 ? importClear(t, SPECS.gpDek, DEK_AES) : importClear(t, { ...SPECS.gpDek, algorithm: 'T' }, DEK_TDES);
}

const channel = (scp: 2 | 3) => (scp === 3 ? { scp: 3 as const } : { scp: 2 as const, sequenceCounter: 0x0042 });

/** The CRT components decrypted with the plain DEK, checked by arithmetic, rebuilt into a private key. */
function rebuild(out: IccKeyPairForCard, scp: 2 | 3, bits: number) {
  const half = bits / 16;
  const [qInv, dq, dp, q, p] = [out.privateKey.qInv, out.privateKey.dq, out.privateKey.dp, out.privateKey.q, out.privateKey.p].map((c) => {
    const clear = decryptForCard(scp, c);
    const padded = Math.ceil(half / (scp === 3 ? 16 : 8)) * (scp === 3 ? 16 : 8);
    assert.equal(clear.length, padded);
    if (padded !== half) assert.equal(toHex(clear.subarray(half)), toHex(concat(Uint8Array.of(0x80), new Uint8Array(padded - half - 1))));
    return clear.subarray(0, half);
  }) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  const n = big(modulusOf(out.publicKey));
  const e = big(out.exponent);
  const [P, Q] = [big(p), big(q)];
  assert.equal(P * Q, n, 'p·q is the public modulus');
  const phi = (P - 1n) * (Q - 1n);
  const d = modInverse(e, phi);
  assert.deepEqual([big(dp), big(dq), (big(qInv) * Q) % P], [d % (P - 1n), d % (Q - 1n), 1n], 'DGIs 8203, 8202, 8201: d mod (p−1), d mod (q−1), q⁻¹ mod p');
  const hex = (v: bigint) => v.toString(16).padStart(2 * Math.ceil(v.toString(16).length / 2), '0');
  const b = (v: bigint) => b64(fromHex(hex(v)));
  return createPrivateKey({ key: { kty: 'RSA', n: b(n), e: b(e), d: b(d), p: b(P), q: b(Q), dp: b(big(dp)), dq: b(big(dq)), qi: b(big(qInv)) }, format: 'jwk' });
}

function modInverse(a: bigint, m: bigint): bigint {
  let [r0, r1, s0, s1] = [m, a % m, 0n, 1n];
  while (r1 !== 0n) {
    const k = r0 / r1;
    [r0, r1, s0, s1] = [r1, r0 - k * r1, s1, s0 - k * s1];
  }
  return ((s0 % m) + m) % m;
}

async function caKey(t: HsmUnderTest) {
  return t.hsm.generateKeyPair({ algorithm: 'R', size: 2048, usage: 'S1', owner: t.ctx.tenant, label: 'CA' }, t.ctx);
}

export function emvPersonalizationTests(setup: HsmSetup): void {
  describe('issueEmvCertificate', () => {
    for (const bits of [1408, 1792]) {
      it(`an issuer certificate (Table 13) for a ${bits}-bit key recovers with the CA key${bits > 1760 ? ', with a remainder' : ''}`, () =>
        withHsm(setup, async (t) => {
          const ca = await caKey(t);
          const subject = testRsaKey(bits);
          const cert = await t.hsm.issueEmvCertificate(ca.id, { kind: 'issuer', issuerIdentifier: '476173', expiry: '1230', serialNumber: SERIAL, subjectPublicKey: subject }, t.ctx);
          assert.equal(cert.certificate.length, 256);
          assert.equal(toHex(cert.exponent), '03');
          assert.equal(cert.remainder.length, Math.max(0, bits / 8 - (256 - 36)));
          const { header, modulus } = recover(await t.hsm.exportPublicKey(ca.id, t.ctx), cert, 'issuer');
          assert.deepEqual(header, { format: 0x02, id: '476173FF', expiry: '1230', serial: '0A0B0C', algorithms: '0101' });
          assert.equal(toHex(modulus), toHex(modulusOf(subject)));
        }));
    }
  });

  describe('generateIccKeyPairForCard', () => {
    for (const [scp, bits] of [[3, 1024], [2, 1728]] as const) {
      it(`SCP0${scp}, ${bits} bits: the certificate recovers with the issuer key, the CRT components rebuild a key the certificate vouches for`, () =>
        withHsm(setup, async (t) => {
          const issuer = await caKey(t);
          const dek = await dekFor(t, scp);
          const request = { issuer: issuer.id, pan: PAN, expiry: '1229', serialNumber: SERIAL, staticData: STATIC_DATA, dek: dek.id, ...channel(scp), ...(bits === 1024 ? {} : { keySize: bits }) };
          const out = await t.hsm.generateIccKeyPairForCard(request, t.ctx);
          assert.equal(toHex(out.exponent), '03');
          assert.equal(out.remainder.length, Math.max(0, bits / 8 - (256 - 42)));
          const { header, modulus } = recover(await t.hsm.exportPublicKey(issuer.id, t.ctx), out, 'icc', STATIC_DATA);
          assert.deepEqual(header, { format: 0x04, id: `${PAN}FFFF`, expiry: '1229', serial: '0A0B0C', algorithms: '0101' });
          assert.equal(toHex(modulus), toHex(modulusOf(out.publicKey)), 'the certified key is the returned public key');
          const privateKey = rebuild(out, scp, bits);
          assert.equal(toHex(new Uint8Array(createPublicKey(privateKey).export({ format: 'der', type: 'spki' }))), toHex(out.publicKey));
          const certified = createPublicKey({ key: { kty: 'RSA', n: b64(modulus), e: b64(out.exponent) }, format: 'jwk' });
          const data = fromHex('9F370411223344');
          assert.equal(verify('sha256', data, certified, sign('sha256', data, privateKey)), true);
          const again = await t.hsm.generateIccKeyPairForCard(request, t.ctx);
          assert.notEqual(toHex(again.publicKey), toHex(out.publicKey), 'a new key pair per call');
        }));
    }
  });

  it('the chain CA (1408) → issuer (1152) → ICC (1024), every key in the HSM, each certificate with a remainder, recovers as a terminal does', () =>
    withHsm(setup, async (t) => {
      const s1 = (size: number) => t.hsm.generateKeyPair({ algorithm: 'R', size, usage: 'S1', owner: t.ctx.tenant }, t.ctx);
      const [ca, issuer, dek] = [await s1(1408), await s1(1152), await dekFor(t, 3)];
      const issuerSpki = await t.hsm.exportPublicKey(issuer.id, t.ctx);
      const issuerCert = await t.hsm.issueEmvCertificate(ca.id, { kind: 'issuer', issuerIdentifier: '47617390', expiry: '1230', serialNumber: SERIAL, subjectPublicKey: issuerSpki }, t.ctx);
      assert.deepEqual([issuerCert.certificate.length, issuerCert.remainder.length, toHex(issuerCert.exponent)], [176, 144 - 140, '010001']);
      const recovered = recover(await t.hsm.exportPublicKey(ca.id, t.ctx), issuerCert, 'issuer');
      assert.equal(recovered.header.id, '47617390');
      // the terminal's next step uses the issuer key as recovered, not as the HSM exported it
      const issuerKey = createPublicKey({ key: { kty: 'RSA', n: b64(recovered.modulus), e: b64(issuerCert.exponent) }, format: 'jwk' });
      const out = await t.hsm.generateIccKeyPairForCard({ issuer: issuer.id, pan: PAN, expiry: '1229', serialNumber: SERIAL, staticData: STATIC_DATA, dek: dek.id, scp: 3 }, t.ctx);
      assert.deepEqual([out.certificate.length, out.remainder.length], [144, 128 - 102]);
      const icc = recover(new Uint8Array(issuerKey.export({ format: 'der', type: 'spki' })), out, 'icc', STATIC_DATA);
      assert.equal(toHex(icc.modulus), toHex(modulusOf(out.publicKey)));
      rebuild(out, 3, 1024);
    }));

  describe('pinBlockForCard', () => {
    const pin = '4321';
    const format2 = '244321FFFFFFFFFF'; // ISO 9564-1 §9.3: 2 ‖ N ‖ PIN ‖ F…
    for (const scp of [3, 2] as const) {
      it(`formats 0, 1, 3 and 4 become the card's format 2 block under the SCP0${scp} DEK`, () =>
        withHsm(setup, async (t) => {
          const dek = await dekFor(t, scp);
          const zpk = await importClear(t, SPECS.pinT, PIN_KEY);
          const aes = await importClear(t, SPECS.pinA, PIN_KEY_AES);
          const sources = [
            { key: zpk.id, format: 0 as const, block: tdesEcbEncrypt(PIN_KEY, encodePinBlock(pin, { format: 0, pan: PAN })), pan: PAN },
            { key: zpk.id, format: 1 as const, block: tdesEcbEncrypt(PIN_KEY, encodePinBlock(pin, { format: 1 })) },
            { key: zpk.id, format: 3 as const, block: tdesEcbEncrypt(PIN_KEY, encodePinBlock(pin, { format: 3, pan: PAN })), pan: PAN },
            { key: aes.id, format: 4 as const, block: encipherPinBlockIso4(PIN_KEY_AES, pin, PAN), pan: PAN },
          ];
          for (const source of sources) {
            const out = await t.hsm.pinBlockForCard({ pin: source, dek: dek.id, ...channel(scp) }, t.ctx);
            assert.equal(out.length, scp === 3 ? 16 : 8);
            assert.equal(toHex(decryptForCard(scp, out)), scp === 3 ? `${format2}8000000000000000` : format2, `from format ${source.format}`);
          }
        }));
    }
  });

  describe('refusals and audit', () => {
    it('the wrong usages are refused: a non-S1 or EC signer, a non-DEK, a PIN key that may not decrypt, another tenant', () =>
      withHsm(setup, async (t) => {
        const ca = await caKey(t);
        const s0 = await t.hsm.generateKeyPair({ algorithm: 'R', size: 2048, usage: 'S0', owner: t.ctx.tenant }, t.ctx);
        const ec = await t.hsm.generateKeyPair({ algorithm: 'E', size: 256, usage: 'S1', owner: t.ctx.tenant }, t.ctx);
        const dek = await dekFor(t, 3);
        const zpk = await importClear(t, SPECS.pinT, PIN_KEY);
        const encryptOnly = await importClear(t, { ...SPECS.pinT, modeOfUse: 'E' }, PIN_KEY);
        const data = await importClear(t, SPECS.dataA, DEK_AES);
        const kek = await importClear(t, SPECS.kek, DEK_AES); // K0 without the GP-DEK label
        const issuerCert = { kind: 'issuer' as const, issuerIdentifier: '476173', expiry: '1230', serialNumber: SERIAL, subjectPublicKey: testRsaKey(1024) };
        for (const signer of [s0.id, ec.id, dek.id, zpk.id]) await rejectsWith(t.hsm.issueEmvCertificate(signer, issuerCert, t.ctx), 'ERR_HSM_USAGE');
        await rejectsWith(t.hsm.issueEmvCertificate(ca.id, issuerCert, t.otherCtx), 'ERR_HSM_TENANT');
        const icc = { issuer: ca.id, pan: PAN, expiry: '1229', serialNumber: SERIAL, staticData: STATIC_DATA, dek: dek.id, scp: 3 as const };
        for (const bad of [{ issuer: s0.id }, { issuer: ec.id }, { dek: data.id }, { dek: kek.id }, { dek: ca.id }, { dek: zpk.id }]) {
          await rejectsWith(t.hsm.generateIccKeyPairForCard({ ...icc, ...bad }, t.ctx), 'ERR_HSM_USAGE');
        }
        await rejectsWith(t.hsm.generateIccKeyPairForCard({ ...icc, scp: 2, sequenceCounter: 1 }, t.ctx), 'ERR_HSM_USAGE'); // an AES DEK on an SCP02 channel
        await rejectsWith(t.hsm.generateIccKeyPairForCard(icc, t.otherCtx), 'ERR_HSM_TENANT');
        for (const keySize of [1000, 512, 2048]) await rejectsWith(t.hsm.generateIccKeyPairForCard({ ...icc, keySize }, t.ctx), 'ERR_HSM_PARAM');
        const block = tdesEcbEncrypt(PIN_KEY, encodePinBlock('4321', { format: 0, pan: PAN }));
        const pinRequest = { pin: { key: zpk.id, format: 0 as const, block, pan: PAN }, dek: dek.id, scp: 3 as const };
        await rejectsWith(t.hsm.pinBlockForCard({ ...pinRequest, pin: { ...pinRequest.pin, key: encryptOnly.id } }, t.ctx), 'ERR_HSM_USAGE');
        await rejectsWith(t.hsm.pinBlockForCard({ ...pinRequest, pin: { ...pinRequest.pin, key: data.id } }, t.ctx), 'ERR_HSM_USAGE');
        await rejectsWith(t.hsm.pinBlockForCard({ ...pinRequest, dek: zpk.id }, t.ctx), 'ERR_HSM_USAGE');
        await rejectsWith(t.hsm.pinBlockForCard({ ...pinRequest, pin: { key: zpk.id, format: 2, block } }, t.ctx), 'ERR_HSM_PARAM');
        await rejectsWith(t.hsm.pinBlockForCard(pinRequest, t.otherCtx), 'ERR_HSM_TENANT');
      }));

    it('one audit event per call, keys by id and KCV, and no PIN, PAN, DEK or CRT component in events or errors', () =>
      withHsm(setup, async (t) => {
        const ca = await caKey(t);
        const dek = await dekFor(t, 3);
        const zpk = await importClear(t, SPECS.pinT, PIN_KEY);
        const pin = '918273';
        const before = t.auditEvents().length;
        const errors: string[] = [];
        const note = (e: unknown): void => void errors.push(e instanceof Error ? `${e.message} ${String(e.cause)}` : String(e));
        const out = await t.hsm.generateIccKeyPairForCard({ issuer: ca.id, pan: PAN, expiry: '1229', serialNumber: SERIAL, staticData: STATIC_DATA, dek: dek.id, scp: 3 }, t.ctx);
        const block = tdesEcbEncrypt(PIN_KEY, encodePinBlock(pin, { format: 0, pan: PAN }));
        await t.hsm.pinBlockForCard({ pin: { key: zpk.id, format: 0, block, pan: PAN }, dek: dek.id, scp: 3 }, t.ctx);
        await t.hsm.pinBlockForCard({ pin: { key: zpk.id, format: 0, block, pan: '4761739001010127' }, dek: dek.id, scp: 3 }, t.ctx).catch(note);
        await t.hsm.generateIccKeyPairForCard({ issuer: ca.id, pan: `${PAN}X`, expiry: '1229', serialNumber: SERIAL, staticData: STATIC_DATA, dek: dek.id, scp: 3 }, t.ctx).catch(note);
        await t.hsm.issueEmvCertificate(dek.id, { kind: 'icc', pan: PAN, expiry: '1229', serialNumber: SERIAL, staticData: STATIC_DATA, subjectPublicKey: out.publicKey }, t.ctx).catch(note);
        assert.equal(errors.length, 3);
        const events = t.auditEvents().slice(before);
        assert.deepEqual(events.map((e) => [e.operation, e.result, e.code ?? null]), [
          ['generateIccKeyPairForCard', 'ok', null],
          ['pinBlockForCard', 'ok', null],
          ['pinBlockForCard', 'refused', 'ERR_EMV_PIN_BLOCK'],
          ['generateIccKeyPairForCard', 'refused', 'ERR_HSM_PARAM'],
          ['issueEmvCertificate', 'refused', 'ERR_HSM_USAGE'],
        ]);
        assert.deepEqual(events[0]!.keys, [{ id: dek.id, kcv: dek.kcv }, { id: ca.id, kcv: ca.kcv }]);
        assert.deepEqual(events[1]!.keys, [{ id: dek.id, kcv: dek.kcv }, { id: zpk.id, kcv: zpk.kcv }]);
        const k = out.privateKey;
        const components = [k.qInv, k.dq, k.dp, k.q, k.p].map((c) => toHex(decryptForCard(3, c)).slice(0, 64));
        const text = JSON.stringify(events) + errors.join('\n');
        for (const secret of [pin, PAN, toHex(DEK_AES), toHex(PIN_KEY), format2Of(pin), ...components]) {
          assert.ok(!text.includes(secret) && !text.includes(secret.toLowerCase()), 'found a secret in the audit trail or an error message');
        }
      }));
  });
}

function format2Of(pin: string): string {
  return `2${pin.length.toString(16)}${pin}`.padEnd(16, 'F').toUpperCase();
}
