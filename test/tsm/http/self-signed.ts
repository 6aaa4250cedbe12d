/**
 * A self-signed ECDSA P-256 certificate for `localhost` and 127.0.0.1, built with node:crypto and a
 * few lines of DER (RFC 5280 §4.1), so the HTTPS test needs neither openssl nor a dependency.
 */
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';

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

function utcTime(date: Date): Uint8Array {
  return der(0x17, Buffer.from(`${date.toISOString().slice(2, 19).replace(/[-:T]/g, '')}Z`, 'ascii'));
}

/** PEM certificate and PKCS#8 key, valid from an hour ago for a day. */
export function selfSignedCertificate(): { readonly cert: string; readonly key: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const serial = randomBytes(8);
  serial[0]! &= 0x7f;
  const name = der(0x30, der(0x31, der(0x30, CN, der(0x0c, Buffer.from('localhost')))));
  const now = Date.now();
  const san = der(0x30, der(0x82, Buffer.from('localhost')), der(0x87, Uint8Array.of(127, 0, 0, 1)));
  const extensions = der(0xa3, der(0x30, der(0x30, SUBJECT_ALT_NAME, der(0x04, san))));
  const tbs = der(0x30,
    der(0xa0, der(0x02, Uint8Array.of(2))), der(0x02, serial), ECDSA_SHA256, name,
    der(0x30, utcTime(new Date(now - 3_600_000)), utcTime(new Date(now + 86_400_000))), name,
    new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })), extensions);
  const signature = sign('sha256', tbs, privateKey);
  const cert = der(0x30, tbs, ECDSA_SHA256, der(0x03, Uint8Array.of(0), signature));
  const pem = Buffer.from(cert).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return { cert: `-----BEGIN CERTIFICATE-----\n${pem}\n-----END CERTIFICATE-----\n`, key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}
