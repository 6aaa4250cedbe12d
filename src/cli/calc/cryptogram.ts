/**
 * `calc arqc` and `calc arpc`: application cryptograms and issuer responses per CVN profile
 * (emv/ CVN_PROFILES: which master-key option, session key, padding and ARPC method a scheme uses),
 * or ARPC by method alone. The key is the issuer master key (`--key-type imk`, the default: the ICC
 * master key is derived from PAN and PSN), the ICC master key, or the AC session key. Intermediate
 * keys print as KCVs only: the user asked for the cryptogram, not for them.
 */
import { concat, fromHex, toHex, wipe } from '../../bytes/index.ts';
import {
  CVN_PROFILES,
  assembleAcData,
  atcDiversifier,
  deriveCommonSessionKey,
  generateAc,
  generateArpcMethod1,
  generateArpcMethod2,
  mastercardDiversifier,
  verifyAc,
  type CvnProfile,
  type CvnProfileId,
} from '../../emv/index.ts';
import { blame, choice, hexOption, optional, optionalHex, usage, type CalcOptions, type Secrets } from './input.ts';
import { deriveIccMk, panAndPsn } from './emv-keys.ts';
import { kcvHex } from './keys.ts';
import type { CalcResult } from './result.ts';

/** The CVN profile ids (`--profile`). */
export const PROFILE_IDS = Object.keys(CVN_PROFILES) as CvnProfileId[];
const KEY_TYPES = ['imk', 'icc-mk', 'session-key'] as const;
type KeyType = (typeof KEY_TYPES)[number];

/** The `--element ID=HEX` values, checked against the profile's data elements. */
function elementValues(o: CalcOptions, profile: CvnProfile, id: CvnProfileId): Record<string, Uint8Array> {
  const raw = Array.isArray(o.element) ? (o.element as string[]) : [];
  const known = new Map(profile.acData.map((e) => [e.id, e.length]));
  const values: Record<string, Uint8Array> = {};
  for (const item of raw) {
    const m = /^([0-9A-Za-z]+)=([0-9A-Fa-f]*)$/.exec(item);
    if (m === null) throw usage(`--element ${item}: expected ID=HEX, e.g. 9F02=000000001000`);
    const name = m[1]!.toUpperCase();
    if (!known.has(name)) throw usage(`--element ${name}: not a data element of ${id} (it takes ${[...known.keys()].join(', ')})`);
    const text = m[2]!;
    const length = known.get(name);
    if (text.length % 2 !== 0 || (typeof length === 'number' && text.length !== 2 * length)) {
      throw usage(`--element ${name}: expected ${typeof length === 'number' ? `${length} bytes (${2 * length} hex digits)` : 'hex digits in pairs'}`);
    }
    values[name] = fromHex(text, `--element ${name}`);
  }
  const missing = profile.acData.map((e) => e.id).filter((e) => values[e] === undefined);
  if (missing.length > 0) throw usage(`--element: ${missing.join(', ')} missing (${id} takes ${[...known.keys()].join(', ')}, in that order)`);
  return values;
}

/** The keys of a profile-driven computation: the ICC master key (unless a session key was given) and the key that MACs. */
interface ProfileKeys {
  readonly mk: Uint8Array | undefined;
  readonly sk: Uint8Array;
}

/** The ICC master key from the key of `--key-type` (derived from an IMK by the profile's option); none for a session key. */
function iccMasterKey(profile: CvnProfile, keyType: KeyType, key: Uint8Array, o: CalcOptions): Uint8Array | undefined {
  if (keyType === 'session-key') return undefined;
  if (keyType === 'icc-mk') return key.slice();
  const { pan, psn } = panAndPsn(o);
  return deriveIccMk(profile.masterKeyDerivation === 'option-a' ? 'A' : 'B', key, pan, psn);
}

/** The ICC master key and the AC session key the profile prescribes, from the key of `--key-type`. */
function profileKeys(profile: CvnProfile, keyType: KeyType, key: Uint8Array, o: CalcOptions, atc: Uint8Array | undefined, un: Uint8Array | undefined): ProfileKeys {
  const mk = iccMasterKey(profile, keyType, key, o);
  if (mk === undefined) return { mk, sk: key.slice() };
  if (profile.acSessionKey === 'none') return { mk, sk: mk.slice() };
  if (atc === undefined) throw usage('--atc: required (the ATC, 9F36, 2 bytes) for this profile\'s session key');
  if (profile.acSessionKey === 'common-atc') return { mk, sk: deriveCommonSessionKey(mk, atcDiversifier(atc, 8)) };
  if (un === undefined) throw usage('--un: required (the unpredictable number, 9F37, 4 bytes) for the Mastercard session key');
  return { mk, sk: deriveCommonSessionKey(mk, mastercardDiversifier(atc, un)) };
}

function keyKind(keyType: KeyType): string {
  return keyType === 'imk' ? 'the issuer master key IMK-AC' : keyType === 'icc-mk' ? 'the ICC master key MK-AC' : 'the AC session key';
}

/** `calc arqc --profile P --key K [--key-type T] (--data HEX | --element ID=HEX …) [--arqc HEX]`. */
export async function calcArqc(o: CalcOptions, secrets: Secrets): Promise<CalcResult> {
  const id = choice<CvnProfileId>(o, 'profile', PROFILE_IDS);
  const profile: CvnProfile = CVN_PROFILES[id];
  const keyType = choice<KeyType>(o, 'keyType', KEY_TYPES, 'imk');
  const hasData = optional(o, 'data') !== undefined;
  if (hasData && Array.isArray(o.element)) throw usage('give the cryptogram data with --data or with --element, not both');
  if (!hasData && !Array.isArray(o.element)) throw usage(`give the cryptogram data: --data HEX (already concatenated), or --element ID=HEX for each of ${profile.acData.map((e) => e.id).join(', ')}`);
  const elements = hasData ? undefined : elementValues(o, profile, id);
  const data = elements === undefined ? hexOption(o, 'data', 'the cryptogram input data') : blame('--element', () => assembleAcData(profile, elements));
  const atc = optionalHex(o, 'atc', [2]) ?? elements?.['9F36'];
  const un = optionalHex(o, 'un', [4]) ?? elements?.['9F37'];
  const received = optionalHex(o, 'arqc', [8]);
  const key = await secrets.key(o, 'key', [16], keyKind(keyType));
  const keys = profileKeys(profile, keyType, key, o, atc, un);
  try {
    const algorithm = { cipher: 'tdes', padding: profile.acPadding } as const;
    return {
      profile: id,
      keyType,
      data: toHex(data),
      ...(keys.mk === undefined ? {} : { iccMasterKeyKcv: kcvHex(keys.mk, 'tdes-zeros') }),
      sessionKeyKcv: kcvHex(keys.sk, 'tdes-zeros'),
      arqc: toHex(generateAc(keys.sk, data, algorithm)),
      ...(received === undefined ? {} : { verified: verifyAc(keys.sk, data, received, algorithm) }),
    };
  } finally {
    wipe(key, keys.sk, ...(keys.mk === undefined ? [] : [keys.mk]));
  }
}

/** The response data of method 1 (ARC) or 2 (CSU, proprietary data), and the ARPC under `key`. */
function arpcOf(method: 1 | 2, key: Uint8Array, arqc: Uint8Array, o: CalcOptions): { arpc: Uint8Array; tag91: Uint8Array } {
  if (method === 1) {
    const arc = hexOption(o, 'arc', 'the authorisation response code, 2 bytes (e.g. 3030 for "00")', [2]);
    const arpc = generateArpcMethod1(key, arqc, arc);
    return { arpc, tag91: concat(arpc, arc) };
  }
  const csu = hexOption(o, 'csu', 'the card status update, 4 bytes', [4]);
  const proprietary = optionalHex(o, 'propData') ?? new Uint8Array(0);
  if (proprietary.length > 8) throw usage(`--prop-data: at most 8 bytes, got ${proprietary.length}`);
  const arpc = generateArpcMethod2(key, arqc, csu, proprietary);
  return { arpc, tag91: concat(arpc, csu, proprietary) };
}

/**
 * `calc arpc`: with `--method 1|2`, `--key` is the ARPC key itself; with `--profile`, the method
 * and the key (ICC master key or AC session key) follow the profile.
 */
export async function calcArpc(o: CalcOptions, secrets: Secrets): Promise<CalcResult> {
  const arqc = hexOption(o, 'arqc', 'the ARQC (9F26), 8 bytes', [8]);
  const profileGiven = optional(o, 'profile') !== undefined;
  if (profileGiven === (optional(o, 'method') !== undefined)) {
    throw usage('give --method 1|2 (then --key is the ARPC key), or --profile P (then the profile picks the method and the key), not both');
  }
  if (!profileGiven) {
    const method = choice(o, 'method', ['1', '2']) === '1' ? 1 : 2;
    if (optional(o, 'keyType') !== undefined) throw usage('--key-type goes with --profile; with --method, --key is the ARPC key');
    const key = await secrets.key(o, 'key', [16], 'the ARPC key: the AC session key or the ICC master key, as the scheme says');
    try {
      const { arpc, tag91 } = arpcOf(method, key, arqc, o);
      return { method, keyKcv: kcvHex(key, 'tdes-zeros'), arpc: toHex(arpc), tag91: toHex(tag91) };
    } finally {
      wipe(key);
    }
  }
  const id = choice<CvnProfileId>(o, 'profile', PROFILE_IDS);
  const profile: CvnProfile = CVN_PROFILES[id];
  const keyType = choice<KeyType>(o, 'keyType', KEY_TYPES, 'imk');
  if (keyType === 'session-key' && profile.arpc.key === 'icc-master-key') {
    throw usage(`--key-type session-key: ${id} computes the ARPC with the ICC master key; give --key-type imk or icc-mk`);
  }
  const atc = optionalHex(o, 'atc', [2]);
  const un = optionalHex(o, 'un', [4]);
  const key = await secrets.key(o, 'key', [16], keyKind(keyType));
  // the ICC master key needs no ATC; the AC session key does
  const keys: ProfileKeys = profile.arpc.key === 'icc-master-key' ? { mk: undefined, sk: iccMasterKey(profile, keyType, key, o)! } : profileKeys(profile, keyType, key, o, atc, un);
  const arpcKey = keys.sk;
  try {
    const { arpc, tag91 } = arpcOf(profile.arpc.method, arpcKey, arqc, o);
    return {
      profile: id,
      method: profile.arpc.method,
      arpcKey: profile.arpc.key === 'icc-master-key' ? 'ICC master key' : 'AC session key',
      keyKcv: kcvHex(arpcKey, 'tdes-zeros'),
      arpc: toHex(arpc),
      tag91: toHex(tag91),
    };
  } finally {
    wipe(key, keys.sk, ...(keys.mk === undefined ? [] : [keys.mk]));
  }
}
