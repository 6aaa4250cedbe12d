/**
 * Issuer script secure messaging for confidentiality (EMV 4.4 Book 2 §9.3 and Annex A1.1): the
 * command data enciphered under the 16-byte SM confidentiality session key, in the three layouts
 * the vectors cover (pyemv 1.5.0 sm.encrypt_command_data; research/hsm-emv.md §3.5).
 */
import { wipe } from '../bytes/index.ts';
import { padMethod2, tdesCbcDecrypt, tdesCbcEncrypt, tdesEcbDecrypt, tdesEcbEncrypt } from '../crypto/index.ts';
import { assertEmvBytes, assertEmvOneOf } from './assert.ts';
import { EmvError } from './errors.ts';

/** The confidentiality layouts, as data (CONVENTIONS.md §10). */
export const SCRIPT_ENCIPHERMENTS = {
  /** EMV Book 2 A1.1: 3DES-CBC, IV zero, always ISO 9797-1 padding method 2. */
  emv: { mode: 'cbc', lengthPrefix: false, padding: 'always' },
  /** Mastercard (and Interac): 3DES-CBC, IV zero, method-2 padding only when not block-aligned. */
  mastercard: { mode: 'cbc', lengthPrefix: false, padding: 'unaligned' },
  /** Visa: a length byte, then the data, method-2 padding, 3DES-ECB. */
  visa: { mode: 'ecb', lengthPrefix: true, padding: 'always' },
} as const;

/** A key of {@link SCRIPT_ENCIPHERMENTS}. */
export type ScriptEncipherment = keyof typeof SCRIPT_ENCIPHERMENTS;

const ZERO_IV = new Uint8Array(8);
const SCHEMES = Object.keys(SCRIPT_ENCIPHERMENTS) as ScriptEncipherment[];

/**
 * Enciphers script command data (e.g. a PIN-change PIN block) for the given layout.
 * @example encryptScriptData(skSmc, pinBlock, { scheme: 'mastercard' })
 */
export function encryptScriptData(sessionKey: Uint8Array, data: Uint8Array, options: { scheme: ScriptEncipherment }): Uint8Array {
  assertEmvBytes(sessionKey, [16], 'SM confidentiality session key', 'ERR_EMV_KEY');
  assertEmvBytes(data, undefined, 'script data');
  assertEmvOneOf(options?.scheme, SCHEMES, 'script encipherment');
  const layout = SCRIPT_ENCIPHERMENTS[options.scheme];
  let plain = data;
  if (layout.lengthPrefix) {
    if (data.length > 255) throw new EmvError('ERR_EMV_INPUT', `script data: at most 255 bytes with a length prefix, got ${data.length}`);
    plain = Uint8Array.of(data.length, ...data);
  }
  if (layout.padding === 'always' || plain.length % 8 !== 0 || plain.length === 0) plain = padMethod2(plain, 8);
  const out = layout.mode === 'ecb' ? tdesEcbEncrypt(sessionKey, plain) : tdesCbcEncrypt(sessionKey, plain, { iv: ZERO_IV });
  if (plain !== data) wipe(plain);
  return out;
}

/**
 * Deciphers script command data (the card side). For `emv` and `visa` the padding (and Visa's length
 * byte) is checked and removed; any failure is one fixed ERR_EMV_SCRIPT_DATA error that does not say
 * what failed. For `mastercard` the padding is optional by design and cannot be told from data, so
 * the whole plaintext is returned: the command's own format fixes the data length (an 8-byte PIN
 * block for PIN CHANGE).
 */
export function decryptScriptData(sessionKey: Uint8Array, ciphertext: Uint8Array, options: { scheme: ScriptEncipherment }): Uint8Array {
  assertEmvBytes(sessionKey, [16], 'SM confidentiality session key', 'ERR_EMV_KEY');
  assertEmvBytes(ciphertext, undefined, 'enciphered script data');
  assertEmvOneOf(options?.scheme, SCHEMES, 'script encipherment');
  if (ciphertext.length === 0 || ciphertext.length % 8 !== 0) {
    throw new EmvError('ERR_EMV_SCRIPT_DATA', 'enciphered script data: length is not a non-zero multiple of 8');
  }
  const layout = SCRIPT_ENCIPHERMENTS[options.scheme];
  const plain = layout.mode === 'ecb' ? tdesEcbDecrypt(sessionKey, ciphertext) : tdesCbcDecrypt(sessionKey, ciphertext, { iv: ZERO_IV });
  if (layout.padding === 'unaligned') return plain;
  const end = paddedEnd(plain);
  const start = layout.lengthPrefix ? 1 : 0;
  // Visa: the length byte must name exactly the bytes before the padding.
  const ok = end >= start && (!layout.lengthPrefix || plain[0] === end - 1);
  if (!ok) {
    wipe(plain);
    throw new EmvError('ERR_EMV_SCRIPT_DATA', 'enciphered script data: decryption failed');
  }
  const out = plain.slice(start, end);
  wipe(plain);
  return out;
}

/**
 * Index of the 80 marker of method-2 padding in the last block, or −1. Scans the whole last block
 * whatever it finds, so the time does not depend on where the marker is.
 */
function paddedEnd(plain: Uint8Array): number {
  let marker = -1;
  let zerosOnly = true;
  for (let i = plain.length - 1; i >= plain.length - 8; i--) {
    const b = plain[i]!;
    const isMarker = zerosOnly && b === 0x80;
    if (isMarker) marker = i;
    zerosOnly = zerosOnly && b === 0x00;
  }
  return marker;
}
