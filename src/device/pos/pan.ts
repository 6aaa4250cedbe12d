/**
 * Numeric fields in format cn (EMV Book 3 Annex A / §4.3): digits packed two a byte, left-justified,
 * padded with F nibbles on the right. The PAN (5A) and the certificates' identifiers use it. Digits
 * decoded here never appear in an error message.
 */

/** The digits of a cn field, or undefined if a nibble other than 0–9 comes before the F padding or a digit after it. */
export function cnDigits(bytes: Uint8Array): string | undefined {
  let digits = '';
  let padding = false;
  for (const b of bytes) {
    for (const nibble of [b >> 4, b & 0x0f]) {
      if (nibble === 0x0f) padding = true;
      else if (padding || nibble > 9) return undefined;
      else digits += String.fromCharCode(0x30 + nibble);
    }
  }
  return digits;
}

/** The Application PAN (5A, cn up to 19 digits; ISO/IEC 7812-1 allows 8 to 19), or undefined if malformed. */
export function panDigits(value: Uint8Array): string | undefined {
  const digits = value.length <= 10 ? cnDigits(value) : undefined;
  return digits !== undefined && digits.length >= 8 && digits.length <= 19 ? digits : undefined;
}

/** The PAN Sequence Number (5F34, n2 in one byte) as two digits, or undefined if it is not BCD. */
export function psnDigits(value: Uint8Array): string | undefined {
  const b = value.length === 1 ? value[0]! : -1;
  return b >= 0 && b >> 4 <= 9 && (b & 0x0f) <= 9 ? b.toString(16).padStart(2, '0') : undefined;
}
