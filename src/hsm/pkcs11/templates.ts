/**
 * PKCS#11 attribute templates for OpenTSM keys, as pure functions of the key's attributes.
 *
 * Every key is a token object (CKA_TOKEN), private to the logged-in user (CKA_PRIVATE), not
 * modifiable (CKA_MODIFIABLE false: no later C_SetAttributeValue can widen it), with CKA_ID = the
 * key id (UTF-8) and CKA_LABEL = its label (the id when it has none).
 *
 * Custody (PKCS #11 v2.40 §4.9):
 * - CKA_SENSITIVE always, except for class `protocol-memory` (the SCP81 PSK, which the protocol
 *   stack must read: revealProtocolKey);
 * - CKA_EXTRACTABLE only for exportability E or S (such keys can then leave the token wrapped —
 *   PUT KEY to a card — but their value can never be read, being sensitive) and for
 *   `protocol-memory`. Exportability N: never extractable.
 * - CKA_WRAP_WITH_TRUSTED on extractable `hsm` keys when the deployment asks for it
 *   (options.wrapWithTrusted): then only SO-marked CKA_TRUSTED keys can wrap them. Without it, any
 *   holder of the user PIN could wrap an extractable key under a key of their own making, as with
 *   every PKCS#11 token; the PIN guards exportable keys.
 *
 * Usage flags: the token's own floor. OpenTSM's usage policy (usage-policy.ts, assertUsable before
 * every operation) is the real gate; the flags allow only the mechanisms this backend's
 * compositions call for the key's usage and mode, so the token refuses anything else even to a
 * caller holding the PIN. Every TDES key may encrypt and every AES and HMAC key may sign, because
 * the KCV is a 3DES encryption or a CMAC/HMAC of zeros computed in the token.
 */
import type { KeyAlgorithm, KeyUsage, ModeOfUse } from '../../crypto/index.ts';
import { HsmError } from '../errors.ts';
import type { KeyAttributes } from '../key-attributes.ts';
import { CKA, CKK, CKM, CKO, type Pkcs11Attribute } from './ck.ts';

/** The PKCS#11 key type of a symmetric key and the mechanism that generates it. */
export interface SecretKeyType {
  readonly keyType: number;
  readonly generate: number;
  /** CKA_VALUE_LEN, for key types whose length is not implied (AES, generic secret). */
  readonly valueLength: number | undefined;
}

/** Key type by X9.143 algorithm and length: 2-key TDES is CKK_DES2, 3-key CKK_DES3. */
export function secretKeyType(algorithm: KeyAlgorithm, length: number): SecretKeyType {
  if (algorithm === 'T' && length === 16) return { keyType: CKK.DES2, generate: CKM.DES2_KEY_GEN, valueLength: undefined };
  if (algorithm === 'T' && length === 24) return { keyType: CKK.DES3, generate: CKM.DES3_KEY_GEN, valueLength: undefined };
  if (algorithm === 'A' && (length === 16 || length === 24 || length === 32)) return { keyType: CKK.AES, generate: CKM.AES_KEY_GEN, valueLength: length };
  if (algorithm === 'H' && length >= 16 && length <= 64) return { keyType: CKK.GENERIC_SECRET, generate: CKM.GENERIC_SECRET_KEY_GEN, valueLength: length };
  throw new HsmError('ERR_HSM_UNSUPPORTED', `no PKCS#11 secret key type for algorithm ${algorithm} of ${length} bytes`);
}

/** The token usage flags of a secret key. */
export interface TokenCapabilities {
  readonly encrypt: boolean;
  readonly decrypt: boolean;
  readonly sign: boolean;
  readonly wrap: boolean;
  readonly derive: boolean;
}

const ENCRYPT_MODES: readonly ModeOfUse[] = ['E', 'B', 'N'];
const DECRYPT_MODES: readonly ModeOfUse[] = ['D', 'B', 'N'];
const MAC_USAGES: readonly KeyUsage[] = ['M0', 'M1', 'M3', 'M6', 'M7'];

/**
 * What this backend's compositions need the token to do with a key of these attributes:
 * - TDES: encrypt (KCV, 3DES-ECB/CBC of every composition); sign for TDES-CMAC (M* keys, and K1
 *   KBPKs: TR-31 version B derives its KBEK/KBAK by CMAC); K0 DEKs derive (SCP02 session DEK,
 *   CKM_DES3_CBC_ENCRYPT_DATA); decrypt for D0 and P0 keys whose mode allows it.
 * - AES: sign (KCV, AES-CMAC, SP 800-108 KDF blocks, TR-31 version D KBEK/KBAK); encrypt for K0
 *   (SCP03 sensitive data and card keys), D0/P0 by mode, and exportable keys (the PUT KEY KCV,
 *   GPC Amd D v1.1.1 §7.2.2, is an AES-ECB encryption under the key); wrap for K0 (PUT KEY: C_WrapKey
 *   CKM_AES_CBC); decrypt for D0/P0 by mode.
 * - HMAC: sign.
 */
export function tokenCapabilities(attributes: Pick<KeyAttributes, 'usage' | 'algorithm' | 'modeOfUse' | 'exportability'>): TokenCapabilities {
  const { usage, algorithm, modeOfUse } = attributes;
  const dataOrPin = usage === 'D0' || usage === 'P0';
  // an exportable AES key may travel to a card, whose PUT KEY checks the KCV AES-ECB(K, 01…01)
  const toCards = attributes.exportability === 'E' || attributes.exportability === 'S';
  const encryptByMode = ((dataOrPin || usage === 'K0') && ENCRYPT_MODES.includes(modeOfUse)) || toCards;
  const decrypt = dataOrPin && DECRYPT_MODES.includes(modeOfUse);
  if (algorithm === 'T') return { encrypt: true, decrypt, sign: MAC_USAGES.includes(usage) || usage === 'K1', wrap: false, derive: usage === 'K0' };
  if (algorithm === 'A') return { encrypt: encryptByMode, decrypt, sign: true, wrap: usage === 'K0' && ENCRYPT_MODES.includes(modeOfUse), derive: false };
  if (algorithm === 'H') return { encrypt: false, decrypt: false, sign: true, wrap: false, derive: false };
  throw new HsmError('ERR_HSM_UNSUPPORTED', `no secret key capabilities for algorithm ${algorithm}`);
}

/** How exportable keys are marked (options.wrapWithTrusted). */
export interface TemplateOptions {
  readonly wrapWithTrusted: boolean;
}

/** CKA_ID of key `id`. */
export function keyIdAttribute(id: string): Buffer {
  return Buffer.from(id, 'utf8');
}

function identity(id: string, attributes: KeyAttributes): Pkcs11Attribute[] {
  return [
    { type: CKA.TOKEN, value: true },
    { type: CKA.PRIVATE, value: true },
    { type: CKA.MODIFIABLE, value: false },
    { type: CKA.ID, value: keyIdAttribute(id) },
    { type: CKA.LABEL, value: attributes.label ?? id },
  ];
}

/** The custody attributes: sensitive, extractable, wrap-with-trusted (see the file header). */
export function custodyAttributes(attributes: Pick<KeyAttributes, 'exportability' | 'class'>, options: TemplateOptions): Pkcs11Attribute[] {
  const protocolMemory = attributes.class === 'protocol-memory';
  const extractable = protocolMemory || attributes.exportability === 'E' || attributes.exportability === 'S';
  const out: Pkcs11Attribute[] = [
    { type: CKA.SENSITIVE, value: !protocolMemory },
    { type: CKA.EXTRACTABLE, value: extractable },
  ];
  if (extractable && !protocolMemory && options.wrapWithTrusted) out.push({ type: CKA.WRAP_WITH_TRUSTED, value: true });
  return out;
}

/**
 * The template of a secret key object: for C_GenerateKey as is, for C_CreateObject with
 * `value` (the key bytes, which the caller wipes after the call).
 */
export function secretKeyTemplate(id: string, attributes: KeyAttributes, options: TemplateOptions, value?: Uint8Array): Pkcs11Attribute[] {
  const type = secretKeyType(attributes.algorithm, attributes.length);
  const can = tokenCapabilities(attributes);
  const template: Pkcs11Attribute[] = [
    { type: CKA.CLASS, value: CKO.SECRET_KEY },
    { type: CKA.KEY_TYPE, value: type.keyType },
    ...identity(id, attributes),
    ...custodyAttributes(attributes, options),
    { type: CKA.ENCRYPT, value: can.encrypt },
    { type: CKA.DECRYPT, value: can.decrypt },
    { type: CKA.SIGN, value: can.sign },
    { type: CKA.VERIFY, value: false },
    { type: CKA.WRAP, value: can.wrap },
    { type: CKA.UNWRAP, value: false },
    { type: CKA.DERIVE, value: can.derive },
  ];
  if (value !== undefined) template.push({ type: CKA.VALUE, value: Buffer.from(value.buffer, value.byteOffset, value.byteLength) });
  else if (type.valueLength !== undefined) template.push({ type: CKA.VALUE_LEN, value: type.valueLength });
  return template;
}

/** DER of the P-256 curve OID (1.2.840.10045.3.1.7) as CKA_EC_PARAMS. */
export const P256_EC_PARAMS = Buffer.from('06082a8648ce3d030107', 'hex');

/** The public and private templates of a signing key pair (RSA or EC P-256); the private key never leaves. */
export function keyPairTemplates(id: string, attributes: KeyAttributes): { publicKey: Pkcs11Attribute[]; privateKey: Pkcs11Attribute[] } {
  const rsa = attributes.algorithm === 'R';
  const publicKey: Pkcs11Attribute[] = [
    { type: CKA.CLASS, value: CKO.PUBLIC_KEY },
    ...identity(id, attributes),
    { type: CKA.VERIFY, value: true },
    { type: CKA.ENCRYPT, value: false },
    ...(rsa ? [{ type: CKA.MODULUS_BITS, value: attributes.length }, { type: CKA.PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) }] : [{ type: CKA.EC_PARAMS, value: P256_EC_PARAMS }]),
  ];
  const privateKey: Pkcs11Attribute[] = [
    { type: CKA.CLASS, value: CKO.PRIVATE_KEY },
    ...identity(id, attributes),
    { type: CKA.SENSITIVE, value: true },
    { type: CKA.EXTRACTABLE, value: false },
    { type: CKA.SIGN, value: true },
    { type: CKA.DECRYPT, value: false },
    { type: CKA.UNWRAP, value: false },
    { type: CKA.DERIVE, value: false },
  ];
  return { publicKey, privateKey };
}

/**
 * A short-lived session object (CKA_TOKEN false) derived in the token, e.g. an SCP02 session DEK:
 * sensitive, never extractable, encrypt only. It disappears with the session at the latest; the
 * backend destroys it right after use.
 */
export function sessionKeyTemplate(keyType: number, can: { readonly encrypt: boolean }): Pkcs11Attribute[] {
  return [
    { type: CKA.CLASS, value: CKO.SECRET_KEY },
    { type: CKA.KEY_TYPE, value: keyType },
    { type: CKA.TOKEN, value: false },
    { type: CKA.PRIVATE, value: true },
    { type: CKA.SENSITIVE, value: true },
    { type: CKA.EXTRACTABLE, value: false },
    { type: CKA.ENCRYPT, value: can.encrypt },
    { type: CKA.DECRYPT, value: false },
    { type: CKA.SIGN, value: false },
    { type: CKA.WRAP, value: false },
    { type: CKA.DERIVE, value: false },
  ];
}
