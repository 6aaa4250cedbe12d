/**
 * Test certificates built with node:crypto and a few lines of DER (RFC 5280 §4.1), so the HTTPS
 * tests need neither openssl nor a dependency: a self-signed ECDSA P-256 server certificate for
 * `localhost` and 127.0.0.1, and for mutual TLS a CA and client certificates it signs. Test-only.
 */
import { createPrivateKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

function der(tag: number, ...parts: readonly Uint8Array[]): Uint8Array {
  const body = Buffer.concat(parts);
  const n = body.length;
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Buffer.concat([Uint8Array.of(tag, ...length), body]);
}

const hex = (h: string): Uint8Array => Buffer.from(h.replace(/ /g, ''), 'hex');
const ECDSA_SHA256 = der(0x30, hex('06 08 2A 86 48 CE 3D 04 03 02'));
const CN = hex('06 03 55 04 03');
const SUBJECT_ALT_NAME = hex('06 03 55 1D 11');
const BASIC_CONSTRAINTS = hex('06 03 55 1D 13');
const KEY_USAGE = hex('06 03 55 1D 0F');
const EXT_KEY_USAGE = hex('06 03 55 1D 25');
const CRITICAL = hex('01 01 FF');
const CLIENT_AUTH = hex('06 08 2B 06 01 05 05 07 03 02');

function utcTime(date: Date): Uint8Array {
  return der(0x17, Buffer.from(`${date.toISOString().slice(2, 19).replace(/[-:T]/g, '')}Z`, 'ascii'));
}

const nameOf = (cn: string): Uint8Array => der(0x30, der(0x31, der(0x30, CN, der(0x0c, Buffer.from(cn)))));
const pemOf = (cert: Uint8Array): string =>
  `-----BEGIN CERTIFICATE-----\n${Buffer.from(cert).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
const keyPem = (key: KeyObject): string => key.export({ type: 'pkcs8', format: 'pem' }).toString();

/** A v3 certificate of `subject` (its public key) signed by `issuerKey` under `issuer`'s name, valid from an hour ago for a day. */
function certificate(subject: string, publicKey: KeyObject, issuer: string, issuerKey: KeyObject, extensions: readonly Uint8Array[]): string {
  const serial = randomBytes(8);
  serial[0]! &= 0x7f;
  const now = Date.now();
  const tbs = der(0x30,
    der(0xa0, der(0x02, Uint8Array.of(2))), der(0x02, serial), ECDSA_SHA256, nameOf(issuer),
    der(0x30, utcTime(new Date(now - 3_600_000)), utcTime(new Date(now + 86_400_000))), nameOf(subject),
    new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })), der(0xa3, der(0x30, ...extensions)));
  const signature = sign('sha256', tbs, issuerKey);
  return pemOf(der(0x30, tbs, ECDSA_SHA256, der(0x03, Uint8Array.of(0), signature)));
}

/** PEM certificate and PKCS#8 key, valid from an hour ago for a day. */
export function selfSignedCertificate(): { readonly cert: string; readonly key: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const san = der(0x30, der(0x82, Buffer.from('localhost')), der(0x87, Uint8Array.of(127, 0, 0, 1)));
  return { cert: certificate('localhost', publicKey, 'localhost', privateKey, [der(0x30, SUBJECT_ALT_NAME, der(0x04, san))]), key: keyPem(privateKey) };
}

/** A test CA (PEM certificate and key) that `clientCertificate` signs with. */
export interface TestCa {
  readonly cert: string;
  readonly key: string;
  readonly name: string;
}

/** A self-signed CA certificate (basicConstraints cA, keyCertSign). */
export function testCa(name = 'OpenTSM test client CA'): TestCa {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const extensions = [
    der(0x30, BASIC_CONSTRAINTS, CRITICAL, der(0x04, der(0x30, hex('01 01 FF')))),
    der(0x30, KEY_USAGE, CRITICAL, der(0x04, hex('03 02 01 06'))),
  ];
  return { cert: certificate(name, publicKey, name, privateKey, extensions), key: keyPem(privateKey), name };
}

/** A client certificate (digitalSignature, clientAuth) for `cn`, signed by `ca`. */
export function clientCertificate(ca: TestCa, cn = 'opentsm test client'): { readonly cert: string; readonly key: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const extensions = [
    der(0x30, KEY_USAGE, CRITICAL, der(0x04, hex('03 02 07 80'))),
    der(0x30, EXT_KEY_USAGE, der(0x04, der(0x30, CLIENT_AUTH))),
  ];
  return { cert: certificate(cn, publicKey, ca.name, createPrivateKey(ca.key), extensions), key: keyPem(privateKey) };
}
