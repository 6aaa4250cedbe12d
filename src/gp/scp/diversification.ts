/**
 * Static-key diversification from a master key and the card's key diversification data (KDD, the
 * first 10 bytes of the INITIALIZE UPDATE response), under the names GlobalPlatformPro uses
 * (gp.md §5.5; GPPro `PlaintextKeys.kdf_templates`). None of these is defined by GPC itself: EMV is
 * the EMV CPS v1.1 / CPG 2.04 scheme, VISA2 the Visa/Gemalto variant, KDF3 a vendor practice
 * (GPPro issue #112). Which one a card uses is a per-card-profile parameter, never a guess.
 */
import { concat } from '../../bytes/index.ts';
import { kdfCounterCmac, tdesEcbEncryptWith, type HeldKey } from '../../crypto/index.ts';
import { GpError } from '../errors.ts';
import { assertGpBytes, assertGpKey } from './assert.ts';

/** The key types of a GP key set and the byte each diversification template uses for them. */
export const KEY_TYPE = { ENC: 0x01, MAC: 0x02, DEK: 0x03 } as const;
/** A key of a GP key set: ENC, MAC or DEK. */
export type KeyType = keyof typeof KEY_TYPE;

/** A diversification function: `(masterKey, kdd, keyType) => card key`; the master key may be held by an HSM. */
export type Diversifier = (masterKey: Uint8Array | HeldKey, kdd: Uint8Array, keyType: KeyType) => Uint8Array;

function keyTypeByte(keyType: KeyType): number {
  const b = KEY_TYPE[keyType] as number | undefined;
  if (b === undefined) throw new GpError('ERR_GP_PARAM', `key type must be ENC, MAC or DEK, got ${String(keyType)}`);
  return b;
}

function checkInputs(masterKey: Uint8Array | HeldKey, kdd: Uint8Array, cipher: 'aes' | 'tdes', lengths: readonly number[], method: string): void {
  assertGpKey(masterKey, cipher, lengths, `${method} master key`);
  assertGpBytes(kdd, [10], `${method} key diversification data`);
}

/**
 * EMV (CPG 2.04) diversification: 3DES-ECB(MK, KDD[4..9] ‖ F0 ‖ kt ‖ KDD[4..9] ‖ 0F ‖ kt), a 16-byte
 * 3DES key (GPPro template `emv`).
 */
export function diversifyEmv(masterKey: Uint8Array | HeldKey, kdd: Uint8Array, keyType: KeyType): Uint8Array {
  checkInputs(masterKey, kdd, 'tdes', [16], 'EMV');
  const kt = keyTypeByte(keyType);
  const id = kdd.subarray(4, 10);
  return tdesEcbEncryptWith(masterKey, concat(id, Uint8Array.of(0xf0, kt), id, Uint8Array.of(0x0f, kt)));
}

/**
 * VISA2 diversification: 3DES-ECB(MK, KDD[0..1] ‖ KDD[4..7] ‖ F0 ‖ kt ‖ KDD[0..1] ‖ KDD[4..7] ‖ 0F ‖ kt)
 * (GPPro template `visa2`).
 */
export function diversifyVisa2(masterKey: Uint8Array | HeldKey, kdd: Uint8Array, keyType: KeyType): Uint8Array {
  checkInputs(masterKey, kdd, 'tdes', [16], 'VISA2');
  const kt = keyTypeByte(keyType);
  const id = concat(kdd.subarray(0, 2), kdd.subarray(4, 8));
  return tdesEcbEncryptWith(masterKey, concat(id, Uint8Array.of(0xf0, kt), id, Uint8Array.of(0x0f, kt)));
}

/**
 * KDF3 diversification: NIST SP 800-108 counter mode with AES-CMAC, counter first, block i =
 * CMAC(MK, i ‖ 00 00 00 ‖ kt ‖ 00 ‖ KDD), no L field, output as long as the master key (GPPro
 * template `kdf3`).
 */
export function diversifyKdf3(masterKey: Uint8Array | HeldKey, kdd: Uint8Array, keyType: KeyType): Uint8Array {
  checkInputs(masterKey, kdd, 'aes', [16, 24, 32], 'KDF3');
  const kt = keyTypeByte(keyType);
  return kdfCounterCmac(masterKey, {
    fixedBefore: new Uint8Array(0),
    fixedAfter: concat(Uint8Array.of(0x00, 0x00, 0x00, kt, 0x00), kdd),
    length: masterKey.length,
  });
}

/** The diversification methods by name, with the key algorithm each produces (CONVENTIONS.md §10). */
export const DIVERSIFICATION_METHODS = {
  emv: { diversify: diversifyEmv, algorithm: 'tdes' },
  visa2: { diversify: diversifyVisa2, algorithm: 'tdes' },
  kdf3: { diversify: diversifyKdf3, algorithm: 'aes' },
} as const satisfies Record<string, { diversify: Diversifier; algorithm: 'tdes' | 'aes' }>;
/** A diversification method name: `emv`, `visa2` or `kdf3`. */
export type DiversificationMethod = keyof typeof DIVERSIFICATION_METHODS;

/**
 * Diversifies `masterKey` for the card with `kdd` by `method`.
 * @example diversifyKey('kdf3', masterKey, kdd, 'ENC')
 */
export function diversifyKey(method: DiversificationMethod, masterKey: Uint8Array | HeldKey, kdd: Uint8Array, keyType: KeyType): Uint8Array {
  const entry = DIVERSIFICATION_METHODS[method] as (typeof DIVERSIFICATION_METHODS)[DiversificationMethod] | undefined;
  if (entry === undefined) throw new GpError('ERR_GP_PARAM', `unknown diversification method ${String(method)}`);
  return entry.diversify(masterKey, kdd, keyType);
}
