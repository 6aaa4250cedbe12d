/**
 * Token objects as crypto/'s HeldKey, so the pure protocol functions of crypto/, gp/ and emv/
 * (SCP03 KDF, SCP02 session keys, GP and EMV diversification, TR-31 key derivation, ISO 9564-1
 * format 4) run with a key that stays in the token: each block encryption and each CMAC is one
 * C_Encrypt / C_Decrypt / C_Sign on the object. What those functions return (session keys,
 * derived keys) is in host memory: their callers say for how long, at the line.
 */
import { inspect } from 'node:util';
import { HsmError } from '../errors.ts';
import type { HeldKey, HeldKeyCipherMode } from '../../crypto/index.ts';
import { CKM, type Pkcs11Mechanism } from './ck.ts';
import { buf, type Token } from './token.ts';

/** What a held key needs to know of its object. */
export interface HeldObject {
  readonly object: Buffer;
  readonly cipher: 'aes' | 'tdes';
  readonly length: number;
  /** How the key prints: id and KCV, never its value. */
  readonly name: string;
}

/** The block-cipher mechanism of `cipher` in `mode` (no padding: callers pass block-aligned data). */
export function blockMechanism(cipher: 'aes' | 'tdes', mode: HeldKeyCipherMode): Pkcs11Mechanism {
  if (mode.mode === 'ecb') return { mechanism: cipher === 'aes' ? CKM.AES_ECB : CKM.DES3_ECB };
  return { mechanism: cipher === 'aes' ? CKM.AES_CBC : CKM.DES3_CBC, parameter: buf(mode.iv) };
}

function checkAligned(data: Uint8Array, cipher: 'aes' | 'tdes'): void {
  const block = cipher === 'aes' ? 16 : 8;
  if (!(data instanceof Uint8Array) || data.length === 0 || data.length % block !== 0) {
    throw new HsmError('ERR_HSM_PARAM', `${cipher === 'aes' ? 'AES' : '3DES'} data: a non-empty multiple of ${block} bytes (no implicit padding)`);
  }
}

/** The HeldKey of a token secret key object. */
export function heldKey(token: Token, key: HeldObject): HeldKey {
  const text = `HeldKey(${key.name})`;
  return Object.freeze({
    kind: 'held-key' as const,
    cipher: key.cipher,
    length: key.length,
    encrypt(data: Uint8Array, mode: HeldKeyCipherMode): Uint8Array {
      checkAligned(data, key.cipher);
      return token.encrypt(blockMechanism(key.cipher, mode), key.object, data);
    },
    decrypt(data: Uint8Array, mode: HeldKeyCipherMode): Uint8Array {
      checkAligned(data, key.cipher);
      return token.decrypt(blockMechanism(key.cipher, mode), key.object, data);
    },
    cmac(data: Uint8Array): Uint8Array {
      // SP 800-38B in the token: CKM_AES_CMAC (16 bytes) or CKM_DES3_CMAC (8 bytes), full length
      return token.sign({ mechanism: key.cipher === 'aes' ? CKM.AES_CMAC : CKM.DES3_CMAC }, key.object, data, 16);
    },
    toString: () => text,
    toJSON: () => text,
    [inspect.custom]: () => text,
  });
}
