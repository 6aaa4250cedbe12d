/**
 * Configuration of the PKCS#11 backend: which module and token, and where the user PIN comes from.
 * The PIN is read from a file only its owner can read, asked at a prompt, or given in code
 * (embedding, tests) — never taken from argv or the environment, which other local users and
 * crash reports can see (CONVENTIONS.md §8).
 */
import { readFile, stat } from 'node:fs/promises';
import type { AuditSink } from '../audit.ts';
import { HsmError } from '../errors.ts';
import type { KeyRecordStore } from '../key-record-store.ts';
import type { KcvTrace } from '../shared/key-check.ts';
import type { ScryptParams } from '../shared/passphrase-hash.ts';

/**
 * Where the token's user PIN comes from:
 * - `file`: a file of mode 0600 or 0400 (refused if group or others may read it), the PIN on its
 *   first line — the production form, e.g. a systemd credential;
 * - `prompt`: a function that asks a person (the CLI's no-echo prompt);
 * - `value`: the PIN itself, for code that already holds it (tests, an embedding application).
 */
export type PinSource =
  | { readonly file: string }
  | { readonly prompt: () => Promise<string> }
  | { readonly value: string };

export interface Pkcs11HsmOptions {
  /** The PKCS#11 module (shared library); default SoftHSM2's /usr/lib/softhsm/libsofthsm2.so. */
  readonly module?: string;
  /** The label of the token holding OpenTSM's keys. */
  readonly tokenLabel: string;
  readonly pin: PinSource;
  /** Receives one event per operation. */
  readonly audit: AuditSink;
  /** Custodian records (the keys themselves are token objects); default an in-memory store. */
  readonly store?: KeyRecordStore;
  /** scrypt cost of custodian passphrases, and the floor stored hashes must meet. */
  readonly scrypt?: ScryptParams;
  /** Receives the KCVs of intermediate derived keys, as the software backend's option does. */
  readonly traceKcv?: KcvTrace;
  /**
   * Sets CKA_WRAP_WITH_TRUSTED on exportable keys, so that only keys the token's Security Officer
   * marked CKA_TRUSTED can wrap them (PKCS #11 v2.40 §4.9). Only the SO can set CKA_TRUSTED
   * (SoftHSM2 answers a user CKR_ATTRIBUTE_READ_ONLY), so this needs a key ceremony that marks every
   * card DEK trusted; default false (see templates.ts).
   */
  readonly wrapWithTrusted?: boolean;
}

/** PINs are at most this long (SoftHSM2 and most tokens: 255). */
const MAX_PIN_LENGTH = 255;

function checkPin(pin: unknown, where: string): string {
  if (typeof pin !== 'string' || pin.length === 0 || pin.length > MAX_PIN_LENGTH || /[\r\n\0]/.test(pin)) {
    throw new HsmError('ERR_HSM_PARAM', `the token PIN from ${where}: 1 to ${MAX_PIN_LENGTH} characters on one line`);
  }
  return pin;
}

async function pinFromFile(path: string): Promise<string> {
  let info;
  try {
    info = await stat(path);
  } catch (cause) {
    throw new HsmError('ERR_HSM_PARAM', `the token PIN file ${path} cannot be read`, { cause });
  }
  if (!info.isFile()) throw new HsmError('ERR_HSM_PARAM', `the token PIN file ${path} is not a regular file`);
  if ((info.mode & 0o077) !== 0) {
    throw new HsmError('ERR_HSM_PARAM', `the token PIN file ${path} may be read by group or others (mode ${(info.mode & 0o777).toString(8)}): chmod 600 it`);
  }
  const text = await readFile(path, 'utf8');
  return checkPin(text.split('\n')[0]?.replace(/\r$/, ''), `file ${path}`);
}

/** Reads the PIN from its source (once, at open). */
export async function readPin(source: PinSource): Promise<string> {
  if (typeof source !== 'object' || source === null) throw new HsmError('ERR_HSM_PARAM', 'pin: { file }, { prompt } or { value }');
  if ('file' in source && typeof source.file === 'string') return pinFromFile(source.file);
  if ('prompt' in source && typeof source.prompt === 'function') return checkPin(await source.prompt(), 'the prompt');
  if ('value' in source) return checkPin(source.value, 'the options');
  throw new HsmError('ERR_HSM_PARAM', 'pin: { file }, { prompt } or { value }');
}

/** Checks the options every open needs. */
export function checkOptions(options: Pkcs11HsmOptions): void {
  if (typeof options !== 'object' || options === null || typeof options.audit?.record !== 'function') {
    throw new HsmError('ERR_HSM_PARAM', 'Pkcs11Hsm needs { tokenLabel, pin, audit }');
  }
  if (typeof options.tokenLabel !== 'string' || options.tokenLabel.length === 0 || options.tokenLabel.length > 32) {
    throw new HsmError('ERR_HSM_PARAM', 'tokenLabel: 1 to 32 characters (the CK_TOKEN_INFO label field)');
  }
  if (options.module !== undefined && (typeof options.module !== 'string' || options.module.length === 0)) {
    throw new HsmError('ERR_HSM_PARAM', 'module: the path of a PKCS#11 shared library');
  }
}
