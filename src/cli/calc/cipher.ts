/**
 * `calc des` and `calc aes`: one block cipher operation, ECB or CBC with an explicit IV, no padding
 * (crypto/des.ts, crypto/aes.ts). `des` takes 8-byte (single DES, legacy), 16- or 24-byte keys.
 */
import { toHex, wipe } from '../../bytes/index.ts';
import { aesCbcDecrypt, aesCbcEncrypt, aesEcbDecrypt, aesEcbEncrypt, tdesCbcDecrypt, tdesCbcEncrypt, tdesEcbDecrypt, tdesEcbEncrypt } from '../../crypto/index.ts';
import { choice, hexOption, optional, usage, type CalcOptions, type Secrets } from './input.ts';
import type { CalcResult } from './result.ts';

type Mode = 'ecb' | 'cbc';
type Fn = (key: Uint8Array, data: Uint8Array, iv: Uint8Array) => Uint8Array;

/** The operations of each cipher, as data. */
const CIPHERS = {
  des: {
    block: 8,
    keys: [8, 16, 24],
    encrypt: { ecb: (k, d) => tdesEcbEncrypt(k, d), cbc: (k, d, iv) => tdesCbcEncrypt(k, d, { iv }) },
    decrypt: { ecb: (k, d) => tdesEcbDecrypt(k, d), cbc: (k, d, iv) => tdesCbcDecrypt(k, d, { iv }) },
  },
  aes: {
    block: 16,
    keys: [16, 24, 32],
    encrypt: { ecb: (k, d) => aesEcbEncrypt(k, d), cbc: (k, d, iv) => aesCbcEncrypt(k, d, { iv }) },
    decrypt: { ecb: (k, d) => aesEcbDecrypt(k, d), cbc: (k, d, iv) => aesCbcDecrypt(k, d, { iv }) },
  },
} as const satisfies Record<string, { block: number; keys: readonly number[]; encrypt: Record<Mode, Fn>; decrypt: Record<Mode, Fn> }>;

/** `calc des|aes encrypt|decrypt --mode ecb|cbc --key K --data D [--iv IV]`. */
export async function calcCipher(cipher: keyof typeof CIPHERS, action: string, o: CalcOptions, secrets: Secrets): Promise<CalcResult> {
  if (action !== 'encrypt' && action !== 'decrypt') throw usage(`${cipher} ${action}: expected encrypt or decrypt`);
  const spec = CIPHERS[cipher];
  const mode = choice<Mode>(o, 'mode', ['ecb', 'cbc']);
  const data = hexOption(o, 'data', `the ${action === 'encrypt' ? 'plaintext' : 'ciphertext'}, in hex`);
  if (data.length === 0 || data.length % spec.block !== 0) {
    throw usage(`--data: expected a non-empty multiple of ${spec.block} bytes (no padding is added), got ${data.length} bytes`);
  }
  if (mode === 'ecb' && optional(o, 'iv') !== undefined) throw usage('--iv: ECB takes no IV');
  const iv = mode === 'cbc' ? hexOption(o, 'iv', `the IV, ${spec.block} bytes (explicit: no default IV)`, [spec.block]) : new Uint8Array(0);
  const key = await secrets.key(o, 'key', spec.keys, `the ${cipher === 'des' ? 'DES or 3DES' : 'AES'} key`);
  try {
    const output = toHex(spec[action][mode](key, data, iv));
    return { mode, ...(action === 'encrypt' ? { ciphertext: output } : { plaintext: output }) };
  } finally {
    wipe(key);
  }
}
