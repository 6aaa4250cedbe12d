/**
 * `calc kcv` and `calc diversify`: key check values, and GlobalPlatform static keys diversified from
 * batch master keys with a card's KDD (crypto/ and gp/ functions; nothing computed here).
 */
import { toHex, wipe } from '../../bytes/index.ts';
import { kcv, type KcvMethod } from '../../crypto/index.ts';
import { DIVERSIFICATION_METHODS, diversifyKey, type DiversificationMethod, type KeyType } from '../../gp/index.ts';
import { choice, hexOption, integer, type CalcOptions, type Secrets } from './input.ts';
import type { CalcResult } from './result.ts';

/** `--alg` of `calc kcv` → the KCV method (crypto/kcv.ts). */
export const KCV_ALGORITHMS = {
  tdes: 'tdes-zeros',
  'aes-cmac': 'aes-cmac',
  'aes-ones': 'aes-ones',
  'aes-zeros': 'aes-zeros',
} as const satisfies Record<string, KcvMethod>;
type KcvAlgorithm = keyof typeof KCV_ALGORITHMS;

/** The 3-byte KCV of `key` in hex. */
export function kcvHex(key: Uint8Array, method: KcvMethod): string {
  return toHex(kcv(key, method, 3));
}

/** A key the user asked for, with its KCV. */
export function keyWithKcv(key: Uint8Array, method: KcvMethod): CalcResult {
  return { key: toHex(key), kcv: kcvHex(key, method) };
}

/** `calc kcv --alg A --key K [--length N]`. */
export async function calcKcv(o: CalcOptions, secrets: Secrets): Promise<CalcResult> {
  const alg = choice<KcvAlgorithm>(o, 'alg', Object.keys(KCV_ALGORITHMS) as KcvAlgorithm[]);
  const length = integer(o, 'length', 1, 8, 3);
  const key = await secrets.key(o, 'key', alg === 'tdes' ? [8, 16, 24] : [16, 24, 32], 'the key to check');
  try {
    return { algorithm: alg, kcv: toHex(kcv(key, KCV_ALGORITHMS[alg], length)) };
  } finally {
    wipe(key);
  }
}

const ROLES: readonly KeyType[] = ['ENC', 'MAC', 'DEK'];

/** `calc diversify --method M --kdd KDD` with the master keys. */
export async function calcDiversify(o: CalcOptions, secrets: Secrets): Promise<CalcResult> {
  const method = choice<DiversificationMethod>(o, 'method', Object.keys(DIVERSIFICATION_METHODS) as DiversificationMethod[]);
  const kdd = hexOption(o, 'kdd', 'the key diversification data: the first 10 bytes of the INITIALIZE UPDATE response', [10]);
  const aes = DIVERSIFICATION_METHODS[method].algorithm === 'aes';
  const masters = await secrets.keySet(o, aes ? [16, 24, 32] : [16], true);
  // GPC 2.3.1 §11.8.2.3 (DES) and Amd D v1.1.1 §7.2 (AES): the KCVs a card confirms in PUT KEY
  const kcvMethod: KcvMethod = aes ? 'aes-ones' : 'tdes-zeros';
  const out: Record<string, CalcResult> = {};
  try {
    for (const role of ROLES) {
      const master = role === 'ENC' ? masters.enc : role === 'MAC' ? masters.mac : masters.dek;
      const key = diversifyKey(method, master, kdd, role);
      out[role.toLowerCase()] = keyWithKcv(key, kcvMethod);
      wipe(key);
    }
  } finally {
    wipe(masters.enc, masters.mac, masters.dek);
  }
  return { method, kdd: toHex(kdd), kcvAlgorithm: aes ? 'aes-ones' : 'tdes', ...out };
}
