/**
 * Asymmetric private keys as the software HSM stores them: the DER a TR-31 block carries for
 * algorithm R (PKCS#1 RSAPrivateKey, RFC 8017 Appendix A.1.2) and E (SEC 1 ECPrivateKey, RFC 5915),
 * as in the X9.143:2021 §8.5/§8.6 examples, wrapped under the LMK like any other key. Only RSA
 * (2048 to 4096 bits generated, from 1024 for EMV certification keys S1; from 1024 imported) and EC P-256.
 */
import { createPrivateKey, createPublicKey, generateKeyPair as nodeGenerateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { wipe } from '../../bytes/index.ts';
import { HsmError } from '../errors.ts';

const generatePair = promisify(nodeGenerateKeyPair);

/** RSA modulus sizes the HSM generates (bits). */
export const RSA_GENERATE_BITS = { min: 2048, max: 4096 } as const;
/**
 * EMV certification keys (usage S1: payment system CA and issuer keys) are 1024 to 1984 bits — a
 * certified key's length travels in one byte (EMV Book 2 §5.1, Tables 13–14) — so S1 keys may be
 * generated from 1024 bits; every other RSA key from 2048.
 */
export const RSA_EMV_CERTIFICATION_MIN_BITS = 1024;

/** The smallest RSA modulus generated for a key of `usage`. */
export function rsaGenerateMinBits(usage: string): number {
  return usage === 'S1' ? RSA_EMV_CERTIFICATION_MIN_BITS : RSA_GENERATE_BITS.min;
}
/** The smallest RSA modulus accepted on import (EMV CA keys of 1024–1984 bits exist). */
export const RSA_IMPORT_MIN_BITS = 1024;

/** A private key ready for node:crypto, with its public key (SPKI DER) and size in bits. */
export interface PrivateKeyFacts {
  readonly privateKey: KeyObject;
  readonly spki: Uint8Array;
  readonly size: number;
}

function bytes(buf: Buffer): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Parses stored DER of algorithm `algorithm` (R or E); refuses other curves and short RSA keys. */
export function parsePrivateKey(algorithm: 'R' | 'E', der: Uint8Array, minRsaBits = RSA_IMPORT_MIN_BITS): PrivateKeyFacts {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: Buffer.from(der.buffer, der.byteOffset, der.byteLength), format: 'der', type: algorithm === 'R' ? 'pkcs1' : 'sec1' });
  } catch (cause) {
    throw new HsmError('ERR_HSM_KEY_BLOCK', `the ${algorithm === 'R' ? 'RSA (PKCS#1)' : 'EC (SEC 1)'} private key does not parse`, { cause });
  }
  const details = privateKey.asymmetricKeyDetails ?? {};
  let size: number;
  if (algorithm === 'R') {
    size = details.modulusLength ?? 0;
    if (privateKey.asymmetricKeyType !== 'rsa' || size < minRsaBits || size > RSA_GENERATE_BITS.max) {
      throw new HsmError('ERR_HSM_UNSUPPORTED', `RSA keys of ${minRsaBits} to ${RSA_GENERATE_BITS.max} bits only`);
    }
  } else {
    if (privateKey.asymmetricKeyType !== 'ec' || details.namedCurve !== 'prime256v1') throw new HsmError('ERR_HSM_UNSUPPORTED', 'EC keys on P-256 only');
    size = 256;
  }
  const spki = bytes(createPublicKey(privateKey).export({ format: 'der', type: 'spki' }));
  return { privateKey, spki, size };
}

/** A new key pair: the private key DER to seal (the caller wipes it) and the public key. */
export async function generatePrivateKey(algorithm: 'R' | 'E', size: number, usage: string): Promise<{ der: Uint8Array; spki: Uint8Array }> {
  if (algorithm === 'R') {
    const min = rsaGenerateMinBits(usage);
    if (!Number.isInteger(size) || size < min || size > RSA_GENERATE_BITS.max || size % 8 !== 0) {
      throw new HsmError('ERR_HSM_PARAM', `RSA modulus: ${min} to ${RSA_GENERATE_BITS.max} bits, a multiple of 8`);
    }
    const pair = await generatePair('rsa', {
      modulusLength: size,
      publicExponent: 0x10001,
      publicKeyEncoding: { type: 'spki', format: 'der' },
      privateKeyEncoding: { type: 'pkcs1', format: 'der' },
    });
    return own(pair.privateKey, pair.publicKey);
  }
  if (algorithm === 'E') {
    if (size !== 256) throw new HsmError('ERR_HSM_UNSUPPORTED', 'EC keys on P-256 only (size 256)');
    const pair = await generatePair('ec', {
      namedCurve: 'prime256v1',
      publicKeyEncoding: { type: 'spki', format: 'der' },
      privateKeyEncoding: { type: 'sec1', format: 'der' },
    });
    return own(pair.privateKey, pair.publicKey);
  }
  throw new HsmError('ERR_HSM_PARAM', 'asymmetric algorithm: R (RSA) or E (EC)');
}

function own(privateDer: Buffer, publicDer: Buffer): { der: Uint8Array; spki: Uint8Array } {
  const der = bytes(privateDer).slice();
  wipe(bytes(privateDer));
  return { der, spki: bytes(publicDer).slice() };
}
