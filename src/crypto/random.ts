import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { assertInt } from '../bytes/index.ts';
import { fromBuffer } from './cipher.ts';

/** `n` bytes from the operating system's CSPRNG (node:crypto). */
export function randomBytes(n: number): Uint8Array {
  assertInt(n, 0, 65536, 'random byte count');
  return fromBuffer(nodeRandomBytes(n));
}
