import { assertBytes, assertInt } from './assert.ts';
import { BytesError } from './errors.ts';

/** An append-only byte buffer that grows as needed; `toBytes()` returns a copy of what was written. */
export class ByteWriter {
  #buf: Uint8Array;
  #length = 0;

  constructor(initialCapacity = 64) {
    this.#buf = new Uint8Array(Math.max(16, initialCapacity));
  }

  get length(): number {
    return this.#length;
  }

  #reserve(n: number): void {
    if (this.#length + n <= this.#buf.length) return;
    let cap = this.#buf.length * 2;
    while (cap < this.#length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.#buf.subarray(0, this.#length));
    this.#buf = next;
  }

  u8(value: number, name = 'byte'): this {
    assertInt(value, 0, 0xff, name);
    this.#reserve(1);
    this.#buf[this.#length++] = value;
    return this;
  }

  u16(value: number, name = 'uint16'): this {
    assertInt(value, 0, 0xffff, name);
    this.#reserve(2);
    this.#buf[this.#length++] = value >> 8;
    this.#buf[this.#length++] = value & 0xff;
    return this;
  }

  u24(value: number, name = 'uint24'): this {
    assertInt(value, 0, 0xffffff, name);
    this.#reserve(3);
    this.#buf[this.#length++] = value >> 16;
    this.#buf[this.#length++] = (value >> 8) & 0xff;
    this.#buf[this.#length++] = value & 0xff;
    return this;
  }

  u32(value: number, name = 'uint32'): this {
    assertInt(value, 0, 0xffffffff, name);
    this.#reserve(4);
    this.#buf[this.#length++] = value >>> 24;
    this.#buf[this.#length++] = (value >>> 16) & 0xff;
    this.#buf[this.#length++] = (value >>> 8) & 0xff;
    this.#buf[this.#length++] = value & 0xff;
    return this;
  }

  bytes(value: Uint8Array, name = 'bytes'): this {
    assertBytes(value, undefined, name);
    this.#reserve(value.length);
    this.#buf.set(value, this.#length);
    this.#length += value.length;
    return this;
  }

  /** A one-byte length then the bytes (GP LV coding); at most 255 bytes. */
  lv(value: Uint8Array, name = 'LV field'): this {
    assertBytes(value, undefined, name);
    if (value.length > 0xff) throw new BytesError('ERR_BYTES_LENGTH', `${name}: at most 255 bytes in an LV field, got ${value.length}`);
    return this.u8(value.length).bytes(value);
  }

  toBytes(): Uint8Array {
    return this.#buf.slice(0, this.#length);
  }
}
