/**
 * Where a card keeps its state between commands. `save` must be atomic: after a crash at any point
 * the stored state is the old one or the new one, never a mix (a real card's EEPROM transaction).
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { SeError } from '../errors.ts';
import type { CardState } from './card-state.ts';
import { decodeCardState, encodeCardState } from './codec.ts';

/** A card's non-volatile memory. */
export interface CardStore {
  load(): CardState;
  save(state: CardState): void;
}

/** Keeps the state in memory only (fleets, tests, benchmarks). */
export class MemoryCardStore implements CardStore {
  #state: CardState;

  constructor(initial: CardState) {
    this.#state = initial;
  }

  load(): CardState {
    return this.#state;
  }

  save(state: CardState): void {
    this.#state = state;
  }
}

/** The file-system calls FileCardStore makes; a test replaces them to cut power at any step. */
export interface CardFs {
  openSync: typeof openSync;
  writeSync: (fd: number, data: Uint8Array) => number;
  fsyncSync: typeof fsyncSync;
  closeSync: typeof closeSync;
  renameSync: typeof renameSync;
  readFileSync: (path: string, encoding: 'utf8') => string;
  unlinkSync: typeof unlinkSync;
}

const NODE_FS: CardFs = {
  openSync,
  writeSync: (fd, data) => writeSync(fd, data),
  fsyncSync,
  closeSync,
  renameSync,
  readFileSync: (path, encoding) => readFileSync(path, encoding),
  unlinkSync,
};

/**
 * One JSON file per card, replaced atomically: write a temporary file in the same directory, fsync
 * it, rename it over the old file (POSIX rename is atomic), then fsync the directory so the rename
 * itself survives a power cut. The file is created with mode 0600: it holds the card's keys, as the
 * card's own memory does.
 */
export class FileCardStore implements CardStore {
  readonly path: string;
  readonly #fs: CardFs;

  constructor(path: string, fs: CardFs = NODE_FS) {
    this.path = path;
    this.#fs = fs;
  }

  load(): CardState {
    let text: string;
    try {
      text = this.#fs.readFileSync(this.path, 'utf8');
    } catch (e) {
      throw new SeError('ERR_SE_STORE', `cannot read card state ${this.path}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    return decodeCardState(text);
  }

  save(state: CardState): void {
    const fs = this.#fs;
    const tmp = join(dirname(this.path), `.${basename(this.path)}.tmp`);
    const bytes = new TextEncoder().encode(encodeCardState(state));
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      let written = 0;
      while (written < bytes.length) written += fs.writeSync(fd, bytes.subarray(written));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.path);
    const dir = fs.openSync(dirname(this.path), 'r');
    try {
      fs.fsyncSync(dir);
    } finally {
      fs.closeSync(dir);
    }
  }
}
