/**
 * The result of unwrapping a key block: the authenticated header and the clear key. The key never
 * prints: `toString`, `toJSON` and `util.inspect` show the header and the KCV only
 * (CONVENTIONS.md §8).
 */
import { inspect } from 'node:util';
import { toHex, wipe } from '../../bytes/index.ts';
import { kcv, type KcvMethod } from '../kcv.ts';
import type { KeyBlockHeader } from './header.ts';

/** KCV method by header algorithm: TDES/DES per X9.24-1, AES by CMAC (X9.24-1:2017). */
const KCV_BY_ALGORITHM: Readonly<Partial<Record<string, KcvMethod>>> = {
  T: 'tdes-zeros',
  D: 'tdes-zeros',
  A: 'aes-cmac',
};

/** An unwrapped key with its authenticated header. Call `wipe()` when done with the key. */
export class UnwrappedKey {
  readonly kind = 'tr31-unwrapped-key';
  readonly header: KeyBlockHeader;
  /** 3-byte KCV in hex for TDES, DES and AES keys; undefined for other algorithms. */
  readonly kcv: string | undefined;
  readonly #key: Uint8Array;

  constructor(header: KeyBlockHeader, key: Uint8Array) {
    this.header = header;
    this.#key = key;
    const method = KCV_BY_ALGORITHM[header.algorithm];
    this.kcv = method === undefined ? undefined : toHex(kcv(key, method, 3));
    Object.freeze(this);
  }

  /** The clear key bytes (the caller shares this array; `wipe()` zeroes it). */
  get key(): Uint8Array {
    return this.#key;
  }

  /** Overwrites the key with zeros. */
  wipe(): void {
    wipe(this.#key);
  }

  /** e.g. "TR-31 D E0 TX key, KCV 08D7B4": never the key. */
  toString(): string {
    const h = this.header;
    return `TR-31 ${h.version} ${h.usage} ${h.algorithm}${h.modeOfUse} key, KCV ${this.kcv ?? 'n/a'}`;
  }

  toJSON(): { kind: string; header: KeyBlockHeader; kcv: string | undefined } {
    return { kind: this.kind, header: this.header, kcv: this.kcv };
  }

  [inspect.custom](): string {
    return `UnwrappedKey <${this.toString()}>`;
  }
}
