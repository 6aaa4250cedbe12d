/**
 * The secure-channel keys `opentsm gp` authenticates with, as GlobalPlatformPro takes them: options
 * `--key` (one value for ENC, MAC and DEK) and `--key-enc/--key-mac/--key-dek`, or the environment
 * variables GP_KEY, GP_KEY_ENC, GP_KEY_MAC, GP_KEY_DEK; `--kdf` diversifies them per card with the
 * KDD of INITIALIZE UPDATE (gp/ diversification through the plain key holders' options). Key
 * values are never printed: descriptions carry KCVs only (CONVENTIONS.md §8).
 */
import { fromHex, wipe } from '../../bytes/index.ts';
import { plainScp02Keys, plainScp03Keys, type ScpHostKeys } from '../../gp/index.ts';
import { CliError } from '../errors.ts';

/** The diversification methods `--kdf` accepts, and the protocol each belongs to. */
export const KDF_METHODS = {
  emv: { scp: 2 },
  visa2: { scp: 2 },
  kdf3: { scp: 3 },
} as const;
/** A `--kdf` value. */
export type KdfMethod = keyof typeof KDF_METHODS;

/** The key options of the command line (hex strings, as typed). */
export interface KeyOptions {
  readonly key?: string | undefined;
  readonly keyEnc?: string | undefined;
  readonly keyMac?: string | undefined;
  readonly keyDek?: string | undefined;
}

/** Static (or master) keys, as bytes. */
export interface StaticKeys {
  readonly enc: Uint8Array;
  readonly mac: Uint8Array;
  readonly dek: Uint8Array;
}

/** The environment variables, GlobalPlatformPro's names. */
export const KEY_ENV = { key: 'GP_KEY', enc: 'GP_KEY_ENC', mac: 'GP_KEY_MAC', dek: 'GP_KEY_DEK' } as const;

/** Parses a key given as hex; the message names where it came from, never its value. */
export function keyFromHex(text: string, source: string): Uint8Array {
  const clean = text.replace(/[\s:]/g, '').replace(/^0x/i, '');
  let key: Uint8Array;
  try {
    key = fromHex(clean, source);
  } catch {
    throw new CliError('ERR_CLI_USAGE', `${source}: not a hex key (value withheld)`);
  }
  if (![16, 24, 32].includes(key.length)) {
    throw new CliError('ERR_CLI_USAGE', `${source}: a key is 16, 24 or 32 bytes (32, 48 or 64 hex digits), got ${key.length} bytes`);
  }
  return key;
}

/**
 * The keys from options first, then the environment: each of ENC, MAC and DEK from its own option,
 * else `--key`, else GP_KEY_ENC/MAC/DEK, else GP_KEY. Undefined when no key is given at all; a
 * partial set is `ERR_CLI_USAGE` naming what is missing.
 */
export function resolveKeys(options: KeyOptions, env: Readonly<Record<string, string | undefined>>): StaticKeys | undefined {
  const pick = (own: string | undefined, ownName: string, envName: string): [string, string] | undefined => {
    if (own !== undefined) return [own, ownName];
    if (options.key !== undefined) return [options.key, '--key'];
    const fromEnv = env[envName];
    if (fromEnv !== undefined && fromEnv !== '') return [fromEnv, envName];
    const shared = env[KEY_ENV.key];
    if (shared !== undefined && shared !== '') return [shared, KEY_ENV.key];
    return undefined;
  };
  const enc = pick(options.keyEnc, '--key-enc', KEY_ENV.enc);
  const mac = pick(options.keyMac, '--key-mac', KEY_ENV.mac);
  const dek = pick(options.keyDek, '--key-dek', KEY_ENV.dek);
  if (enc === undefined && mac === undefined && dek === undefined) return undefined;
  const missing = [enc === undefined ? 'ENC' : '', mac === undefined ? 'MAC' : '', dek === undefined ? 'DEK' : ''].filter(Boolean);
  if (missing.length > 0) {
    throw new CliError('ERR_CLI_USAGE', `incomplete key set: no ${missing.join(', ')} key (give --key, or all of --key-enc/--key-mac/--key-dek, or GP_KEY / GP_KEY_ENC, GP_KEY_MAC, GP_KEY_DEK)`);
  }
  return { enc: keyFromHex(...enc!), mac: keyFromHex(...mac!), dek: keyFromHex(...dek!) };
}

/** Parses `--kdf`. */
export function parseKdf(value: string | undefined): KdfMethod | undefined {
  if (value === undefined) return undefined;
  const name = value.toLowerCase();
  if (!Object.hasOwn(KDF_METHODS, name)) throw new CliError('ERR_CLI_USAGE', `--kdf ${value}: expected emv, visa2 or kdf3`);
  return name as KdfMethod;
}

/**
 * The host key holder for the card's protocol: SCP02 (3DES, `--kdf emv|visa2`) or SCP03 (AES,
 * `--kdf kdf3`). The bytes are copied into the holder; the caller's copy is wiped.
 */
export function hostKeys(scp: 2 | 3, keys: StaticKeys, keyVersion: number, kdf: KdfMethod | undefined): ScpHostKeys {
  try {
    if (kdf !== undefined && KDF_METHODS[kdf].scp !== scp) {
      const fits = scp === 3 ? 'kdf3' : 'emv or visa2';
      throw new CliError('ERR_CLI_USAGE', `--kdf ${kdf} diversifies SCP0${KDF_METHODS[kdf].scp} keys; this card runs SCP0${scp} (use ${fits}, or no --kdf for static keys)`);
    }
    if (scp === 3) return plainScp03Keys({ keyVersion, ...keys, diversification: kdf === 'kdf3' ? 'kdf3' : undefined });
    if (keys.enc.length !== 16 || keys.mac.length !== 16 || keys.dek.length !== 16) {
      throw new CliError('ERR_CLI_USAGE', 'SCP02 keys are 16-byte (two-key) 3DES keys');
    }
    return plainScp02Keys({ keyVersion, ...keys, diversification: kdf === 'emv' || kdf === 'visa2' ? kdf : undefined });
  } finally {
    wipe(keys.enc, keys.mac, keys.dek);
  }
}
