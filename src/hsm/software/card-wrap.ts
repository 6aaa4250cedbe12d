/**
 * A key encrypted for a card under its Security Domain's DEK, in the WrappedKey shape of gp/cm
 * PUT KEY (GPC 2.3.1 §11.8.2.3; Amd D v1.1.1 §7.2) and CPS DGI encryption:
 * - SCP03: AES-CBC under the static DEK with a zero ICV (Amd D v1.1.1 §6.2.8). A key that is not a
 *   whole number of AES blocks (AES-192) is right-padded with zero bytes to the next block: the
 *   component block carries the clear length first (Amd D v1.1.1 Table 7-10; GPC 2.3.1 Table
 *   11-70), so the card drops the pad, whatever its value;
 * - SCP02: 3DES-ECB under the session DEK of the channel's sequence counter (GPC 2.3.1 §E.4.1,
 *   §E.4.7).
 * KCVs as the card checks them: DES over 8 zero bytes (GPC 2.3.1 §B.6), AES over 16 bytes of 01
 * (Amd D v1.1.1 §7.2.2). A key is never wrapped under a weaker DEK (X9.24-1; SP 800-57 Part 1).
 */
import { concat, wipe } from '../../bytes/index.ts';
import { aesCbcEncrypt, kcv, tdesEcbEncrypt, type KeyAlgorithm } from '../../crypto/index.ts';
import { KEY_TYPES, SCP02_DERIVATION, scp02SessionKey, type WrappedKey } from '../../gp/index.ts';
import { HsmError } from '../errors.ts';
import { checkCardDek, type CardChannel } from '../shared/card-data.ts';

/** How the card channel protects the key: SCP03 (static DEK) or SCP02 (session DEK from the counter). */
export type CardWrapOptions = CardChannel;

/** Security strength in bits (SP 800-57 Part 1 Table 2: 2TDEA 80, 3TDEA 112). */
const STRENGTH: Readonly<Record<string, number>> = { T16: 80, T24: 112, A16: 128, A24: 192, A32: 256 };

function strength(algorithm: KeyAlgorithm, length: number): number {
  return STRENGTH[`${algorithm}${length}`] ?? Number.POSITIVE_INFINITY;
}

/** Checks the key can travel to a card under this DEK; returns the PUT KEY key type. */
export function checkWrap(clearAlgorithm: KeyAlgorithm, clearLength: number, dekAlgorithm: KeyAlgorithm, dekLength: number, options: CardWrapOptions): number {
  checkCardDek(dekAlgorithm, dekLength, options);
  if (clearAlgorithm === 'T' && clearLength !== 16) throw new HsmError('ERR_HSM_UNSUPPORTED', 'a card DES key is double-length (GPC 2.3.1 Table E-3)');
  if (clearAlgorithm !== 'T' && clearAlgorithm !== 'A') throw new HsmError('ERR_HSM_UNSUPPORTED', `algorithm ${clearAlgorithm} keys are not sent to cards`);
  if (strength(clearAlgorithm, clearLength) > strength(dekAlgorithm, dekLength)) {
    throw new HsmError('ERR_HSM_USAGE', 'a key is never wrapped under a weaker DEK');
  }
  return clearAlgorithm === 'A' ? KEY_TYPES.AES : KEY_TYPES.DES;
}

/** Encrypts `clear` (a key of `clearAlgorithm`) under the card DEK `dek` (of `dekAlgorithm`). */
export function wrapForCard(clear: Uint8Array, clearAlgorithm: KeyAlgorithm, dek: Uint8Array, dekAlgorithm: KeyAlgorithm, options: CardWrapOptions): WrappedKey {
  const type = checkWrap(clearAlgorithm, clear.length, dekAlgorithm, dek.length, options);
  const check = kcv(clear, type === KEY_TYPES.AES ? 'aes-ones' : 'tdes-zeros', 3);
  if (options.scp === 3) {
    const padded = clear.length % 16 === 0 ? clear : concat(clear, new Uint8Array(16 - (clear.length % 16)));
    try {
      return { type, keyLength: clear.length, ciphertext: aesCbcEncrypt(dek, padded, { iv: new Uint8Array(16) }), kcv: check };
    } finally {
      if (padded !== clear) wipe(padded);
    }
  }
  const counter = options.sequenceCounter;
  if (typeof counter !== 'number' || !Number.isInteger(counter) || counter < 0 || counter > 0xffff) {
    throw new HsmError('ERR_HSM_PARAM', 'SCP02: the sequence counter (0..FFFF) of the channel is required');
  }
  const sessionDek = scp02SessionKey(dek, SCP02_DERIVATION.DEK, counter);
  try {
    return { type, keyLength: clear.length, ciphertext: tdesEcbEncrypt(sessionDek, clear), kcv: check };
  } finally {
    wipe(sessionDek);
  }
}

/**
 * Sensitive DGI values (already padded: shared/card-data.ts padForCard) encrypted each on its own
 * under card DEK `dek` (EMV CPS; docs/payment-application.md §4): SCP03 AES-CBC with a zero IV
 * under the static DEK, SCP02 3DES-ECB under the session DEK of the sequence counter.
 */
export function encryptForCard(values: readonly Uint8Array[], dek: Uint8Array, dekAlgorithm: KeyAlgorithm, options: CardWrapOptions): Uint8Array[] {
  checkCardDek(dekAlgorithm, dek.length, options);
  if (options.scp === 3) return values.map((v) => aesCbcEncrypt(dek, v, { iv: new Uint8Array(16) }));
  const counter = options.sequenceCounter;
  if (typeof counter !== 'number' || !Number.isInteger(counter) || counter < 0 || counter > 0xffff) {
    throw new HsmError('ERR_HSM_PARAM', 'SCP02: the sequence counter (0..FFFF) of the channel is required');
  }
  const sessionDek = scp02SessionKey(dek, SCP02_DERIVATION.DEK, counter);
  try {
    return values.map((v) => tdesEcbEncrypt(sessionDek, v));
  } finally {
    wipe(sessionDek);
  }
}
