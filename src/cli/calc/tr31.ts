/**
 * `calc tr31 wrap|unwrap`: TR-31 / ANSI X9.143 key blocks (crypto/tr31). Wrap produces versions B
 * (TDES KBPK) and D (AES KBPK); unwrap reads A–D. Both print the header fields and the key's KCV;
 * the clear key of an unwrapped block only with `--show-key`.
 */
import { toHex, wipe } from '../../bytes/index.ts';
import {
  EXPORTABILITY,
  KEY_ALGORITHMS,
  KEY_CONTEXTS,
  KEY_USAGES,
  MODES_OF_USE,
  keyBlockHeader,
  unwrapKeyBlock,
  wrapKeyBlock,
  type Exportability,
  type KeyAlgorithm,
  type KeyBlockHeader,
  type KeyContext,
  type KeyUsage,
  type ModeOfUse,
  type OptionalBlock,
} from '../../crypto/index.ts';
import { blame, choice, optional, required, usage, type CalcOptions, type Secrets } from './input.ts';
import { kcvHex } from './keys.ts';
import type { CalcResult } from './result.ts';

const keysOf = <T extends object>(table: T): (keyof T & string)[] => Object.keys(table) as (keyof T & string)[];

/** The header as printed: each code with its meaning. */
export function headerFields(h: KeyBlockHeader): CalcResult {
  const blocks = Object.fromEntries(h.optionalBlocks.map((b) => [b.id, b.data]));
  return {
    version: h.version,
    usage: `${h.usage} (${KEY_USAGES[h.usage]})`,
    algorithm: `${h.algorithm} (${KEY_ALGORITHMS[h.algorithm]})`,
    modeOfUse: `${h.modeOfUse} (${MODES_OF_USE[h.modeOfUse]})`,
    keyVersion: h.keyVersion,
    exportability: `${h.exportability} (${EXPORTABILITY[h.exportability]})`,
    keyContext: `${h.keyContext} (${KEY_CONTEXTS[h.keyContext]})`,
    ...(h.optionalBlocks.length === 0 ? {} : { optionalBlocks: blocks }),
  };
}

/** KCV of a key by its header algorithm: X9.24-1 for TDES/DES, AES-CMAC for AES (as UnwrappedKey). */
function keyKcv(algorithm: KeyAlgorithm, key: Uint8Array): string | undefined {
  if (algorithm === 'T' || algorithm === 'D') return kcvHex(key, 'tdes-zeros');
  if (algorithm === 'A') return kcvHex(key, 'aes-cmac');
  return undefined;
}

/** `--opt-block ID=DATA` values (printable ASCII; e.g. a label: LB=IMK-AC). */
function optionalBlocks(o: CalcOptions): OptionalBlock[] {
  const raw = Array.isArray(o.optBlock) ? (o.optBlock as string[]) : [];
  return raw.map((item) => {
    const m = /^([0-9A-Za-z]{2})=([\x20-\x7E]*)$/.exec(item);
    if (m === null) throw usage(`--opt-block ${item}: expected ID=DATA, a 2-character ID and printable ASCII data (e.g. LB=IMK-AC)`);
    return { id: m[1]!, data: m[2]! };
  });
}

async function wrap(o: CalcOptions, secrets: Secrets): Promise<CalcResult> {
  const version = choice(o, 'blockVersion', ['B', 'D']);
  const usageCode = choice<KeyUsage>(o, 'usage', keysOf(KEY_USAGES));
  const algorithm = choice<KeyAlgorithm>(o, 'algorithm', keysOf(KEY_ALGORITHMS));
  const modeOfUse = choice<ModeOfUse>(o, 'mode', keysOf(MODES_OF_USE));
  const exportability = choice<Exportability>(o, 'exportability', keysOf(EXPORTABILITY));
  const keyContext = choice<KeyContext>(o, 'keyContext', keysOf(KEY_CONTEXTS), '0');
  const keyVersion = optional(o, 'keyVersion') ?? '00';
  if (!/^[0-9A-Za-z]{2}$/.test(keyVersion)) throw usage(`--key-version ${keyVersion}: expected 2 alphanumeric characters (00 = no version)`);
  const header = blame('tr31 wrap', () => keyBlockHeader({ version, usage: usageCode, algorithm, modeOfUse, exportability, keyVersion, keyContext, optionalBlocks: optionalBlocks(o) }));
  const kbpk = await secrets.key(o, 'kbpk', version === 'B' ? [16, 24] : [16, 24, 32], `the key block protection key (${version === 'B' ? 'TDES, 16 or 24 bytes' : 'AES, 16, 24 or 32 bytes'})`);
  const key = await secrets.key(o, 'key', [8, 16, 24, 32], 'the key to wrap');
  try {
    const block = blame('tr31 wrap', () => wrapKeyBlock(kbpk, key, { header }));
    return { keyBlock: block, ...headerFields(header), kcv: keyKcv(algorithm, key), kbpkKcv: kbpkKcv(version, kbpk) };
  } finally {
    wipe(kbpk, key);
  }
}

function kbpkKcv(version: string, kbpk: Uint8Array): string {
  return kcvHex(kbpk, version === 'D' ? 'aes-cmac' : 'tdes-zeros');
}

async function unwrap(o: CalcOptions, secrets: Secrets): Promise<CalcResult> {
  const block = required(o, 'block', 'the TR-31 key block').trim();
  const version = block[0] ?? '';
  const kbpk = await secrets.key(o, 'kbpk', version === 'D' ? [16, 24, 32] : [16, 24], 'the key block protection key');
  const unwrapped = blame('--block', () => unwrapKeyBlock(kbpk, block));
  try {
    return {
      ...headerFields(unwrapped.header),
      kcv: unwrapped.kcv,
      kbpkKcv: kbpkKcv(version, kbpk),
      ...(o.showKey === true ? { key: toHex(unwrapped.key) } : {}),
    };
  } finally {
    unwrapped.wipe();
    wipe(kbpk);
  }
}

/** `calc tr31 wrap|unwrap …`. */
export async function calcTr31(action: string, o: CalcOptions, secrets: Secrets): Promise<CalcResult> {
  if (action === 'wrap') {
    if (o.showKey === true) throw usage('--show-key goes with unwrap');
    return wrap(o, secrets);
  }
  if (action === 'unwrap') return unwrap(o, secrets);
  throw usage(`tr31 ${action}: expected wrap or unwrap`);
}
