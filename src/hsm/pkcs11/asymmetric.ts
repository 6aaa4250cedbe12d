/**
 * Signing key pairs on the token: generated there (C_GenerateKeyPair, RSA 2048–4096 or EC P-256),
 * the private key CKA_SENSITIVE and never extractable; every signature is made in the token. The
 * schemes and encodings are the software backend's (software/asymmetric-ops.ts): RSASSA-PKCS1-v1_5
 * with SHA-1/SHA-256, RSASSA-PSS SHA-256 (MGF1-SHA-256, salt 32), ECDSA SHA-256 with a DER (r, s)
 * signature, ISO/IEC 9796-2 scheme 1 (EMV Book 2 A2.1) through the raw RSA mechanism.
 *
 * Verification is a public-key operation: it runs on the host with the public key read from the
 * token's public key object (no secret involved), through node:crypto, exactly as the software
 * backend verifies, so both accept and refuse the same signatures.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { concat, wipe } from '../../bytes/index.ts';
import { encodeTlv, parseTlv, tlv, type Tlv } from '../../tlv/index.ts';
import type { OperationContext } from '../context.ts';
import { HsmError } from '../errors.ts';
import type { AsymmetricKeySpec, SignatureScheme } from '../hsm.ts';
import type { KeyAttributes, KeyHandle } from '../key-attributes.ts';
import type { Trail } from '../shared/audit-trail.ts';
import { RSA_GENERATE_BITS, parsePrivateKey, rsaGenerateMinBits } from '../software/asymmetric-keys.ts';
import { MAX_DATA_BYTES } from '../software/general-ops.ts';
import { iso9796Representative } from '../shared/iso9796-2.ts';
import { PSS_SALT, keyPairAttributes, schemeFor, verifyWithPublicKey } from '../shared/signature-schemes.ts';
import { publicKeyKcv } from '../shared/key-check.ts';
import { CKA, CKG, CKK, CKM, type Pkcs11Attribute, type Pkcs11Mechanism } from './ck.ts';
import type { Pkcs11Core } from './core.ts';
import type { TokenKey } from './key-objects.ts';
import { P256_EC_PARAMS } from './templates.ts';
import { buf } from './token.ts';

function b64url(bytes: Buffer): string {
  return bytes.toString('base64url');
}

/** The SPKI DER of a token public key object (RSA: modulus and exponent; EC: the P-256 point). */
export function publicKeySpki(core: Pkcs11Core, publicObject: Buffer, algorithm: 'R' | 'E'): Uint8Array {
  let key: KeyObject;
  if (algorithm === 'R') {
    const a = core.keys.read(publicObject, [CKA.MODULUS, CKA.PUBLIC_EXPONENT]);
    key = createPublicKey({ key: { kty: 'RSA', n: b64url(a.get(CKA.MODULUS)!), e: b64url(a.get(CKA.PUBLIC_EXPONENT)!) }, format: 'jwk' });
  } else {
    // CKA_EC_POINT: DER OCTET STRING holding 04 ‖ X ‖ Y (PKCS #11 v2.40 §2.3.3)
    const der = core.keys.read(publicObject, [CKA.EC_POINT]).get(CKA.EC_POINT)!;
    const point = Buffer.from(parseTlv(new Uint8Array(der)).value);
    if (point.length !== 65 || point[0] !== 0x04) throw new HsmError('ERR_HSM_BACKEND', 'the token returned an EC point that is not an uncompressed P-256 point');
    key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64url(point.subarray(1, 33)), y: b64url(point.subarray(33)) }, format: 'jwk' });
  }
  const spki = key.export({ format: 'der', type: 'spki' });
  return new Uint8Array(spki.buffer, spki.byteOffset, spki.byteLength);
}

function checkSize(algorithm: 'R' | 'E', size: number, usage: string): void {
  if (algorithm === 'E' && size !== 256) throw new HsmError('ERR_HSM_UNSUPPORTED', 'EC keys on P-256 only (size 256)');
  const min = rsaGenerateMinBits(usage);
  if (algorithm === 'R' && (!Number.isInteger(size) || size < min || size > RSA_GENERATE_BITS.max || size % 8 !== 0)) {
    throw new HsmError('ERR_HSM_PARAM', `RSA modulus: ${min} to ${RSA_GENERATE_BITS.max} bits, a multiple of 8`);
  }
}

/** A new key pair of `attributes` in the token (also rotation's). */
export function generatePair(core: Pkcs11Core, attributes: KeyAttributes): TokenKey {
  const algorithm = attributes.algorithm as 'R' | 'E';
  checkSize(algorithm, attributes.length, attributes.usage);
  return core.keys.createPair(attributes, (publicObject) => publicKeyKcv(publicKeySpki(core, publicObject, algorithm)));
}

export function generateKeyPair(core: Pkcs11Core, spec: AsymmetricKeySpec, ctx: OperationContext, trail: Trail): KeyHandle {
  const attributes = keyPairAttributes(spec, ctx);
  const key = generatePair(core, attributes);
  trail.key(key.meta.id, key.meta.kcv);
  return key.handle;
}

function checkData(data: unknown): asserts data is Uint8Array {
  if (!(data instanceof Uint8Array) || data.length > MAX_DATA_BYTES) throw new HsmError('ERR_HSM_PARAM', `data: a Uint8Array of at most ${MAX_DATA_BYTES} bytes`);
}

/** A non-negative big-endian integer as DER INTEGER content (minimal, with a 00 when the top bit is set). */
function derInteger(n: Uint8Array): Uint8Array {
  let i = 0;
  while (i < n.length - 1 && n[i] === 0) i++;
  const v = n.subarray(i);
  return (v[0]! & 0x80) !== 0 ? concat(Uint8Array.of(0), v) : v.slice();
}

function signMechanism(core: Pkcs11Core, scheme: SignatureScheme): Pkcs11Mechanism {
  switch (scheme) {
    case 'rsa-pkcs1-sha1':
      return { mechanism: CKM.SHA1_RSA_PKCS };
    case 'rsa-pkcs1-sha256':
      return { mechanism: CKM.SHA256_RSA_PKCS };
    case 'rsa-pss-sha256':
      return { mechanism: CKM.SHA256_RSA_PKCS_PSS, parameter: { type: core.token.module.CK_PARAMS_RSA_PSS, hashAlg: CKM.SHA256, mgf: CKG.MGF1_SHA256, saltLen: PSS_SALT } };
    case 'ecdsa-sha256':
      return { mechanism: CKM.ECDSA };
    case 'iso9796-2-sha1':
      return { mechanism: CKM.RSA_X_509 };
  }
}

/** ISO/IEC 9796-2 scheme 1 (EMV Book 2 A2.1.2) by RSA pair `key`: X built here, the raw RSA (CKM_RSA_X_509) in the token. */
export function signIso9796InToken(core: Pkcs11Core, key: TokenKey, message: Uint8Array): Uint8Array {
  const n = Math.ceil(key.meta.attributes.length / 8);
  return core.token.sign({ mechanism: CKM.RSA_X_509 }, key.object, iso9796Representative(n, message), n);
}

export function sign(core: Pkcs11Core, id: string, data: Uint8Array, scheme: SignatureScheme, ctx: OperationContext, trail: Trail): Uint8Array {
  checkData(data);
  const key = core.keys.usable(id, 'sign', ctx, trail);
  schemeFor(key.meta, scheme, key.meta.kind === 'pair');
  trail.detail = scheme;
  const modulusBytes = Math.ceil(key.meta.attributes.length / 8);
  const mechanism = signMechanism(core, scheme);
  if (scheme === 'iso9796-2-sha1') return signIso9796InToken(core, key, data);
  if (scheme === 'ecdsa-sha256') {
    // CKM_ECDSA signs a hash and returns r ‖ s (PKCS #11 v2.40 §2.3.6); the interface's form is DER
    const raw = core.token.sign(mechanism, key.object, new Uint8Array(createHash('sha256').update(data).digest()), 64);
    return encodeTlv(tlv(0x30, [tlv(0x02, derInteger(raw.subarray(0, 32))), tlv(0x02, derInteger(raw.subarray(32)))]));
  }
  return core.token.sign(mechanism, key.object, data, modulusBytes);
}

export function verify(core: Pkcs11Core, id: string, data: Uint8Array, signature: Uint8Array, scheme: SignatureScheme, ctx: OperationContext, trail: Trail): boolean {
  checkData(data);
  if (!(signature instanceof Uint8Array)) throw new HsmError('ERR_HSM_PARAM', 'signature: expected a Uint8Array');
  const key = core.keys.usable(id, 'verify', ctx, trail);
  const s = schemeFor(key.meta, scheme, key.meta.kind === 'pair');
  const publicKey = createPublicKey({ key: buf(publicKeySpki(core, key.publicObject!, s.algorithm)), format: 'der', type: 'spki' });
  const ok = verifyWithPublicKey(publicKey, data, signature, scheme, s);
  trail.detail = `${scheme}: ${ok ? 'verified' : 'did not verify'}`;
  return ok;
}

export function exportPublicKey(core: Pkcs11Core, id: string, ctx: OperationContext, trail: Trail): Uint8Array {
  const key = core.keys.load(id, ctx, trail);
  if (key.meta.kind !== 'pair' || key.publicObject === undefined) throw new HsmError('ERR_HSM_USAGE', `key ${key.meta.id} is not an asymmetric key`);
  return publicKeySpki(core, key.publicObject, key.meta.attributes.algorithm as 'R' | 'E');
}

/** The INTEGER and OCTET STRING values of a parsed PKCS#1 / SEC 1 private key, in order. */
function children(root: Tlv): readonly Tlv[] {
  if (root.tag !== 0x30 || root.children === undefined) throw new HsmError('ERR_HSM_KEY_BLOCK', 'the private key is not a DER SEQUENCE');
  return root.children;
}

function unsigned(node: Tlv | undefined): Buffer {
  if (node === undefined) throw new HsmError('ERR_HSM_KEY_BLOCK', 'the private key DER is truncated');
  const v = node.value;
  return buf(v[0] === 0 && v.length > 1 ? v.subarray(1) : v);
}

/**
 * Creates an imported key pair (a TR-31 block's PKCS#1 or SEC 1 DER, already unwrapped) on the
 * token: the private key as a sensitive, non-extractable object. HOST MEMORY: the DER (the
 * caller's, wiped by it) and the parser's copy of it, wiped here after C_CreateObject.
 */
export function importPair(core: Pkcs11Core, attributes: KeyAttributes, der: Uint8Array): TokenKey {
  const facts = parsePrivateKey(attributes.algorithm as 'R' | 'E', der);
  const root = parseTlv(der);
  try {
    const c = children(root);
    const publicKey = createPublicKey({ key: buf(facts.spki), format: 'der', type: 'spki' }).export({ format: 'jwk' });
    const privateParts: Pkcs11Attribute[] = attributes.algorithm === 'R'
      ? [
        { type: CKA.KEY_TYPE, value: CKK.RSA },
        { type: CKA.MODULUS, value: unsigned(c[1]) }, { type: CKA.PUBLIC_EXPONENT, value: unsigned(c[2]) },
        { type: 0x123 /* CKA_PRIVATE_EXPONENT */, value: unsigned(c[3]) }, { type: 0x124 /* CKA_PRIME_1 */, value: unsigned(c[4]) },
        { type: 0x125 /* CKA_PRIME_2 */, value: unsigned(c[5]) }, { type: 0x126 /* CKA_EXPONENT_1 */, value: unsigned(c[6]) },
        { type: 0x127 /* CKA_EXPONENT_2 */, value: unsigned(c[7]) }, { type: 0x128 /* CKA_COEFFICIENT */, value: unsigned(c[8]) },
      ]
      : [{ type: CKA.KEY_TYPE, value: CKK.EC }, { type: CKA.EC_PARAMS, value: P256_EC_PARAMS }, { type: CKA.VALUE, value: buf(c[1]!.value) }];
    const publicParts: Pkcs11Attribute[] = attributes.algorithm === 'R'
      ? [{ type: CKA.KEY_TYPE, value: CKK.RSA }, { type: CKA.MODULUS, value: unsigned(c[1]) }, { type: CKA.PUBLIC_EXPONENT, value: unsigned(c[2]) }]
      : [{ type: CKA.KEY_TYPE, value: CKK.EC }, { type: CKA.EC_PARAMS, value: P256_EC_PARAMS }, {
        type: CKA.EC_POINT,
        value: buf(encodeTlv(tlv(0x04, concat(Uint8Array.of(0x04), Buffer.from(publicKey.x!, 'base64url'), Buffer.from(publicKey.y!, 'base64url'))))),
      }];
    return core.keys.importPair(attributes, privateParts, publicParts, publicKeyKcv(facts.spki));
  } finally {
    wipe(root.value);
  }
}
