/**
 * Table-driven DES (FIPS 46-3) in JavaScript, for the small inputs where node:crypto's per-call
 * cipher setup (≈4.5 µs for every createCipheriv) costs more than the DES work itself: EMV session
 * key derivation, ARQC/ARPC retail MACs, key check values. des.ts and iso9797-mac.ts choose it
 * below a size crossover and keep node:crypto for larger inputs.
 *
 * LEGACY: single DES is broken; it is here as the building block of 3DES and of ISO 9797-1 MAC
 * algorithm 3 (see des.ts). Parity bits (the low bit of each key byte) are ignored: FIPS 46-3's
 * PC-1 never selects them.
 *
 * Layout: a key schedule is an Int32Array of 32 words per DES pass, two per round: `a` holds the
 * 6-bit subkey groups 2, 4, 6, 8 (bytes 3..0) and `b` groups 1, 3, 5, 7, matching the E expansion
 * of R rotated left by 1 (groups 8, 6, 4, 2) and by a further 4 (groups 7, 5, 3, 1). The 8 S-boxes
 * and the permutation P are folded into one SP table. IP and FP are the usual sequence of masked
 * bit-block swaps. A 3DES schedule is three passes (E K1, D K2, E K3, or the reverse for
 * decryption) run as 48 rounds with FP·IP cancelled between passes.
 *
 * The caller owns a schedule and must wipe it (`fill(0)`) when done: it is the key in another form.
 */

// FIPS 46-3: S1..S8, each 4 rows of 16 (row = outer bits b1 b6, column = b2..b5).
const S_BOXES: readonly (readonly number[])[] = [
  [14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7, 0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3, 8,
    4, 1, 14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0, 15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6, 13],
  [15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10, 3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11, 5,
    0, 14, 7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15, 13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5, 14, 9],
  [10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8, 13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15, 1,
    13, 6, 4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7, 1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2, 12],
  [7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15, 13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14, 9,
    10, 6, 9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4, 3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2, 14],
  [2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9, 14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8, 6,
    4, 2, 1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14, 11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4, 5, 3],
  [12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11, 10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3, 8,
    9, 14, 15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6, 4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8, 13],
  [4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1, 13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8, 6,
    1, 4, 11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2, 6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3, 12],
  [13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7, 1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9, 2,
    7, 11, 4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8, 2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6, 11],
];

// FIPS 46-3: the permutation P of the cipher function f (1-based bit numbers, bit 1 = MSB).
const P = [16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10, 2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22, 11, 4, 25];

// FIPS 46-3: Permuted Choice 1 (C0 then D0, 28 bits each) and Permuted Choice 2 (over C‖D).
const PC1 = [
  57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18, 10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44, 36,
  63, 55, 47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22, 14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4,
];
const PC2 = [
  14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10, 23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2,
  41, 52, 31, 37, 47, 55, 30, 40, 51, 45, 33, 48, 44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32,
];

// FIPS 46-3: left shifts of C and D before each of the 16 rounds.
const SHIFTS = [1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1];

/** Words of key schedule per DES pass (16 rounds × 2). */
export const DES_PASS_WORDS = 32;

/** SP[64·(j−1) + x]: P applied to S-box j's output for the 6-bit input x, in place in the 32-bit word. */
const SP = buildSp();
/** PC1C/PC1D[256·i + v]: the C0/D0 bits that key byte i = v contributes. */
const PC1C = new Int32Array(8 * 256);
const PC1D = new Int32Array(8 * 256);
/** PC2CA/PC2CB/PC2DA/PC2DB[128·q + v]: the `a`/`b` subkey bits that 7-bit chunk q of C/D gives. */
const PC2CA = new Int32Array(4 * 128);
const PC2CB = new Int32Array(4 * 128);
const PC2DA = new Int32Array(4 * 128);
const PC2DB = new Int32Array(4 * 128);
buildKeyTables();

function buildSp(): Int32Array {
  const sp = new Int32Array(8 * 64);
  for (let j = 0; j < 8; j++) {
    for (let x = 0; x < 64; x++) {
      const row = ((x >>> 4) & 2) | (x & 1);
      const col = (x >>> 1) & 15;
      const s = S_BOXES[j]![row * 16 + col]! << (28 - 4 * j);
      let out = 0;
      for (let i = 0; i < 32; i++) if ((s >>> (32 - P[i]!)) & 1) out |= 1 << (31 - i);
      sp[64 * j + x] = out;
    }
  }
  return sp;
}

/** Where bit `i` (0-based) of a 48-bit subkey lands: word (`a` or `b`) and bit position. */
function subkeyBit(i: number): { inA: boolean; bit: number } {
  const group = Math.floor(i / 6) + 1; // 1..8
  const inGroup = 5 - (i % 6);
  // a = g2 g4 g6 g8 in bytes 3..0; b = g1 g3 g5 g7 in bytes 3..0
  const byte = group % 2 === 0 ? 4 - group / 2 : 3 - (group - 1) / 2;
  return { inA: group % 2 === 0, bit: 8 * byte + inGroup };
}

function buildKeyTables(): void {
  for (let i = 0; i < 56; i++) {
    const src = PC1[i]! - 1; // key bit, 0-based from the MSB of byte 0
    const table = i < 28 ? PC1C : PC1D;
    const bit = 27 - (i % 28);
    for (let v = 0; v < 256; v++) if ((v >>> (7 - (src & 7))) & 1) table[256 * (src >>> 3) + v]! |= 1 << bit;
  }
  for (let i = 0; i < 48; i++) {
    const src = PC2[i]! - 1; // 0..55 over C‖D
    const half = src % 28; // position in C or D, 0 = first (MSB, bit 27)
    const q = Math.floor(half / 7);
    const inChunk = 6 - (half % 7);
    const { inA, bit } = subkeyBit(i);
    const table = src < 28 ? (inA ? PC2CA : PC2CB) : inA ? PC2DA : PC2DB;
    for (let v = 0; v < 128; v++) if ((v >>> inChunk) & 1) table[128 * q + v]! |= 1 << bit;
  }
}

/**
 * Writes the 16-round schedule of the DES key at `key[off..off+8)` to `out[at..at+32)`, in
 * encryption order, or reversed for decryption (FIPS 46-3: deciphering uses K16 first).
 */
export function desKeySchedule(key: Uint8Array, off: number, decrypt: boolean, out: Int32Array, at: number): void {
  let c = 0;
  let d = 0;
  for (let i = 0; i < 8; i++) {
    const v = key[off + i]!;
    c |= PC1C[256 * i + v]!;
    d |= PC1D[256 * i + v]!;
  }
  for (let round = 0; round < 16; round++) {
    const s = SHIFTS[round]!;
    c = ((c << s) | (c >>> (28 - s))) & 0x0fffffff;
    d = ((d << s) | (d >>> (28 - s))) & 0x0fffffff;
    const c0 = c >>> 21, c1 = 128 + ((c >>> 14) & 127), c2 = 256 + ((c >>> 7) & 127), c3 = 384 + (c & 127);
    const d0 = d >>> 21, d1 = 128 + ((d >>> 14) & 127), d2 = 256 + ((d >>> 7) & 127), d3 = 384 + (d & 127);
    const k = at + 2 * (decrypt ? 15 - round : round);
    out[k] = PC2CA[c0]! | PC2CA[c1]! | PC2CA[c2]! | PC2CA[c3]! | PC2DA[d0]! | PC2DA[d1]! | PC2DA[d2]! | PC2DA[d3]!;
    out[k + 1] = PC2CB[c0]! | PC2CB[c1]! | PC2CB[c2]! | PC2CB[c3]! | PC2DB[d0]! | PC2DB[d1]! | PC2DB[d2]! | PC2DB[d3]!;
  }
  c = 0;
  d = 0;
}

/**
 * The schedule of an 8-, 16- or 24-byte (3)DES key for one direction, written to `out` (32 words
 * for an 8-byte key, else 96) or a new array: one pass for an 8-byte key (single DES, which 3DES
 * with K1 = K2 = K3 equals, SP 800-67 §3.2), else three — E K1, D K2, E K3 to encrypt; D K3, E K2,
 * D K1 to decrypt (SP 800-67 §3.1), K3 = K1 for a 16-byte key. The caller checks the key length
 * and wipes the result.
 */
export function tdesSchedule(key: Uint8Array, decrypt: boolean, out?: Int32Array): Int32Array {
  if (key.length === 8) {
    const ks = out ?? new Int32Array(DES_PASS_WORDS);
    desKeySchedule(key, 0, decrypt, ks, 0);
    return ks;
  }
  const ks = out ?? new Int32Array(3 * DES_PASS_WORDS);
  const k3 = key.length === 24 ? 16 : 0;
  desKeySchedule(key, decrypt ? k3 : 0, decrypt, ks, 0);
  desKeySchedule(key, 8, !decrypt, ks, DES_PASS_WORDS);
  if (k3 === 0) ks.copyWithin(2 * DES_PASS_WORDS, 0, DES_PASS_WORDS);
  else desKeySchedule(key, decrypt ? 0 : 16, decrypt, ks, 2 * DES_PASS_WORDS);
  return ks;
}

// Typed arrays over 64 bytes live outside V8's heap and cost ~0.3 µs each to allocate, as much as
// a key schedule; one-shot operations borrow these instead and wipe them when done.
const SCRATCH_DES = new Int32Array(DES_PASS_WORDS);
const SCRATCH_TDES = new Int32Array(3 * DES_PASS_WORDS);
let scratchBusy = false;

/**
 * Runs `fn` with the schedule of the (length-checked) 8-, 16- or 24-byte `key` for one direction,
 * then wipes the schedule (`fill(0)`), also when `fn` throws. `fn` must not keep the schedule.
 */
export function withTdesSchedule<T>(key: Uint8Array, decrypt: boolean, fn: (ks: Int32Array) => T): T {
  const borrow = !scratchBusy; // a nested call (none today) gets its own array
  const ks = tdesSchedule(key, decrypt, borrow ? (key.length === 8 ? SCRATCH_DES : SCRATCH_TDES) : undefined);
  if (borrow) scratchBusy = true;
  try {
    return fn(ks);
  } finally {
    ks.fill(0);
    if (borrow) scratchBusy = false;
  }
}

/**
 * One block: IP, `passes` × 16 rounds of the schedule `ks` from word 0, FP; the input halves are
 * the big-endian words `l`, `r`; the output goes to `dst[off..off+8)`.
 */
function cryptBlock(ks: Int32Array, passes: number, l: number, r: number, dst: Uint8Array, off: number): void {
  let t: number;
  // FIPS 46-3 IP as five masked swaps of bit blocks between the halves
  t = ((l >>> 4) ^ r) & 0x0f0f0f0f; r ^= t; l ^= t << 4;
  t = ((l >>> 16) ^ r) & 0x0000ffff; r ^= t; l ^= t << 16;
  t = ((r >>> 2) ^ l) & 0x33333333; l ^= t; r ^= t << 2;
  t = ((r >>> 8) ^ l) & 0x00ff00ff; l ^= t; r ^= t << 8;
  t = ((l >>> 1) ^ r) & 0x55555555; r ^= t; l ^= t << 1;
  const end = passes * DES_PASS_WORDS;
  for (let p = 0; p < end; p += DES_PASS_WORDS) {
    const stop = p + DES_PASS_WORDS;
    for (let k = p; k < stop; k += 4) {
      // L ^= f(R, K): E(R) as R rotated left 1 (groups 8,6,4,2) and then right 4 (groups 7,5,3,1)
      let v = (r << 1) | (r >>> 31);
      let a = v ^ ks[k]!;
      let b = ((v >>> 4) | (v << 28)) ^ ks[k + 1]!;
      l ^= SP[(b >>> 24) & 63]! | SP[64 + ((a >>> 24) & 63)]! | SP[128 + ((b >>> 16) & 63)]! | SP[192 + ((a >>> 16) & 63)]!
        | SP[256 + ((b >>> 8) & 63)]! | SP[320 + ((a >>> 8) & 63)]! | SP[384 + (b & 63)]! | SP[448 + (a & 63)]!;
      v = (l << 1) | (l >>> 31);
      a = v ^ ks[k + 2]!;
      b = ((v >>> 4) | (v << 28)) ^ ks[k + 3]!;
      r ^= SP[(b >>> 24) & 63]! | SP[64 + ((a >>> 24) & 63)]! | SP[128 + ((b >>> 16) & 63)]! | SP[192 + ((a >>> 16) & 63)]!
        | SP[256 + ((b >>> 8) & 63)]! | SP[320 + ((a >>> 8) & 63)]! | SP[384 + (b & 63)]! | SP[448 + (a & 63)]!;
    }
    // the pre-output is R16 L16; it is also the next pass's input (FP then IP cancel)
    t = l; l = r; r = t;
  }
  // FP = IP⁻¹: the same swaps in reverse order
  t = ((l >>> 1) ^ r) & 0x55555555; r ^= t; l ^= t << 1;
  t = ((r >>> 8) ^ l) & 0x00ff00ff; l ^= t; r ^= t << 8;
  t = ((r >>> 2) ^ l) & 0x33333333; l ^= t; r ^= t << 2;
  t = ((l >>> 16) ^ r) & 0x0000ffff; r ^= t; l ^= t << 16;
  t = ((l >>> 4) ^ r) & 0x0f0f0f0f; r ^= t; l ^= t << 4;
  dst[off] = l >>> 24; dst[off + 1] = l >>> 16; dst[off + 2] = l >>> 8; dst[off + 3] = l;
  dst[off + 4] = r >>> 24; dst[off + 5] = r >>> 16; dst[off + 6] = r >>> 8; dst[off + 7] = r;
}

function word(b: Uint8Array, o: number): number {
  return (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
}

function passesOf(ks: Int32Array): number {
  return ks.length / DES_PASS_WORDS;
}

/** ECB over block-aligned `data` (length checked by the caller) with a schedule for the wanted direction. */
export function ecbBlocks(ks: Int32Array, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length);
  const passes = passesOf(ks);
  for (let o = 0; o < data.length; o += 8) cryptBlock(ks, passes, word(data, o), word(data, o + 4), out, o);
  return out;
}

/** CBC encryption (SP 800-38A §6.2) of block-aligned `data` with an encryption schedule and 8-byte IV. */
export function cbcEncryptBlocks(ks: Int32Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length);
  const passes = passesOf(ks);
  let cl = word(iv, 0);
  let cr = word(iv, 4);
  for (let o = 0; o < data.length; o += 8) {
    cryptBlock(ks, passes, cl ^ word(data, o), cr ^ word(data, o + 4), out, o);
    cl = word(out, o);
    cr = word(out, o + 4);
  }
  return out;
}

/** CBC decryption (SP 800-38A §6.2) of block-aligned `data` with a decryption schedule and 8-byte IV. */
export function cbcDecryptBlocks(ks: Int32Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length);
  const passes = passesOf(ks);
  let cl = word(iv, 0);
  let cr = word(iv, 4);
  for (let o = 0; o < data.length; o += 8) {
    cryptBlock(ks, passes, word(data, o), word(data, o + 4), out, o);
    const xl = word(out, o) ^ cl;
    const xr = word(out, o + 4) ^ cr;
    cl = word(data, o);
    cr = word(data, o + 4);
    out[o] = xl >>> 24; out[o + 1] = xl >>> 16; out[o + 2] = xl >>> 8; out[o + 3] = xl;
    out[o + 4] = xr >>> 24; out[o + 5] = xr >>> 16; out[o + 6] = xr >>> 8; out[o + 7] = xr;
  }
  return out;
}

/**
 * The last block of a CBC encryption of block-aligned, non-empty `data` (a CBC-MAC chain,
 * ISO 9797-1 §7.1), every block but the last under the first `passes` passes of the encryption
 * schedule `ks` and the last under `lastPasses` — 1 and 3 for MAC algorithm 3 over K‖K'‖K
 * (output transformation 3 folded into the last block), the same for MAC algorithm 1.
 */
export function cbcMacBlocks(ks: Int32Array, passes: number, lastPasses: number, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8);
  let cl = word(iv, 0);
  let cr = word(iv, 4);
  const last = data.length - 8;
  for (let o = 0; o <= last; o += 8) {
    cryptBlock(ks, o === last ? lastPasses : passes, cl ^ word(data, o), cr ^ word(data, o + 4), out, 0);
    cl = word(out, 0);
    cr = word(out, 4);
  }
  return out;
}
