/**
 * ICC master key (UDK) derivation from an issuer master key, EMV 4.4 Book 2 Annex A1.4: option A
 * (A1.4.1) and option B (A1.4.2, for PANs longer than 16 digits), double-length TDES.
 *
 * The AES variant (option C, EMV 4.4 Book 2 A1.4.3) is out of scope here: no published vector in
 * test/vectors covers it (research/hsm-emv.md §3.1).
 */
import { createHash } from 'node:crypto';
import { concat, wipe, xor } from '../bytes/index.ts';
import { tdesEcbEncryptWith, type HeldKey } from '../crypto/index.ts';
import { assertDigits, assertEmvKey } from './assert.ts';
import { packDigits } from './digits.ts';
import { withOddParity } from './key-parity.ts';

/** PAN lengths accepted for key derivation: ISO/IEC 7812-1 allows 8 to 19 digits. */
export const UDK_PAN_DIGITS = { min: 8, max: 19 } as const;

const FF8 = new Uint8Array(8).fill(0xff);

function panPsn(pan: string, psn: string | null): string {
  assertDigits(pan, UDK_PAN_DIGITS.min, UDK_PAN_DIGITS.max, 'PAN', 'ERR_EMV_PAN');
  if (psn !== null) assertDigits(psn, 2, 2, 'PAN sequence number', 'ERR_EMV_PSN');
  // A1.4.1: an absent PAN Sequence Number is replaced by a '00' byte.
  return pan + (psn ?? '00');
}

/** A1.4.1: Z = DES3(IMK)[Y] ‖ DES3(IMK)[Y ⊕ FF…FF], then odd parity on every byte. */
function fromY(imk: Uint8Array | HeldKey, y: Uint8Array): Uint8Array {
  const z = tdesEcbEncryptWith(imk, concat(y, xor(y, FF8)));
  const mk = withOddParity(z);
  wipe(z);
  return mk;
}

/**
 * ICC master key by option A (EMV 4.4 Book 2 A1.4.1): Y is the rightmost 16 digits of PAN ‖ PSN
 * (left-padded with zeros), packed BCD. `psn` is two digits, or `null` when the card has none
 * (then '00' is used). The IMK may be held by an HSM (it runs the 3DES-ECB); the ICC master key is
 * returned as bytes.
 * @example deriveIccMasterKeyOptionA(imk, '12345678901234567', '01') // 73AD5468… (pyemv doc example)
 */
export function deriveIccMasterKeyOptionA(imk: Uint8Array | HeldKey, pan: string, psn: string | null): Uint8Array {
  assertEmvKey(imk, 'tdes', [16], 'issuer master key');
  const x = panPsn(pan, psn);
  return fromY(imk, packDigits(x.slice(-16).padStart(16, '0')));
}

/**
 * ICC master key by option B (EMV 4.4 Book 2 A1.4.2). For a PAN of 16 digits or fewer it is
 * option A. Otherwise X = PAN ‖ PSN (left-padded with '0' to an even length), Y = SHA-1(X), and
 * the 16 digits of Y are its decimal digits in order, followed if fewer than 16 by its hex letters
 * A–F decimalised as 0–5; then as option A.
 */
export function deriveIccMasterKeyOptionB(imk: Uint8Array | HeldKey, pan: string, psn: string | null): Uint8Array {
  assertEmvKey(imk, 'tdes', [16], 'issuer master key');
  const x = panPsn(pan, psn);
  if (pan.length <= 16) return deriveIccMasterKeyOptionA(imk, pan, psn);
  const digest = createHash('sha1')
    .update(packDigits(x.length % 2 === 0 ? x : `0${x}`))
    .digest('hex');
  const decimals = [...digest].filter((c) => c >= '0' && c <= '9');
  // A1.4.2: too few decimal digits → continue with the letters, a..f → 0..5.
  const letters = [...digest].filter((c) => c >= 'a' && c <= 'f').map((c) => String(c.charCodeAt(0) - 97));
  const y = [...decimals, ...letters].slice(0, 16).join('');
  return fromY(imk, packDigits(y));
}
