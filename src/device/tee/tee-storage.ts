/**
 * The TEE's secure storage, modelled as files in a per-TEE directory that only the TEE process
 * opens (mode 0600, written whole then renamed). A real TEE seals these objects with a
 * hardware-unique key (GP TEE Internal Core API, trusted storage); this model keeps them in clear
 * in that directory, so the directory stands for the TEE's secure storage and nothing else reads it.
 * Objects: `identity` (the TEE id and its KBPK) and `pek` (the issuer's PIN key id and its TR-31
 * block under the KBPK — the PEK itself is unwrapped only when used).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeviceError } from '../errors.ts';
import { TEEC_RESULT } from './teec.ts';

/** The TEE's identity: its id and its key-block protection key (AES-128, hex). */
export interface TeeIdentity {
  readonly teeId: string;
  readonly kbpk: string;
}

/** The provisioned PIN encryption key: the issuer's key id and the TR-31 block under the KBPK. */
export interface StoredPek {
  readonly pinKey: string;
  readonly block: string;
}

/** A TEE id: letters, digits, `.`, `_`, `-`, 1 to 64 characters (it becomes part of an HSM label). */
export const TEE_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

const NAMES = { identity: 'identity.json', pek: 'pek.json' } as const;

/** Plain functions over a TEE's storage directory. */
export class TeeStorage {
  constructor(readonly dir: string) {}

  /** Reads an object; undefined when absent. A malformed object is ERR_DEVICE_TEE (BAD_STATE). */
  read(name: 'identity'): TeeIdentity | undefined;
  read(name: 'pek'): StoredPek | undefined;
  read(name: keyof typeof NAMES): TeeIdentity | StoredPek | undefined {
    let text: string;
    try {
      text = readFileSync(join(this.dir, NAMES[name]), 'utf8');
    } catch {
      return undefined;
    }
    try {
      const v = JSON.parse(text) as Record<string, unknown>;
      if (name === 'identity' && typeof v.teeId === 'string' && TEE_ID_PATTERN.test(v.teeId) && typeof v.kbpk === 'string' && /^[0-9A-F]{32}$/.test(v.kbpk)) return { teeId: v.teeId, kbpk: v.kbpk };
      if (name === 'pek' && typeof v.pinKey === 'string' && typeof v.block === 'string') return { pinKey: v.pinKey, block: v.block };
    } catch {
      // fall through
    }
    throw new DeviceError('ERR_DEVICE_TEE', `TEE storage: object ${name} is damaged`, { teecResult: TEEC_RESULT.ERROR_BAD_STATE });
  }

  /** Writes an object whole (temp file, then rename). */
  write(name: keyof typeof NAMES, value: TeeIdentity | StoredPek): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const path = join(this.dir, NAMES[name]);
    writeFileSync(`${path}.tmp`, JSON.stringify(value), { mode: 0o600 });
    renameSync(`${path}.tmp`, path);
  }
}
