import { BytesError } from './errors.ts';
import { assertBytes } from './assert.ts';

/**
 * A bounds-checked cursor over bytes. Every read checks the remaining length first and throws
 * `ERR_BYTES_TRUNCATED` naming what was being read, so parsers never read past the end.
 * Slices returned by `bytes()` are views: copy them before mutating.
 */
export class ByteReader {
  readonly #data: Uint8Array;
  #offset = 0;

  constructor(data: Uint8Array, readonly name = 'input') {
    assertBytes(data, undefined, name);
    this.#data = data;
  }

  /** Bytes consumed so far. */
  get offset(): number {
    return this.#offset;
  }

  /** Bytes left to read. */
  get remaining(): number {
    return this.#data.length - this.#offset;
  }

  /** True when every byte was consumed. */
  get done(): boolean {
    return this.#offset === this.#data.length;
  }

  #need(n: number, what: string): void {
    if (n > this.remaining) {
      throw new BytesError(
        'ERR_BYTES_TRUNCATED',
        `${this.name}: ${what} needs ${n} bytes at offset ${this.#offset}, ${this.remaining} left`,
      );
    }
  }

  /** Next byte without consuming it. */
  peek(what = 'byte'): number {
    this.#need(1, what);
    return this.#data[this.#offset]!;
  }

  u8(what = 'byte'): number {
    this.#need(1, what);
    return this.#data[this.#offset++]!;
  }

  u16(what = 'uint16'): number {
    this.#need(2, what);
    const v = (this.#data[this.#offset]! << 8) | this.#data[this.#offset + 1]!;
    this.#offset += 2;
    return v;
  }

  u24(what = 'uint24'): number {
    this.#need(3, what);
    const d = this.#data;
    const o = this.#offset;
    this.#offset += 3;
    return (d[o]! << 16) | (d[o + 1]! << 8) | d[o + 2]!;
  }

  u32(what = 'uint32'): number {
    this.#need(4, what);
    const d = this.#data;
    const o = this.#offset;
    this.#offset += 4;
    return d[o]! * 0x1000000 + ((d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!);
  }

  /** The next `n` bytes (a view). */
  bytes(n: number, what = 'field'): Uint8Array {
    if (!Number.isInteger(n) || n < 0) throw new BytesError('ERR_BYTES_RANGE', `${this.name}: ${what} length ${n} is invalid`);
    this.#need(n, what);
    const out = this.#data.subarray(this.#offset, this.#offset + n);
    this.#offset += n;
    return out;
  }

  /** A length byte followed by that many bytes (the LV coding GP uses in INSTALL). */
  lv(what = 'LV field'): Uint8Array {
    const n = this.u8(`${what} length`);
    return this.bytes(n, what);
  }

  /** Everything left (a view). */
  rest(): Uint8Array {
    return this.bytes(this.remaining, 'rest');
  }

  /** Throws `ERR_BYTES_TRAILING` unless every byte was consumed. */
  end(): void {
    if (!this.done) {
      throw new BytesError('ERR_BYTES_TRAILING', `${this.name}: ${this.remaining} unexpected trailing bytes at offset ${this.#offset}`);
    }
  }
}
