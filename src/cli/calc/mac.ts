/**
 * `calc retail-mac` (ISO 9797-1 MAC algorithm 3, ANSI X9.19: the SCP02 C-MAC and EMV script MAC)
 * and `calc cmac` (AES-CMAC, RFC 4493; TDES-CMAC, SP 800-38B). Padding and length are explicit.
 */
import { toHex, wipe } from '../../bytes/index.ts';
import { aesCmac, retailMac, tdesCmac, type PaddingMethod } from '../../crypto/index.ts';
import { choice, hexOption, integer, optionalHex, type CalcOptions, type Secrets } from './input.ts';
import type { CalcResult } from './result.ts';

/** `calc retail-mac --key K --data D --padding 1|2|3 [--length 4..8] [--iv IV]`. */
export async function calcRetailMac(o: CalcOptions, secrets: Secrets): Promise<CalcResult> {
  const data = hexOption(o, 'data', 'the data to MAC, in hex');
  const padding = Number(choice(o, 'padding', ['1', '2', '3'])) as PaddingMethod;
  const length = integer(o, 'length', 4, 8, 8);
  const iv = optionalHex(o, 'iv', [8]);
  const key = await secrets.key(o, 'key', [16], 'the double-length key K ‖ K\'');
  try {
    return { padding, length, mac: toHex(retailMac(key, data, { padding, length, ...(iv === undefined ? {} : { iv }) })) };
  } finally {
    wipe(key);
  }
}

/** `calc cmac --key K --data D [--cipher aes|tdes] [--length N]`. */
export async function calcCmac(o: CalcOptions, secrets: Secrets): Promise<CalcResult> {
  const cipher = choice(o, 'cipher', ['aes', 'tdes'], 'aes');
  const block = cipher === 'aes' ? 16 : 8;
  const data = hexOption(o, 'data', 'the data to MAC, in hex');
  const length = integer(o, 'length', 1, block, block);
  const key = await secrets.key(o, 'key', cipher === 'aes' ? [16, 24, 32] : [16, 24], cipher === 'aes' ? 'the AES key' : 'the 3DES key');
  try {
    const mac = cipher === 'aes' ? aesCmac(key, data, { length }) : tdesCmac(key, data, { length });
    return { cipher, length, mac: toHex(mac) };
  } finally {
    wipe(key);
  }
}
