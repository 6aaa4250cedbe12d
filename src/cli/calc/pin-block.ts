/**
 * `calc pin-block encode|decode`: ISO 9564-1 PIN blocks, formats 0–3 (8 bytes; clear, or under a
 * 3DES key with `--key`) and format 4 (16 bytes, AES, always enciphered: `--key` required). The PIN
 * is the user's own input: it is never printed by `encode`, and `decode` prints it because that is
 * what was asked. Enciphered encodes do not print the clear block either.
 */
import { toHex, wipe } from '../../bytes/index.ts';
import { tdesEcbDecrypt, tdesEcbEncrypt } from '../../crypto/index.ts';
import { decipherPinBlockIso4, decodePinBlock, encipherPinBlockIso4, encodePinBlock, type PinBlockFormat } from '../../emv/index.ts';
import { blame, digits, hexOption, integer, optional, required, usage, type CalcOptions, type Secrets } from './input.ts';
import { kcvHex } from './keys.ts';
import type { CalcResult } from './result.ts';

type Format = PinBlockFormat | 4;

/** The PAN, where the format binds one (0, 3, 4); formats 1 and 2 take none. */
function panFor(o: CalcOptions, format: Format): string | undefined {
  const text = optional(o, 'pan');
  if (format === 1 || format === 2) {
    if (text !== undefined) throw usage(`--pan: format ${format} binds no PAN`);
    return undefined;
  }
  return digits(required(o, 'pan', `the PAN format ${format} binds`), '--pan', format === 4 ? 1 : 8, 19);
}

/** The optional 3DES key of formats 0–3, or the AES key format 4 requires. */
async function keyFor(o: CalcOptions, secrets: Secrets, format: Format): Promise<Uint8Array | undefined> {
  if (format === 4) return secrets.key(o, 'key', [16, 24, 32], 'the AES PIN encryption key: format 4 blocks are always enciphered');
  if (optional(o, 'key') === undefined && optional(o, 'keyFile') === undefined) return undefined;
  return secrets.key(o, 'key', [16, 24], 'the 3DES PIN encryption key');
}

async function encode(o: CalcOptions, secrets: Secrets, format: Format): Promise<CalcResult> {
  const pan = panFor(o, format);
  const pinText = await secrets.text(o, 'pin');
  if (pinText === undefined) throw usage('--pin: required (4 to 12 digits; or --pin - to type it without echo)');
  const pin = digits(pinText, '--pin', 4, 12);
  const key = await keyFor(o, secrets, format);
  try {
    if (format === 4) return { format, encipheredPinBlock: toHex(encipherPinBlockIso4(key!, pin, pan!)), keyKcv: kcvHex(key!, 'aes-cmac') };
    const options = format === 0 || format === 3 ? { format, pan: pan! } : { format };
    const clear = encodePinBlock(pin, options);
    if (key === undefined) return { format, pinBlock: toHex(clear) };
    const enciphered = tdesEcbEncrypt(key, clear);
    wipe(clear);
    return { format, encipheredPinBlock: toHex(enciphered), keyKcv: kcvHex(key, 'tdes-zeros') };
  } finally {
    if (key !== undefined) wipe(key);
  }
}

async function decode(o: CalcOptions, secrets: Secrets, format: Format): Promise<CalcResult> {
  const block = hexOption(o, 'block', `the PIN block, ${format === 4 ? 16 : 8} bytes`, [format === 4 ? 16 : 8]);
  const pan = panFor(o, format);
  const key = await keyFor(o, secrets, format);
  try {
    if (format === 4) return { format, pin: blame('--block', () => decipherPinBlockIso4(key!, block, pan!)) };
    const clear = key === undefined ? block : tdesEcbDecrypt(key, block);
    const options = format === 0 || format === 3 ? { format, pan: pan! } : { format };
    const pin = blame('--block', () => decodePinBlock(clear, options));
    wipe(clear);
    return { format, pin };
  } finally {
    if (key !== undefined) wipe(key);
  }
}

/** `calc pin-block encode|decode --format N …`. */
export async function calcPinBlock(action: string, o: CalcOptions, secrets: Secrets): Promise<CalcResult> {
  const format = integer(o, 'format', 0, 4) as Format;
  if (action === 'encode') return encode(o, secrets, format);
  if (action === 'decode') {
    if (optional(o, 'pin') !== undefined) throw usage('--pin: decode reads the PIN from --block; give --pin to encode');
    return decode(o, secrets, format);
  }
  throw usage(`pin-block ${action}: expected encode or decode`);
}
