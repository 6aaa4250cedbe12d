/** ISO/IEC 9797-1:2011 §6.3 padding methods 1, 2 and 3. Callers always name the method (no default). */
import { assertBytes, assertInt } from '../bytes/index.ts';
import { CryptoError } from './errors.ts';

/** The ISO 9797-1 padding method number. */
export type PaddingMethod = 1 | 2 | 3;

/**
 * Method 1: right-pad with zero bytes to a multiple of `block` (none if already aligned; an empty
 * input becomes one zero block, ISO 9797-1 §6.3.1).
 */
export function padMethod1(data: Uint8Array, block: number): Uint8Array {
  assertBytes(data, undefined, 'data to pad');
  assertInt(block, 1, 64, 'block size');
  const n = data.length === 0 ? block : Math.ceil(data.length / block) * block;
  const out = new Uint8Array(n);
  out.set(data);
  return out;
}

/** Method 2: append 80 then zero bytes to a multiple of `block` (always adds at least one byte, §6.3.2). */
export function padMethod2(data: Uint8Array, block: number): Uint8Array {
  assertBytes(data, undefined, 'data to pad');
  assertInt(block, 1, 64, 'block size');
  const n = (Math.floor(data.length / block) + 1) * block;
  const out = new Uint8Array(n);
  out.set(data);
  out[data.length] = 0x80;
  return out;
}

/**
 * Method 3: a left block holding the data length in bits, then the data right-padded with zeros
 * (none if aligned or empty), §6.3.3.
 */
export function padMethod3(data: Uint8Array, block: number): Uint8Array {
  assertBytes(data, undefined, 'data to pad');
  assertInt(block, 1, 64, 'block size');
  const padded = Math.ceil(data.length / block) * block;
  const out = new Uint8Array(block + padded);
  let bits = data.length * 8;
  for (let i = block - 1; i >= 0 && bits > 0; i--) {
    out[i] = bits % 256;
    bits = Math.floor(bits / 256);
  }
  out.set(data, block);
  return out;
}

/** Applies padding method `method` for a `block`-byte cipher. */
export function pad(data: Uint8Array, block: number, method: PaddingMethod): Uint8Array {
  switch (method) {
    case 1:
      return padMethod1(data, block);
    case 2:
      return padMethod2(data, block);
    case 3:
      return padMethod3(data, block);
    default:
      throw new CryptoError('ERR_CRYPTO_PARAM', `padding method must be 1, 2 or 3, got ${String(method)}`);
  }
}

/**
 * Removes method-2 padding (80 00…). The data must be block-aligned and the padding at most one
 * block long; any failure gives one fixed error that says nothing about where it failed.
 */
export function unpadMethod2(data: Uint8Array, block: number): Uint8Array {
  assertBytes(data, undefined, 'padded data');
  assertInt(block, 1, 64, 'block size');
  let marker = -1;
  if (data.length > 0 && data.length % block === 0) {
    for (let i = data.length - 1; i >= data.length - block; i--) {
      const b = data[i]!;
      if (b === 0x80) {
        marker = i;
        break;
      }
      if (b !== 0) break;
    }
  }
  if (marker < 0) throw new CryptoError('ERR_CRYPTO_PADDING', 'invalid padding');
  return data.subarray(0, marker);
}
