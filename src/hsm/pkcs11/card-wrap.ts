/**
 * A key encrypted for a card under its Security Domain's DEK (a token object), in gp/'s WrappedKey
 * shape — the software backend's rules (software/card-wrap.ts: which DEK, strength, KCV form), run
 * with the DEK in the token:
 * - a stored key to an SCP03 card: C_WrapKey CKM_AES_CBC with a zero IV under the static DEK
 *   (GPC Amd D v1.1.1 §6.2.8): the key goes from token object to ciphertext without host memory;
 * - a derived per-card key (bytes in host memory, see gp-ops.ts): C_Encrypt under the DEK, for
 *   SCP02 under the session DEK, which is derived in the token (CKM_DES3_CBC_ENCRYPT_DATA, GPC
 *   2.3.1 §E.4.1) and destroyed after the one encryption.
 * Refused (ERR_HSM_UNSUPPORTED), because the key would otherwise have to pass through host memory:
 * - a stored key to an SCP02 card. The session DEK can be derived in the token (as below), but
 *   SoftHSM2 2.6.1's C_WrapKey takes only CKM_AES_CBC, CKM_AES_KEY_WRAP(_PAD) and RSA: every DES
 *   mechanism (CKM_DES3_ECB, CKM_DES3_CBC, their _PAD and single-DES forms) is
 *   CKR_MECHANISM_INVALID, and so is C_UnwrapKey with them, which rules out re-chaining a CBC
 *   wrap into ECB in the token too;
 * - an AES-192 key. Amd D v1.1.1 Table 7-10 (GPC 2.3.1 Table 11-70) sends the clear length first
 *   and pads the key to whole AES blocks with bytes the card drops (GlobalPlatformPro pads with
 *   random bytes), so CKM_AES_CBC_PAD's PKCS#7 pad would do — but SoftHSM2 refuses it for
 *   C_WrapKey (CKR_MECHANISM_INVALID), and CKM_AES_CBC wraps whole blocks only (24 bytes:
 *   CKR_GENERAL_ERROR). AES-128 and AES-256 keys go as above.
 * A token whose C_WrapKey has CKM_DES3_ECB and CKM_AES_CBC_PAD would lift both; checked with
 * C_GetMechanismList and C_WrapKey on SoftHSM2 2.6.1 (2026-11).
 */
import { concat, fromHex, wipe } from '../../bytes/index.ts';
import { kcv, type KeyAlgorithm } from '../../crypto/index.ts';
import { KEY_TYPES, SCP02_DERIVATION, scp02SessionKeyInput, type WrappedKey } from '../../gp/index.ts';
import { HsmError } from '../errors.ts';
import { checkCardDek } from '../shared/card-data.ts';
import { checkWrap as checkSoftwareWrap, type CardWrapOptions } from '../software/card-wrap.ts';
import { CKK, CKM } from './ck.ts';
import type { Pkcs11Core } from './core.ts';
import type { TokenKey } from './key-objects.ts';

export type { CardWrapOptions };
import { sessionKeyTemplate } from './templates.ts';
import { buf } from './token.ts';

/** The software backend's rules (which DEK, strength, key types), with the DEK a token object. */
function checkWrap(clearAlgorithm: KeyAlgorithm, clearLength: number, dek: TokenKey, options: CardWrapOptions): number {
  return checkSoftwareWrap(clearAlgorithm, clearLength, dek.meta.attributes.algorithm, dek.meta.attributes.length, options);
}

const ZERO_IV16 = new Uint8Array(16);
const ONES16 = new Uint8Array(16).fill(1);

/** PUT KEY of stored key `key` under SCP03 DEK `dek`, token to ciphertext (see the file header). */
export function wrapStoredKeyForCard(core: Pkcs11Core, key: TokenKey, dek: TokenKey, options: CardWrapOptions): WrappedKey {
  const a = key.meta.attributes;
  const type = checkWrap(a.algorithm, a.length, dek, options);
  if (options.scp === 2) {
    throw new HsmError('ERR_HSM_UNSUPPORTED', `key ${key.meta.id} (KCV ${key.meta.kcv}): an SCP02 PUT KEY wraps with 3DES-ECB under the session DEK, and the token's C_WrapKey has no DES mechanism; the key stays in the token rather than pass through host memory (use SCP03, or derive the key for the card: exportDerivedKeyForCard)`);
  }
  if (a.length % 16 !== 0) {
    throw new HsmError('ERR_HSM_UNSUPPORTED', `key ${key.meta.id} (KCV ${key.meta.kcv}): the token's C_WrapKey CKM_AES_CBC wraps whole AES blocks and it has no padded CBC wrap, while an AES-192 key needs padding to 32 bytes (GPC Amd D Table 7-10); the key stays in the token rather than pass through host memory (derive it for the card: exportDerivedKeyForCard)`);
  }
  // GPC Amd D v1.1.1 §6.2.8: AES-CBC under the static DEK, ICV zero — inside the token
  const ciphertext = core.token.wrapKey({ mechanism: CKM.AES_CBC, parameter: buf(ZERO_IV16) }, dek.object, key.object, a.length + 16);
  // Amd D v1.1.1 §7.2.2: the AES KCV is AES-ECB(K, 01…01); GPC 2.3.1 §B.6: the DES KCV is the stored X9.24 one
  const check = type === KEY_TYPES.AES ? core.token.encrypt({ mechanism: CKM.AES_ECB }, key.object, ONES16).slice(0, 3) : fromHex(key.meta.kcv);
  return { type, keyLength: a.length, ciphertext, kcv: check };
}

/**
 * `clear` (a derived per-card key in host memory, the caller's; it wipes it) encrypted under card
 * DEK `dek` (software/card-wrap.ts wrapForCard with the DEK in the token).
 */
export function wrapHostKeyForCard(core: Pkcs11Core, clear: Uint8Array, clearAlgorithm: KeyAlgorithm, dek: TokenKey, options: CardWrapOptions): WrappedKey {
  const type = checkWrap(clearAlgorithm, clear.length, dek, options);
  const check = kcv(clear, type === KEY_TYPES.AES ? 'aes-ones' : 'tdes-zeros', 3);
  // HOST MEMORY: the zero-padded copy of an AES-192 key (SCP03), wiped in `finally`
  const padded = options.scp === 3 && clear.length % 16 !== 0 ? concat(clear, new Uint8Array(16 - (clear.length % 16))) : clear;
  try {
    return { type, keyLength: clear.length, ciphertext: encryptForCardInToken(core, [padded], dek, options)[0]!, kcv: check };
  } finally {
    if (padded !== clear) wipe(padded);
  }
}

/**
 * Values in host memory (whole blocks: the caller pads them, shared/card-data.ts) encrypted each
 * on its own under card DEK `dek`, in the token (C_Encrypt with the DEK object): SCP03 AES-CBC
 * with a zero IV (GPC Amd D v1.1.1 §6.2.8), SCP02 3DES-ECB under the session DEK (GPC 2.3.1
 * §E.4.7), derived in the token once for all the values and destroyed after them.
 */
export function encryptForCardInToken(core: Pkcs11Core, values: readonly Uint8Array[], dek: TokenKey, options: CardWrapOptions): Uint8Array[] {
  checkCardDek(dek.meta.attributes.algorithm, dek.meta.attributes.length, options);
  if (options.scp === 3) return values.map((v) => core.token.encrypt({ mechanism: CKM.AES_CBC, parameter: buf(ZERO_IV16) }, dek.object, v));
  const counter = options.sequenceCounter;
  if (typeof counter !== 'number' || !Number.isInteger(counter) || counter < 0 || counter > 0xffff) {
    throw new HsmError('ERR_HSM_PARAM', 'SCP02: the sequence counter (0..FFFF) of the channel is required');
  }
  // GPC 2.3.1 §E.4.1: session DEK = 3DES-CBC(static DEK, ICV 0, 0181 ‖ counter ‖ 00×12), derived in the token
  const sessionDek = core.token.deriveKey(
    { mechanism: CKM.DES3_CBC_ENCRYPT_DATA, parameter: { type: core.token.module.CK_PARAMS_DES_CBC_ENCRYPT_DATA, iv: Buffer.alloc(8), data: buf(scp02SessionKeyInput(SCP02_DERIVATION.DEK, counter)) } },
    dek.object,
    sessionKeyTemplate(CKK.DES2, { encrypt: true }),
  );
  try {
    return values.map((v) => core.token.encrypt({ mechanism: CKM.DES3_ECB }, sessionDek, v));
  } finally {
    core.token.destroy(sessionDek);
  }
}
