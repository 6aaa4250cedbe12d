/**
 * The retail MAC (ISO 9797-1:2011 MAC algorithm 3, ANSI X9.19) of a stored M3 key, composed in the
 * token. LEGACY: the chain is single DES under the key's left half K1.
 *
 * SoftHSM2 (2.6.1) has no retail MAC mechanism, and none that takes a key object apart (no
 * CKM_EXTRACT_KEY_FROM_KEY, no CKM_CONCATENATE_*, no CKM_XOR_BASE_AND_DATA: checked with
 * C_GetMechanismList), so K1 cannot be derived from the K1‖K2 object inside the token. The MAC is
 * therefore split along ISO 9797-1 §7.3:
 *   1. H_{n-1}: DES-CBC under K1, zero IV, over blocks x_1 … x_{n-1} — CKM_DES3_CBC under the key's
 *      *companion*, a DES2 object holding K1‖K1 (3DES-EDE with equal halves is single DES under K1);
 *   2. the MAC: E_K1(D_K2(E_K1(x_n ⊕ H_{n-1}))), i.e. one 3DES-EDE block, CKM_DES3_ECB under the
 *      K1‖K2 key object itself (output transformation 3).
 *
 * The companion (one per M3 double-length TDES key, same CKA_ID as its key, CKA_LABEL
 * `opentsm/retail-mac-k1/<id>`): a token object, private, not modifiable, CKA_SENSITIVE,
 * CKA_EXTRACTABLE false, CKA_ENCRYPT only. It can only be made where the key's clear value already
 * is in host memory, so it is created in the same call as its key: component import and TR-31
 * import (the clear key is there for C_CreateObject anyway), and generation and rotation of M3
 * keys, whose value is then drawn from the token's RNG into host memory for the two
 * C_CreateObject calls instead of C_GenerateKey (key-objects.ts). It is destroyed with its key.
 * A key without one (made elsewhere, or on a token that refused the degenerate K1‖K1 object) is
 * refused with ERR_HSM_UNSUPPORTED.
 *
 * What the companion costs: anyone holding the user PIN can encrypt chosen blocks under single-DES
 * K1 with it — a 2^56 exhaustive search for K1, after which K2 falls to another 2^56 search using
 * the key's own 3DES encryption. The retail MAC itself already gives its key away at a like cost
 * to anyone who collects about 2^32 of its MACs (the Preneel–van Oorschot key recovery, in the
 * security analysis of ISO 9797-1 Annex B), which is why M3 keys are legacy; CMAC (M6) keys have
 * no companion.
 *
 * HOST MEMORY: the padded message (the caller's data) and the CBC chain under K1 (H_1 … H_{n-1},
 * single-DES ciphertext of that data), from the C_Encrypt that returns them until the final block
 * has been encrypted; wiped then. No key value passes through host memory here.
 */
import { wipe, xor } from '../../bytes/index.ts';
import { pad, type PaddingMethod } from '../../crypto/index.ts';
import { HsmError } from '../errors.ts';
import type { KeyAttributes } from '../key-attributes.ts';
import { CKA, CKK, CKM, CKO, type Pkcs11Attribute } from './ck.ts';
import { blockMechanism } from './held.ts';
import { keyIdAttribute } from './templates.ts';
import { buf, type Token } from './token.ts';

const ZERO8 = new Uint8Array(8);

/** CKA_LABEL prefix of companion objects (the key id follows). */
export const COMPANION_LABEL_PREFIX = 'opentsm/retail-mac-k1/';

/** Whether keys of these attributes carry a K1 companion: M3 keys of double-length TDES. */
export function needsCompanion(attributes: Pick<KeyAttributes, 'usage' | 'algorithm' | 'length'>): boolean {
  return attributes.usage === 'M3' && attributes.algorithm === 'T' && attributes.length === 16;
}

/** The CKA_LABEL of key `id`'s companion. */
export function companionLabel(id: string): string {
  return `${COMPANION_LABEL_PREFIX}${id}`;
}

/** The template that finds key `id`'s companion. */
export function companionSearch(id: string): Pkcs11Attribute[] {
  return [
    { type: CKA.CLASS, value: CKO.SECRET_KEY },
    { type: CKA.ID, value: keyIdAttribute(id) },
    { type: CKA.LABEL, value: companionLabel(id) },
  ];
}

/**
 * Creates key `id`'s companion from `key` (its clear K1‖K2, the caller's, in host memory for the
 * key's own C_CreateObject): K1‖K1 is built here, copied into the token by C_CreateObject, and
 * wiped before this returns.
 */
export function createCompanion(token: Token, id: string, key: Uint8Array): Buffer {
  if (key.length !== 16) throw new HsmError('ERR_HSM_PARAM', 'a retail MAC companion needs a double-length TDES key');
  // HOST MEMORY: K1‖K1, from here until C_CreateObject returns
  const k1k1 = new Uint8Array(16);
  k1k1.set(key.subarray(0, 8), 0);
  k1k1.set(key.subarray(0, 8), 8);
  try {
    return token.create([
      ...companionSearch(id),
      { type: CKA.KEY_TYPE, value: CKK.DES2 },
      { type: CKA.TOKEN, value: true },
      { type: CKA.PRIVATE, value: true },
      { type: CKA.MODIFIABLE, value: false },
      { type: CKA.SENSITIVE, value: true },
      { type: CKA.EXTRACTABLE, value: false },
      { type: CKA.ENCRYPT, value: true },
      { type: CKA.DECRYPT, value: false },
      { type: CKA.SIGN, value: false },
      { type: CKA.VERIFY, value: false },
      { type: CKA.WRAP, value: false },
      { type: CKA.UNWRAP, value: false },
      { type: CKA.DERIVE, value: false },
      { type: CKA.VALUE, value: buf(k1k1) },
    ]);
  } finally {
    wipe(k1k1);
  }
}

/**
 * The 8-byte retail MAC of `data` (ISO 9797-1 padding method `padding`, zero IV) under token key
 * `key` (K1‖K2) and its companion (K1‖K1), as the file header describes.
 */
export function retailMacInToken(token: Token, key: Buffer, companion: Buffer, data: Uint8Array, padding: PaddingMethod): Uint8Array {
  const padded = pad(data, 8, padding); // ISO 9797-1 §6.3
  const head = padded.length - 8;
  let chain: Uint8Array | undefined;
  let last: Uint8Array | undefined;
  try {
    // ISO 9797-1 §7.2 (iteration): H_i = E_K1(x_i ⊕ H_{i-1}), H_0 = 0 — single DES in the token
    if (head > 0) chain = token.encrypt(blockMechanism('tdes', { mode: 'cbc', iv: ZERO8 }), companion, padded.subarray(0, head));
    last = xor(chain === undefined ? ZERO8 : chain.subarray(head - 8), padded.subarray(head));
    // ISO 9797-1 §7.3, output transformation 3 with the last iteration: E_K1(D_K2(E_K1(x_n ⊕ H_{n-1})))
    return token.encrypt({ mechanism: CKM.DES3_ECB }, key, last).slice(0, 8);
  } finally {
    wipe(padded);
    if (chain !== undefined) wipe(chain);
    if (last !== undefined) wipe(last);
  }
}
