/**
 * A device app's signing identity: the key pair its developer signs the app with and the self-signed
 * X.509 certificate (RFC 5280) the platform reads from the app's signature — what an Android app
 * presents to the access-control enforcer (GP SEAC v1.1 §4: the DeviceAppID is the hash of the app's
 * signing certificate). The certificate is DER built here with node:crypto (ECDSA P-256, SHA-256);
 * `certificateHash()` is SHA-256 over the DER, the value the SP declares to the TSM as its service's
 * `walletCertHash` and the TSM writes into the ARA-M rule.
 */
import { createHash, generateKeyPairSync, randomBytes, sign as signData, X509Certificate, type KeyObject } from 'node:crypto';
import { inspect } from 'node:util';
import { fromHex, toHex } from '../../bytes/index.ts';
import type { DeviceApp } from '../access-control/access-decision.ts';
import { DeviceError } from '../errors.ts';

/** How to make a new identity. */
export interface SigningIdentityOptions {
  /** The app's package name (SEAC v1.1 PKG-REF-DO), e.g. `com.example.wallet`. */
  readonly packageName: string;
  /** Subject and issuer CN; default: the package name. */
  readonly commonName?: string;
  /** Start of validity; default now. */
  readonly notBefore?: Date;
  /** Validity in days; default 25 years (Android asks signing certificates to outlive the app). */
  readonly validDays?: number;
  /** A P-256 key pair to use instead of a fresh one. */
  readonly keyPair?: { readonly publicKey: KeyObject; readonly privateKey: KeyObject };
}

/** An ITU-T X.690 DER element: tag, definite length (short or long form), body. */
function der(tag: number, ...parts: readonly Uint8Array[]): Uint8Array {
  const length = parts.reduce((n, p) => n + p.length, 0);
  const lengthBytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) lengthBytes.unshift(n & 0xff);
  const header = length < 0x80 ? [tag, length] : [tag, 0x80 | lengthBytes.length, ...lengthBytes];
  const out = new Uint8Array(header.length + length);
  out.set(header);
  let offset = header.length;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

const SEQUENCE = 0x30;
const SET = 0x31;
const oid = (hex: string): Uint8Array => der(0x06, fromHex(hex));
/** ecdsa-with-SHA256 (RFC 5758 §3.2), parameters absent. */
const ECDSA_SHA256 = der(SEQUENCE, oid('2A8648CE3D040302'));
const COMMON_NAME = oid('550403');
const BASIC_CONSTRAINTS = oid('551D13');
const KEY_USAGE = oid('551D0F');
const TRUE = der(0x01, Uint8Array.of(0xff));

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050, both in seconds with Z. */
function time(date: Date): Uint8Array {
  const iso = date.toISOString();
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  const year = date.getUTCFullYear();
  return year < 2050 ? der(0x17, new TextEncoder().encode(digits.slice(2))) : der(0x18, new TextEncoder().encode(digits));
}

const nameOf = (cn: string): Uint8Array => der(SEQUENCE, der(SET, der(SEQUENCE, COMMON_NAME, der(0x0c, new TextEncoder().encode(cn)))));

/** A positive, minimally encoded 8-byte serial number (RFC 5280 §4.1.2.2). */
function serialNumber(): Uint8Array {
  const serial = new Uint8Array(randomBytes(8));
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  return der(0x02, serial);
}

/** The self-signed v3 certificate (RFC 5280 §4.1): not a CA, digitalSignature only. */
function selfSignedCertificate(cn: string, keys: { publicKey: KeyObject; privateKey: KeyObject }, notBefore: Date, days: number): Uint8Array {
  const notAfter = new Date(notBefore.getTime() + days * 86_400_000);
  const extensions = der(0xa3, der(SEQUENCE,
    der(SEQUENCE, BASIC_CONSTRAINTS, TRUE, der(0x04, der(SEQUENCE))),
    der(SEQUENCE, KEY_USAGE, TRUE, der(0x04, der(0x03, Uint8Array.of(0x07, 0x80)))),
  ));
  const tbs = der(SEQUENCE,
    der(0xa0, der(0x02, Uint8Array.of(2))), serialNumber(), ECDSA_SHA256, nameOf(cn),
    der(SEQUENCE, time(notBefore), time(notAfter)), nameOf(cn),
    new Uint8Array(keys.publicKey.export({ type: 'spki', format: 'der' })), extensions);
  const signature = new Uint8Array(signData('sha256', tbs, keys.privateKey));
  return der(SEQUENCE, tbs, ECDSA_SHA256, der(0x03, Uint8Array.of(0), signature));
}

/**
 * A device app's signing key pair and its certificate. Prints as its package name and certificate
 * hash; the private key never leaves the object except as signatures.
 * @example const id = SigningIdentity.create({ packageName: 'com.bank.wallet' }); id.certificateHashHex()
 */
export class SigningIdentity {
  readonly packageName: string;
  /** The certificate, DER. */
  readonly certificate: Uint8Array;
  readonly publicKey: KeyObject;
  readonly #privateKey: KeyObject;
  readonly #hash: Uint8Array;

  private constructor(packageName: string, certificate: Uint8Array, publicKey: KeyObject, privateKey: KeyObject) {
    this.packageName = packageName;
    this.certificate = certificate;
    this.publicKey = publicKey;
    this.#privateKey = privateKey;
    this.#hash = new Uint8Array(createHash('sha256').update(certificate).digest());
  }

  /** A new identity: a P-256 key pair (or the one given) and a self-signed certificate for it. */
  static create(options: SigningIdentityOptions): SigningIdentity {
    const { packageName } = options;
    if (typeof packageName !== 'string' || !/^[A-Za-z][\w]*(\.[A-Za-z][\w]*)+$/.test(packageName) || packageName.length > 255) {
      throw new DeviceError('ERR_DEVICE_PARAM', 'signing identity: packageName must be a dotted Java package name of at most 255 characters');
    }
    const days = options.validDays ?? 25 * 365;
    if (!Number.isInteger(days) || days < 1 || days > 100 * 366) throw new DeviceError('ERR_DEVICE_PARAM', 'signing identity: validDays must be 1..36600');
    const keys = options.keyPair ?? generateKeyPairSync('ec', { namedCurve: 'P-256' });
    if (keys.privateKey.asymmetricKeyType !== 'ec' || keys.privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new DeviceError('ERR_DEVICE_PARAM', 'signing identity: the key pair must be ECDSA P-256');
    }
    const certificate = selfSignedCertificate(options.commonName ?? packageName, keys, options.notBefore ?? new Date(), days);
    return new SigningIdentity(packageName, certificate, keys.publicKey, keys.privateKey);
  }

  /** SHA-256 of the certificate's DER (SEAC v1.1 §3.1.2 DeviceAppID; the TSM's `walletCertHash`), 32 bytes. */
  certificateHash(): Uint8Array {
    return this.#hash.slice();
  }

  /** {@link certificateHash} as upper-case hex (as a service definition takes it). */
  certificateHashHex(): string {
    return toHex(this.#hash);
  }

  /** The certificate as node:crypto reads it (subject, validity, public key). */
  x509(): X509Certificate {
    return new X509Certificate(this.certificate);
  }

  /** The app as the platform presents it to the access-control enforcer: its package and certificate chain (leaf only). */
  deviceApp(): DeviceApp {
    return Object.freeze({ packageName: this.packageName, certificates: Object.freeze([this.certificate.slice()]) });
  }

  /** An ECDSA-SHA256 signature (DER) of `data` with the app's key. */
  sign(data: Uint8Array): Uint8Array {
    return new Uint8Array(signData('sha256', data, this.#privateKey));
  }

  toString(): string {
    return `SigningIdentity(${this.packageName}, sha256 ${this.certificateHashHex()})`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}
