/**
 * The wallet's signing identity: a self-signed X.509 certificate in DER that node:crypto parses and
 * verifies, its SHA-256 hash (SEAC v1.1 DeviceAppID; the TSM's walletCertHash), and the DeviceApp
 * the platform presents to the access-control enforcer.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, verify, X509Certificate } from 'node:crypto';
import { inspect } from 'node:util';
import { toHex } from '../../../src/bytes/index.ts';
import { DeviceError } from '../../../src/device/errors.ts';
import { SigningIdentity } from '../../../src/device/wallet/signing-identity.ts';

describe('SigningIdentity', () => {
  it('builds a self-signed v3 certificate node:crypto parses and verifies', () => {
    const id = SigningIdentity.create({ packageName: 'com.example.wallet', notBefore: new Date('2026-01-01T00:00:00Z'), validDays: 365 });
    const x509 = new X509Certificate(id.certificate);
    assert.equal(x509.subject, 'CN=com.example.wallet');
    assert.equal(x509.issuer, 'CN=com.example.wallet');
    assert.equal(x509.ca, false);
    assert.equal(new Date(x509.validFrom).toISOString(), '2026-01-01T00:00:00.000Z');
    assert.equal(new Date(x509.validTo).toISOString(), '2027-01-01T00:00:00.000Z');
    assert.ok(x509.verify(x509.publicKey), 'the self-signature verifies');
    assert.equal(x509.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.deepEqual(x509.publicKey.export({ type: 'spki', format: 'der' }), id.publicKey.export({ type: 'spki', format: 'der' }));
    assert.equal(x509.serialNumber.length, 16);
    assert.equal(id.x509().fingerprint256, x509.fingerprint256);
  });

  it('validity past 2049 is written as GeneralizedTime (RFC 5280 §4.1.2.5)', () => {
    const id = SigningIdentity.create({ packageName: 'com.example.wallet', notBefore: new Date('2040-06-01T12:00:00Z'), validDays: 20 * 365 });
    const x509 = new X509Certificate(id.certificate);
    assert.equal(new Date(x509.validTo).getUTCFullYear(), 2060);
    assert.ok(Buffer.from(id.certificate).includes(Buffer.from('2060', 'ascii')), 'a 4-digit year');
  });

  it('certificateHash is SHA-256 of the DER, 32 bytes; the hex is upper case; different identities differ', () => {
    const id = SigningIdentity.create({ packageName: 'com.example.wallet' });
    const expected = createHash('sha256').update(id.certificate).digest();
    assert.equal(toHex(id.certificateHash()), expected.toString('hex').toUpperCase());
    assert.equal(id.certificateHash().length, 32);
    assert.equal(id.certificateHashHex(), expected.toString('hex').toUpperCase());
    assert.equal(new X509Certificate(id.certificate).fingerprint256.replace(/:/g, ''), id.certificateHashHex());
    id.certificateHash().fill(0);
    assert.equal(toHex(id.certificateHash()), id.certificateHashHex(), 'a copy each time');
    assert.notEqual(SigningIdentity.create({ packageName: 'com.example.wallet' }).certificateHashHex(), id.certificateHashHex());
  });

  it('deviceApp is the package and the certificate chain (leaf only), as the enforcer takes it', () => {
    const id = SigningIdentity.create({ packageName: 'com.bank.pay' });
    const app = id.deviceApp();
    assert.equal(app.packageName, 'com.bank.pay');
    assert.equal(app.certificates.length, 1);
    assert.deepEqual(app.certificates[0], id.certificate);
    assert.ok(Object.isFrozen(app));
  });

  it('signs with the app key (ECDSA-SHA256, verifiable with the certificate key)', () => {
    const id = SigningIdentity.create({ packageName: 'com.bank.pay' });
    const data = new TextEncoder().encode('hello');
    assert.ok(verify('sha256', data, new X509Certificate(id.certificate).publicKey, id.sign(data)));
  });

  it('uses a given P-256 key pair; refuses another key type, a bad package name, a bad validity', () => {
    const keyPair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const id = SigningIdentity.create({ packageName: 'com.bank.pay', keyPair });
    assert.ok(new X509Certificate(id.certificate).publicKey.equals(keyPair.publicKey));
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    assert.throws(() => SigningIdentity.create({ packageName: 'com.bank.pay', keyPair: rsa }), (e) => e instanceof DeviceError && e.code === 'ERR_DEVICE_PARAM');
    for (const packageName of ['', 'wallet', '1com.x', 'com..x', 'com.x y']) {
      assert.throws(() => SigningIdentity.create({ packageName }), (e) => e instanceof DeviceError && e.code === 'ERR_DEVICE_PARAM', packageName);
    }
    assert.throws(() => SigningIdentity.create({ packageName: 'com.bank.pay', validDays: 0 }), DeviceError);
  });

  it('prints as package and hash, never the private key', () => {
    const id = SigningIdentity.create({ packageName: 'com.bank.pay' });
    for (const text of [String(id), inspect(id), JSON.stringify(id)]) {
      assert.ok(!/PRIVATE|privateKey/i.test(text), text);
    }
    assert.match(inspect(id), /com\.bank\.pay.*sha256 [0-9A-F]{64}/);
  });
});
