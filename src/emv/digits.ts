/**
 * Decimal digits and nibbles: the packed-BCD coding EMV and ISO 9564-1 use for PANs, PSNs and PINs.
 * Callers validate the digit strings first (assert.ts); these helpers only convert.
 */

/** The digit string `digits` as nibble values, one per character ('0'..'9' only). */
export function digitNibbles(digits: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < digits.length; i++) out.push(digits.charCodeAt(i) - 48);
  return out;
}

/** Packs an even number of nibble values (0..15) into bytes, high nibble first. */
export function packNibbles(nibbles: readonly number[]): Uint8Array {
  const out = new Uint8Array(Math.ceil(nibbles.length / 2));
  nibbles.forEach((n, i) => {
    out[i >> 1]! |= (i % 2 === 0 ? n << 4 : n) & 0xff;
  });
  return out;
}

/** Unpacks bytes into nibble values, high nibble first. */
export function unpackNibbles(bytes: Uint8Array): number[] {
  const out: number[] = [];
  for (const b of bytes) out.push(b >> 4, b & 0x0f);
  return out;
}

/** Nibble values 0..9 back to a digit string (the caller has checked each is ≤ 9). */
export function nibblesToDigits(nibbles: readonly number[]): string {
  return String.fromCharCode(...nibbles.map((n) => n + 48));
}

/** Packed BCD of a digit string of even length (EMV Book 2 A1.4: "in numeric format"). */
export function packDigits(digits: string): Uint8Array {
  return packNibbles(digitNibbles(digits));
}
