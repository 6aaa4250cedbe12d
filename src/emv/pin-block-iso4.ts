/**
 * ISO 9564-1:2017 PIN block format 4 (§9.4): a 16-byte PIN field and PAN field for AES, enciphered
 * in two passes (the last block of AES-CBC with a zero IV over PIN field ‖ PAN field).
 */
import { concat, wipe, xor } from '../bytes/index.ts';
import { aesEcbDecryptWith, aesEcbEncryptWith, type HeldKey } from '../crypto/index.ts';
import { assertDigits, assertEmvBytes, assertEmvKey } from './assert.ts';
import { digitNibbles, nibblesToDigits, packNibbles, unpackNibbles } from './digits.ts';
import { EmvError } from './errors.ts';
import { PIN_DIGITS, assertPin } from './pin.ts';
import { csprng, drawBytes, type RandomSource } from './random.ts';

/**
 * PAN lengths for the format 4 PAN field: up to 19 digits; shorter than 12 is left-padded with
 * zeros to 12 (§9.4.2), so 1 digit is the minimum (psec 1.3.0 tests encode the PAN "1").
 */
export const ISO4_PAN_DIGITS = { min: 1, max: 19 } as const;

const FILL_A = 0xa;

/**
 * The plain-text PIN field (§9.4.1): 4 ‖ N ‖ PIN ‖ A-fill to 16 nibbles, then 8 random bytes.
 * @example encodePinFieldIso4('1234', { random }) // 441234AAAAAAAAAA ‖ 8 random bytes
 */
export function encodePinFieldIso4(pin: string, options: { random?: RandomSource } = {}): Uint8Array {
  assertPin(pin);
  const head = packNibbles([0x4, pin.length, ...digitNibbles(pin), ...new Array<number>(14 - pin.length).fill(FILL_A)]);
  const out = concat(head, drawBytes(options?.random ?? csprng, 8));
  wipe(head);
  return out;
}

/**
 * Decodes a plain-text PIN field. Control nibble, length, digits and A-fill are checked; any
 * failure is one fixed ERR_EMV_PIN_BLOCK message. The random half is not checked (it is random).
 */
export function decodePinFieldIso4(field: Uint8Array): string {
  assertEmvBytes(field, [16], 'ISO 9564-1 format 4 PIN field');
  const n = unpackNibbles(field.subarray(0, 8));
  const length = n[1]!;
  let ok = n[0] === 0x4 && length >= PIN_DIGITS.min && length <= PIN_DIGITS.max;
  for (let i = 2; i < 16; i++) ok &&= i < 2 + length ? n[i]! <= 9 : n[i] === FILL_A;
  if (!ok) {
    n.fill(0);
    throw new EmvError('ERR_EMV_PIN_BLOCK', 'PIN block: not a valid ISO 9564-1 format 4 PIN field');
  }
  const pin = nibblesToDigits(n.slice(2, 2 + length));
  n.fill(0);
  return pin;
}

/**
 * The PAN field (§9.4.2): M = PAN length − 12 (0 when shorter), then the PAN (left-padded with
 * zeros to 12 digits), right-padded with zeros to 32 nibbles.
 * @example encodePanFieldIso4('1234567890123456') // 41234567890123456000000000000000
 */
export function encodePanFieldIso4(pan: string): Uint8Array {
  assertDigits(pan, ISO4_PAN_DIGITS.min, ISO4_PAN_DIGITS.max, 'PAN', 'ERR_EMV_PAN');
  const digits = pan.padStart(12, '0');
  const nibbles = [digits.length - 12, ...digitNibbles(digits)];
  while (nibbles.length < 32) nibbles.push(0);
  return packNibbles(nibbles);
}

/**
 * Decodes a PAN field back to its digits (a PAN shorter than 12 digits comes back with its
 * left zero-padding: the field does not record it). Malformed fields are ERR_EMV_PIN_BLOCK.
 */
export function decodePanFieldIso4(field: Uint8Array): string {
  assertEmvBytes(field, [16], 'ISO 9564-1 format 4 PAN field');
  const n = unpackNibbles(field);
  const length = 12 + n[0]!;
  let ok = n[0]! <= 7;
  for (let i = 1; i < 32; i++) ok &&= i <= length ? n[i]! <= 9 : n[i] === 0;
  if (!ok) throw new EmvError('ERR_EMV_PIN_BLOCK', 'PIN block: not a valid ISO 9564-1 format 4 PAN field');
  return nibblesToDigits(n.slice(1, 1 + length));
}

/**
 * Enciphers a format 4 PIN block under an AES key (§9.4.3): AES(K)[AES(K)[PIN field] ⊕ PAN field].
 * The key may be held by an HSM (it runs both AES passes).
 * @example encipherPinBlockIso4(key, '1234', '1234567890123456789', { random })
 */
export function encipherPinBlockIso4(key: Uint8Array | HeldKey, pin: string, pan: string, options: { random?: RandomSource } = {}): Uint8Array {
  assertEmvKey(key, 'aes', [16, 24, 32], 'PIN encryption key (AES)');
  const panPart = encodePanFieldIso4(pan);
  const pinPart = encodePinFieldIso4(pin, options);
  const a = aesEcbEncryptWith(key, pinPart);
  const b = xor(a, panPart);
  const out = aesEcbEncryptWith(key, b);
  wipe(pinPart, a, b);
  return out;
}

/**
 * Deciphers a format 4 PIN block and returns the PIN (§9.4.3 reversed): PIN field =
 * AES⁻¹(K)[AES⁻¹(K)[block] ⊕ PAN field]. A wrong key, PAN or block gives ERR_EMV_PIN_BLOCK.
 */
export function decipherPinBlockIso4(key: Uint8Array | HeldKey, block: Uint8Array, pan: string): string {
  assertEmvKey(key, 'aes', [16, 24, 32], 'PIN encryption key (AES)');
  assertEmvBytes(block, [16], 'ISO 9564-1 format 4 PIN block');
  const panPart = encodePanFieldIso4(pan);
  const b = aesEcbDecryptWith(key, block);
  const a = xor(b, panPart);
  const pinPart = aesEcbDecryptWith(key, a);
  try {
    return decodePinFieldIso4(pinPart);
  } finally {
    wipe(pinPart, a, b);
  }
}
