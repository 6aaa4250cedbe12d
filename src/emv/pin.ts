/**
 * PIN and PAN argument rules shared by the PIN block formats (ISO 9564-1:2017). Validation
 * messages never contain the value.
 */
import { assertDigits } from './assert.ts';

/** A PIN is 4 to 12 decimal digits (ISO 9564-1:2017 §8.1). */
export const PIN_DIGITS = { min: 4, max: 12 } as const;

/** Asserts a PIN argument (ERR_EMV_PIN, value withheld). */
export function assertPin(pin: unknown, name = 'PIN'): asserts pin is string {
  assertDigits(pin, PIN_DIGITS.min, PIN_DIGITS.max, name, 'ERR_EMV_PIN');
}
