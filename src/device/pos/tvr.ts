/**
 * Terminal Verification Results (tag 95, 5 bytes; EMV 4.4 Book 3 Annex C5): the bits this kernel
 * sets, as data. The TVR starts at zeros for each transaction (Book 3 §10.1) and bits are only ever
 * set; a failed check sets a bit, it does not throw.
 */

/** A TVR bit: byte index (0-based) and mask. */
export interface TvrBit {
  readonly byte: number;
  readonly mask: number;
}

/** The TVR bits of Book 3 Annex C5 that the kernel sets. */
export const TVR = {
  /** Byte 1 b8: offline data authentication was not performed. */
  odaNotPerformed: { byte: 0, mask: 0x80 },
  /** Byte 1 b6: ICC data missing. */
  iccDataMissing: { byte: 0, mask: 0x20 },
  /** Byte 1 b4: DDA failed (fDDA is DDA's contactless form, EMV Book C-3). */
  ddaFailed: { byte: 0, mask: 0x08 },
} as const satisfies Record<string, TvrBit>;

/** The name of a bit of {@link TVR}. */
export type TvrBitName = keyof typeof TVR;

/** TVR length in bytes (Book 3 Annex A, tag 95). */
export const TVR_LENGTH = 5;

/** A fresh TVR: five zero bytes (Book 3 §10.1). */
export function newTvr(): Uint8Array {
  return new Uint8Array(TVR_LENGTH);
}

/** Sets `bits` in `tvr` (in place). */
export function setTvr(tvr: Uint8Array, ...bits: readonly TvrBitName[]): void {
  for (const name of bits) {
    const bit = TVR[name];
    tvr[bit.byte] = (tvr[bit.byte] ?? 0) | bit.mask;
  }
}

/** Whether `bit` is set in `tvr`. */
export function hasTvr(tvr: Uint8Array, bit: TvrBitName): boolean {
  const b = TVR[bit];
  return ((tvr[b.byte] ?? 0) & b.mask) !== 0;
}

/** Whether any bit set in `tvr` is also set in `actionCode` (Book 3 §10.7, terminal action analysis). */
export function matchesActionCode(tvr: Uint8Array, actionCode: Uint8Array): boolean {
  return tvr.some((b, i) => (b & (actionCode[i] ?? 0)) !== 0);
}
