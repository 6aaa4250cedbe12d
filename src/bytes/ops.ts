import { timingSafeEqual } from 'node:crypto';
import { BytesError } from './errors.ts';
import { assertBytes, assertInt } from './assert.ts';

/** Concatenates byte arrays into a new array. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) {
    assertBytes(p, undefined, 'concat part');
    length += p.length;
  }
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** XOR of two arrays of equal length. */
export function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  assertBytes(a, undefined, 'xor left');
  assertBytes(b, [a.length], 'xor right');
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/**
 * Constant-time equality for MACs, cryptograms and PIN data (CONVENTIONS.md §2). Arrays of different
 * lengths are unequal; the time taken depends only on the lengths, never on the contents.
 */
export function equalCt(a: Uint8Array, b: Uint8Array): boolean {
  assertBytes(a, undefined, 'equalCt left');
  assertBytes(b, undefined, 'equalCt right');
  if (a.length !== b.length) {
    timingSafeEqual(a, a); // same work as an equal-length compare, result discarded
    return false;
  }
  return timingSafeEqual(a, b);
}

/** Overwrites secrets with zeros (session keys on close, intermediate key material). */
export function wipe(...arrays: Uint8Array[]): void {
  for (const a of arrays) a.fill(0);
}

/** Big-endian unsigned integer of `length` bytes (1..6). */
export function uintBe(value: number, length: number, name = 'integer'): Uint8Array {
  assertInt(length, 1, 6, `${name} width`);
  assertInt(value, 0, 2 ** (8 * length) - 1, name);
  const out = new Uint8Array(length);
  let v = value;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = v % 256;
    v = Math.floor(v / 256);
  }
  return out;
}

/** Reads a big-endian unsigned integer (up to 6 bytes). */
export function readUintBe(bytes: Uint8Array): number {
  assertBytes(bytes, undefined, 'readUintBe input');
  if (bytes.length > 6) throw new BytesError('ERR_BYTES_LENGTH', `readUintBe: at most 6 bytes, got ${bytes.length}`);
  let v = 0;
  for (const b of bytes) v = v * 256 + b;
  return v;
}

/** A copy of `bytes` (the caller owns it; wiping it leaves the source intact). */
export function copy(bytes: Uint8Array): Uint8Array {
  assertBytes(bytes, undefined, 'copy input');
  return bytes.slice();
}
