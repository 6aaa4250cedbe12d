/**
 * The inputs of `opentsm calc`: hex values with their expected lengths, digit strings, choices, and
 * secrets. A secret option (a key, a PIN) takes its value inline, or `-` to read it from stdin (a
 * no-echo prompt at a terminal, the next line from a pipe), and the verb's keys also come from
 * `--key-file FILE`, so they need not land in the shell history. Every refusal is ERR_CLI_USAGE
 * naming the option and what it expects; a secret's value is never echoed.
 */
import { readFileSync } from 'node:fs';
import { OpenTsmError } from '../../bytes/index.ts';
import { CliError } from '../errors.ts';
import { parseHex } from '../gp/parse.ts';
import { Prompter } from '../prompt.ts';

/** Static or master keys of a GlobalPlatform key set. */
export interface KeySet {
  readonly enc: Uint8Array;
  readonly mac: Uint8Array;
  readonly dek: Uint8Array;
}

/** The options of one verb, as commander gives them (camel-cased names). */
export type CalcOptions = Readonly<Record<string, unknown>>;

/** A command-line mistake (ERR_CLI_USAGE). */
export function usage(message: string): CliError {
  return new CliError('ERR_CLI_USAGE', message);
}

/** `keyEnc` → `--key-enc`. */
export function flagOf(name: string): string {
  return `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

function describeLengths(lengths: readonly number[]): string {
  const bytes = lengths.length === 1 ? `${lengths[0]} bytes` : `${lengths.slice(0, -1).join(', ')} or ${lengths.at(-1)} bytes`;
  const digits = lengths.map((n) => n * 2);
  return `${bytes} (${digits.length === 1 ? digits[0] : `${digits.slice(0, -1).join(', ')} or ${digits.at(-1)}`} hex digits)`;
}

/** Checks the length of a decoded value against `lengths` (any when undefined). */
export function checkLength(value: Uint8Array, flag: string, lengths: readonly number[] | undefined): Uint8Array {
  if (lengths !== undefined && !lengths.includes(value.length)) {
    throw usage(`${flag}: expected ${describeLengths(lengths)}, got ${value.length} byte${value.length === 1 ? '' : 's'}`);
  }
  return value;
}

/** Collects a repeatable option, comma-separated values too (`--element 9F02=…,9F03=… --element …`). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').map((v) => v.trim()).filter((v) => v !== '')];
}

/** The string value of an option, or undefined. */
export function optional(options: CalcOptions, name: string): string | undefined {
  const value = options[name];
  return typeof value === 'string' ? value : undefined;
}

/** The string value of a required option. */
export function required(options: CalcOptions, name: string, what: string): string {
  const value = optional(options, name);
  if (value === undefined) throw usage(`${flagOf(name)}: required (${what})`);
  return value;
}

/** A hex option of one of `lengths` (public data: the message may say what was wrong with it). */
export function hexOption(options: CalcOptions, name: string, what: string, lengths?: readonly number[]): Uint8Array {
  return checkLength(parseHex(required(options, name, what), flagOf(name)), flagOf(name), lengths);
}

/** A hex option that may be absent. */
export function optionalHex(options: CalcOptions, name: string, lengths?: readonly number[]): Uint8Array | undefined {
  const text = optional(options, name);
  return text === undefined ? undefined : checkLength(parseHex(text, flagOf(name)), flagOf(name), lengths);
}

/** One of `choices` (case-insensitive); `fallback` when absent, else required. */
export function choice<T extends string>(options: CalcOptions, name: string, choices: readonly T[], fallback?: T): T {
  const text = optional(options, name);
  const list = `${choices.slice(0, -1).join(', ')} or ${choices.at(-1)}`;
  if (text === undefined) {
    if (fallback !== undefined) return fallback;
    throw usage(`${flagOf(name)}: required (${list})`);
  }
  const found = choices.find((c) => c.toLowerCase() === text.toLowerCase());
  if (found === undefined) throw usage(`${flagOf(name)} ${text}: expected ${list}`);
  return found;
}

/** A decimal integer in [min, max]; `fallback` when absent, else required. */
export function integer(options: CalcOptions, name: string, min: number, max: number, fallback?: number): number {
  const text = optional(options, name);
  if (text === undefined) {
    if (fallback !== undefined) return fallback;
    throw usage(`${flagOf(name)}: required (a number from ${min} to ${max})`);
  }
  const value = /^\d{1,6}$/.test(text.trim()) ? Number.parseInt(text.trim(), 10) : Number.NaN;
  if (!(value >= min && value <= max)) throw usage(`${flagOf(name)}: expected a number from ${min} to ${max}, got "${text}"`);
  return value;
}

/** A string of `min`..`max` decimal digits; the value is not echoed (a PAN is cardholder data). */
export function digits(text: string, flag: string, min: number, max: number): string {
  const clean = text.trim();
  if (!new RegExp(`^\\d{${min},${max}}$`).test(clean)) {
    throw usage(`${flag}: expected ${min === max ? min : `${min} to ${max}`} decimal digits (value withheld)`);
  }
  return clean;
}

/**
 * Runs `fn` and names the option an error from a lower layer is about: the code stays, the message
 * gains the option (`--block: key block MAC does not verify [ERR_CRYPTO_KEY_BLOCK]`).
 */
export function blame<T>(flag: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof OpenTsmError && !(e instanceof CliError)) {
      throw new OpenTsmError(e.code, `${flag}: ${e.message}`, { cause: e });
    }
    throw e;
  }
}

/**
 * Secrets of one run: `-` values read in the order asked, from one prompter over stdin (opened on
 * first use; at a terminal, with echo off).
 */
export class Secrets {
  #prompter: Prompter | undefined;

  /** The text of a secret option (its own value, or a line from stdin for `-`); undefined when absent. */
  async text(options: CalcOptions, name: string): Promise<string | undefined> {
    const value = optional(options, name);
    if (value !== '-') return value;
    this.#prompter ??= Prompter.open({ allowNonTty: true, nonTtyAdvice: '' });
    return this.#prompter.secret(flagOf(name));
  }

  /** A secret hex option (a key): inline, `-`, or absent. The value is never echoed in errors. */
  async hex(options: CalcOptions, name: string, lengths: readonly number[] | undefined): Promise<Uint8Array | undefined> {
    const text = await this.text(options, name);
    return text === undefined ? undefined : secretHex(text, flagOf(name), lengths);
  }

  /** The lines of a key file option (`--key-file`, `--kbpk-file`): a file, or one line from stdin for `-`. */
  async keyFile(options: CalcOptions, name: string): Promise<string[] | undefined> {
    const path = optional(options, name);
    if (path === undefined) return undefined;
    if (path !== '-') return readKeyFile(path, flagOf(name));
    const line = await this.text({ [name]: '-' }, name);
    return line === undefined ? [] : [line];
  }

  /**
   * One key: `--<name>` (inline or `-`) or `--<name>-file` (one line), not both.
   * @example await secrets.key(options, 'key', [16, 24], 'the 3DES key')
   */
  async key(options: CalcOptions, name: string, lengths: readonly number[], what: string): Promise<Uint8Array> {
    const fileName = `${name}File`;
    if (optional(options, name) !== undefined && optional(options, fileName) !== undefined) {
      throw usage(`give ${flagOf(name)} or ${flagOf(fileName)}, not both`);
    }
    const inline = await this.hex(options, name, lengths);
    if (inline !== undefined) return inline;
    const lines = await this.keyFile(options, fileName);
    if (lines === undefined) throw usage(`${flagOf(name)}: required (${what}; or ${flagOf(fileName)} FILE, or ${flagOf(name)} - to type it)`);
    if (lines.length !== 1) throw usage(`${flagOf(fileName)}: expected one key, the file holds ${lines.length} lines`);
    return secretHex(lines[0]!, flagOf(fileName), lengths);
  }

  /**
   * A GlobalPlatform key set: `--key-enc/--key-mac/--key-dek`, each falling back to `--key`, or
   * `--key-file` with one key (for all three) or three lines (ENC, MAC, DEK). With `needDek` false
   * (SCP03 session keys need no DEK) the DEK may be missing and comes back empty.
   */
  async keySet(options: CalcOptions, lengths: readonly number[], needDek: boolean): Promise<KeySet> {
    const fromFile = await this.keyFile(options, 'keyFile');
    if (fromFile !== undefined && (optional(options, 'key') ?? optional(options, 'keyEnc') ?? optional(options, 'keyMac') ?? optional(options, 'keyDek')) !== undefined) {
      throw usage('give the keys with --key-file or with --key/--key-enc/--key-mac/--key-dek, not both');
    }
    if (fromFile !== undefined) {
      if (fromFile.length !== 1 && fromFile.length !== 3) throw usage(`--key-file: expected one key (for ENC, MAC and DEK) or three lines (ENC, MAC, DEK), the file holds ${fromFile.length}`);
      const [enc, mac, dek] = fromFile.length === 1 ? [fromFile[0]!, fromFile[0]!, fromFile[0]!] : (fromFile as [string, string, string]);
      return { enc: secretHex(enc, '--key-file ENC', lengths), mac: secretHex(mac, '--key-file MAC', lengths), dek: secretHex(dek, '--key-file DEK', lengths) };
    }
    const shared = await this.hex(options, 'key', lengths);
    const pick = async (name: string, role: string, needed: boolean): Promise<Uint8Array> => {
      const own = await this.hex(options, name, lengths);
      if (own !== undefined) return own;
      if (shared !== undefined) return shared.slice();
      if (!needed) return new Uint8Array(0);
      throw usage(`no ${role} key: give --key (one key for ENC, MAC and DEK), or --key-enc, --key-mac and --key-dek, or --key-file FILE`);
    };
    return { enc: await pick('keyEnc', 'ENC', true), mac: await pick('keyMac', 'MAC', true), dek: await pick('keyDek', 'DEK', needDek) };
  }

  /** Releases stdin. */
  close(): void {
    this.#prompter?.close();
  }
}

/** Decodes a secret in hex; the error says what was expected, never what was given. */
export function secretHex(text: string, flag: string, lengths: readonly number[] | undefined): Uint8Array {
  let value: Uint8Array;
  try {
    value = parseHex(text, flag);
  } catch {
    throw usage(`${flag}: not hex (value withheld)`);
  }
  return checkLength(value, flag, lengths);
}

/**
 * The keys in a `--key-file`: hex, one key per line; blank lines and `#` comments ignored; a line
 * may start with a role (`enc:`, `mac=`, …) as in `opentsm se create --master-keys-file`. The file
 * content is never echoed.
 */
export function readKeyFile(path: string, flag: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = e instanceof Error && 'code' in e ? String(e.code) : 'error';
    throw new CliError('ERR_CLI_INPUT', `${flag}: cannot read ${path} (${code})`);
  }
  return text
    .split(/\r?\n/)
    .map((line) => line.replace(/#.*/, '').trim().replace(/^[a-z-]+\s*[:=]\s*/i, ''))
    .filter((line) => line !== '');
}
