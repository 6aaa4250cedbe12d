/**
 * DES key parity (ANSI X3.92 / FIPS 46-3 §2: the low bit of each byte makes the byte's bit count
 * odd). EMV Book 2 A1.4.1 and A1.3.1 set odd parity on every derived TDES key.
 */

/** A copy of `key` with the least significant bit of every byte set for odd parity. */
export function withOddParity(key: Uint8Array): Uint8Array {
  const out = key.slice();
  for (let i = 0; i < out.length; i++) {
    const b = out[i]! & 0xfe;
    let ones = 0;
    for (let v = b; v !== 0; v >>= 1) ones += v & 1;
    out[i] = ones % 2 === 0 ? b | 1 : b;
  }
  return out;
}
