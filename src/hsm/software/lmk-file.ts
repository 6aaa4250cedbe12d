/**
 * The LMK file of an embedded software HSM. Format: one line, the 32-byte AES-256 LMK as 64
 * uppercase hex characters, then a newline. Mode 0600: `createLmkFile` creates it so (and refuses
 * to overwrite an existing file); `loadLmkFile` refuses a file that the group or others can read or
 * write, or that is not a regular file. This file is the only place the LMK leaves memory.
 */
import { closeSync, fstatSync, openSync, readFileSync, writeSync, constants } from 'node:fs';
import { fromHex, toHex, wipe } from '../../bytes/index.ts';
import { HsmError } from '../errors.ts';
import { Lmk, generateLmk, lmkBytes } from './lmk.ts';

const LINE = /^([0-9A-Fa-f]{64})\r?\n?$/;

/**
 * Writes `lmk` to a new file `path` (mode 0600, exclusive create: an existing file is never
 * overwritten), then reads it back: the file must give the same KCV (ERR_HSM_LMK otherwise).
 */
export function writeLmkFile(path: string, lmk: Lmk): void {
  const text = new TextEncoder().encode(`${toHex(lmkBytes(lmk))}\n`);
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    writeSync(fd, text);
  } catch (e) {
    throw new HsmError('ERR_HSM_LMK', `cannot create the LMK file ${path}: ${(e as NodeJS.ErrnoException).code ?? 'I/O error'} (it must not exist yet)`, { cause: e });
  } finally {
    if (fd !== undefined) closeSync(fd);
    wipe(text);
  }
  const written = loadLmkFile(path);
  const same = written.kcv === lmk.kcv;
  written.destroy();
  if (!same) throw new HsmError('ERR_HSM_LMK', `the LMK file ${path} does not read back with KCV ${lmk.kcv}: delete it and write it again`);
}

/** Writes a fresh random LMK to `path` (as writeLmkFile) and returns it. */
export function createLmkFile(path: string): Lmk {
  const lmk = generateLmk();
  try {
    writeLmkFile(path, lmk);
    return lmk;
  } catch (e) {
    lmk.destroy();
    throw e;
  }
}

/** Reads the LMK from `path`, refusing a file readable or writable by group or others. */
export function loadLmkFile(path: string): Lmk {
  let fd: number | undefined;
  let raw: Buffer | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY);
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new HsmError('ERR_HSM_LMK', `the LMK file ${path} is not a regular file`);
    if ((stat.mode & 0o077) !== 0) {
      throw new HsmError('ERR_HSM_LMK', `the LMK file ${path} has mode ${(stat.mode & 0o777).toString(8)}: group and others must have no access (chmod 600)`);
    }
    raw = readFileSync(fd);
    const m = LINE.exec(raw.toString('latin1'));
    if (m === null) throw new HsmError('ERR_HSM_LMK', `the LMK file ${path} is not one line of 64 hex characters`);
    const key = fromHex(m[1]!);
    try {
      return new Lmk(key);
    } finally {
      wipe(key);
    }
  } catch (e) {
    if (e instanceof HsmError) throw e;
    throw new HsmError('ERR_HSM_LMK', `cannot read the LMK file ${path}: ${(e as NodeJS.ErrnoException).code ?? 'I/O error'}`, { cause: e });
  } finally {
    if (fd !== undefined) closeSync(fd);
    raw?.fill(0);
  }
}
