/**
 * The terminal's Certification Authority public keys (EMV Book 2 §5.1, §11.2): each known by its RID
 * (the first 5 bytes of the AID) and its index (tag 8F on the card). The CA modulus signs issuer
 * certificates; EMV allows exponents 3 and 2^16 + 1.
 */
import { createPublicKey } from 'node:crypto';
import { equalCt } from '../../../bytes/index.ts';
import { DeviceError } from '../../errors.ts';
import type { RsaPublicKey } from './rsa-recover.ts';

/** One CA public key of the terminal's table. */
export interface CaPublicKey extends RsaPublicKey {
  /** Registered application provider identifier, 5 bytes (ISO/IEC 7816-5). */
  readonly rid: Uint8Array;
  /** Certification Authority Public Key Index (8F). */
  readonly index: number;
}

function param(message: string): DeviceError {
  return new DeviceError('ERR_DEVICE_PARAM', `CA public key: ${message}`);
}

/**
 * A CA public key table entry from an RSA public key in SPKI DER (what an HSM's exportPublicKey gives).
 * @example caKeyFromSpki(hex`A000000003`, 0x92, await hsm.exportPublicKey(caKeyId, ctx))
 */
export function caKeyFromSpki(rid: Uint8Array, index: number, spki: Uint8Array): CaPublicKey {
  if (!(rid instanceof Uint8Array) || rid.length !== 5) throw param('rid: 5 bytes');
  if (!Number.isInteger(index) || index < 0 || index > 0xff) throw param('index: 0..255');
  let jwk: { kty?: string; n?: string; e?: string };
  try {
    jwk = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }).export({ format: 'jwk' });
  } catch (cause) {
    throw new DeviceError('ERR_DEVICE_PARAM', 'CA public key: not an SPKI public key', { cause });
  }
  if (jwk.kty !== 'RSA' || jwk.n === undefined || jwk.e === undefined) throw param('not an RSA key');
  const modulus = new Uint8Array(Buffer.from(jwk.n, 'base64url'));
  const exponent = new Uint8Array(Buffer.from(jwk.e, 'base64url'));
  return Object.freeze({ rid: rid.slice(), index, modulus, exponent });
}

/** Book 2 §5.3 step 1: the CA key for the application's RID and the card's index, if the terminal has it. */
export function findCaKey(table: readonly CaPublicKey[], aid: Uint8Array, index: number): CaPublicKey | undefined {
  const rid = aid.subarray(0, 5);
  return table.find((k) => k.index === index && rid.length === 5 && equalCt(k.rid, rid));
}
