/**
 * The Response Status Codes of a PoR (ETSI TS 102 225 §5.2, table "Response Status Codes"),
 * as a table: code → name, and named constants for the codes this layer produces.
 */

/** Status code → its meaning. */
export const POR_STATUS: Readonly<Record<number, string>> = Object.freeze({
  0x00: 'PoR OK',
  0x01: 'RC/CC/DS failed',
  0x02: 'CNTR low',
  0x03: 'CNTR high',
  0x04: 'CNTR blocked',
  0x05: 'ciphering error',
  0x06: 'unidentified security error',
  0x07: 'insufficient memory to process incoming message',
  0x08: 'more time needed to process the command',
  0x09: 'TAR unknown',
  0x0a: 'insufficient security level',
  0x0b: 'actual response data to be sent using SMS-SUBMIT',
});

/** Named status codes. */
export const POR = Object.freeze({
  OK: 0x00,
  RC_CC_DS_FAILED: 0x01,
  CNTR_LOW: 0x02,
  CNTR_HIGH: 0x03,
  CNTR_BLOCKED: 0x04,
  CIPHERING_ERROR: 0x05,
  UNIDENTIFIED_SECURITY_ERROR: 0x06,
  INSUFFICIENT_MEMORY: 0x07,
  MORE_TIME: 0x08,
  TAR_UNKNOWN: 0x09,
  INSUFFICIENT_SECURITY_LEVEL: 0x0a,
  RESPONSE_IN_SMS_SUBMIT: 0x0b,
} as const);

/** The meaning of a status code, or undefined for a code the table does not hold. */
export function porStatusName(status: number): string | undefined {
  return POR_STATUS[status];
}
