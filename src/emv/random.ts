/**
 * Random input for PIN blocks: ISO 9564-1 formats 1 and 3 take random fill digits and format 4 a
 * random half block. A caller may supply the source (an HSM's RNG, a fixed source in tests); the
 * default is the operating system's CSPRNG. Whatever the source returns is checked.
 */
import { randomBytes } from '../crypto/index.ts';
import { EmvError } from './errors.ts';

/** Returns `n` random bytes. */
export type RandomSource = (n: number) => Uint8Array;

/** The operating system's CSPRNG (node:crypto through crypto/). */
export const csprng: RandomSource = (n) => randomBytes(n);

/** `n` bytes from `source`, checked to be a Uint8Array of exactly that length. */
export function drawBytes(source: RandomSource, n: number): Uint8Array {
  const out: unknown = source(n);
  if (!(out instanceof Uint8Array) || out.length !== n) {
    throw new EmvError('ERR_EMV_RANDOM', `random source: expected ${n} bytes`);
  }
  return out;
}

/** `count` random nibbles 0x0..0xF (ISO 9564-1 format 1 fill): the low nibble of each byte. */
export function anyFillNibbles(source: RandomSource, count: number): number[] {
  return [...drawBytes(source, count)].map((b) => b & 0x0f);
}

const MAX_ROUNDS = 64;

/**
 * `count` random nibbles in 0xA..0xF (ISO 9564-1 format 3 fill), uniform by rejection: a low nibble
 * below 12 maps to A + (v mod 6), others are redrawn. A source that keeps returning only rejected
 * values ends in ERR_EMV_RANDOM after a bounded number of rounds instead of hanging.
 */
export function letterFillNibbles(source: RandomSource, count: number): number[] {
  const out: number[] = [];
  for (let round = 0; round < MAX_ROUNDS && out.length < count; round++) {
    for (const b of drawBytes(source, count - out.length)) {
      const v = b & 0x0f;
      if (v < 12) out.push(0x0a + (v % 6));
    }
  }
  if (out.length < count) throw new EmvError('ERR_EMV_RANDOM', 'random source: no usable fill digits');
  return out;
}
