import { assertInt } from '../bytes/index.ts';

/**
 * Named status words (ISO/IEC 7816-4:2020 §5.6, Tables 5–6; GPC 2.3.1 §11.1.3 and the command
 * tables of chapter 11; gp.md §1.3), so code reads `SW.OK`, `SW.SECURITY_STATUS_NOT_SATISFIED`.
 * Ranges (61xx, 6Cxx, 63Cx) are tested with {@link swFamily}.
 */
export const SW = {
  OK: 0x9000,
  // ISO 7816-4 §5.6: warnings
  WARNING_NO_INFO: 0x6200,
  END_OF_DATA: 0x6282,
  SELECTED_FILE_DEACTIVATED: 0x6283,
  /** EXTERNAL AUTHENTICATE: host cryptogram rejected (GPC E.5.2); in ISO terms "warning, NV memory changed". */
  AUTHENTICATION_FAILED: 0x6300,
  /** GET STATUS: more data, send again with P2 b1 = 1 "get next" (GPC 2.3.1 §11.4). */
  MORE_DATA_AVAILABLE: 0x6310,
  // ISO 7816-4 §5.6: execution errors
  EXECUTION_ERROR: 0x6400,
  MEMORY_FAILURE: 0x6581,
  // ISO 7816-4 §5.6: checking errors
  WRONG_LENGTH: 0x6700,
  CLA_FUNCTION_NOT_SUPPORTED: 0x6800,
  LOGICAL_CHANNEL_NOT_SUPPORTED: 0x6881,
  SECURE_MESSAGING_NOT_SUPPORTED: 0x6882,
  LAST_COMMAND_OF_CHAIN_EXPECTED: 0x6883,
  COMMAND_CHAINING_NOT_SUPPORTED: 0x6884,
  COMMAND_NOT_ALLOWED: 0x6900,
  SECURITY_STATUS_NOT_SATISFIED: 0x6982,
  AUTHENTICATION_METHOD_BLOCKED: 0x6983,
  REFERENCE_DATA_NOT_USABLE: 0x6984,
  CONDITIONS_OF_USE_NOT_SATISFIED: 0x6985,
  COMMAND_NOT_ALLOWED_NO_CURRENT_EF: 0x6986,
  SM_DATA_OBJECTS_MISSING: 0x6987,
  SM_DATA_OBJECTS_INCORRECT: 0x6988,
  /** SELECT of a locked or failing applet on many cards (GPPro: "applet selection failed"). */
  APPLET_SELECTION_FAILED: 0x6999,
  WRONG_PARAMETERS_NO_INFO: 0x6a00,
  INCORRECT_DATA: 0x6a80,
  FUNCTION_NOT_SUPPORTED: 0x6a81,
  FILE_NOT_FOUND: 0x6a82,
  RECORD_NOT_FOUND: 0x6a83,
  NOT_ENOUGH_MEMORY: 0x6a84,
  NC_INCONSISTENT_WITH_TLV: 0x6a85,
  INCORRECT_P1P2: 0x6a86,
  NC_INCONSISTENT_WITH_P1P2: 0x6a87,
  REFERENCED_DATA_NOT_FOUND: 0x6a88,
  FILE_ALREADY_EXISTS: 0x6a89,
  DF_NAME_ALREADY_EXISTS: 0x6a8a,
  WRONG_P1P2: 0x6b00,
  INS_NOT_SUPPORTED: 0x6d00,
  CLA_NOT_SUPPORTED: 0x6e00,
  NO_PRECISE_DIAGNOSIS: 0x6f00,
  /** PUT KEY: algorithm not supported (GPC 2.2; deprecated in 2.3 for 6A80). */
  ALGORITHM_NOT_SUPPORTED: 0x9484,
  /** PUT KEY: key check value mismatch (GPC 2.2; deprecated in 2.3 for 6982). */
  INVALID_KEY_CHECK_VALUE: 0x9485,
} as const;

/** How the low bits of a ranged status word read: a byte count (00 means 256) or a retry counter. */
type SwParam = 'count' | 'counter';

/** One row of the status-word table: matches when `(sw & mask) === value`. */
export interface StatusWordEntry {
  readonly value: number;
  readonly mask: number;
  /** Readable meaning; `{n}` is replaced by the parameter for ranged entries. */
  readonly name: string;
  readonly param?: SwParam;
}

const exact = (value: number, name: string): StatusWordEntry => ({ value, mask: 0xffff, name });
const ranged = (value: number, mask: number, name: string, param?: SwParam): StatusWordEntry =>
  param === undefined ? { value, mask, name } : { value, mask, name, param };

/**
 * The status-word table, most specific rows first (ISO/IEC 7816-4:2020 §5.6 Tables 5 and 6, GPC
 * 2.3.1 chapter 11, gp.md §1.3). Family rows (`mask` FF00) name a status word we have no exact row for.
 */
export const STATUS_WORDS: readonly StatusWordEntry[] = Object.freeze([
  exact(0x9000, 'success'),
  exact(0x6200, 'warning: no information given (state unchanged)'),
  exact(0x6281, 'warning: part of returned data may be corrupted'),
  exact(0x6282, 'warning: end of file or record reached before reading Ne bytes'),
  exact(0x6283, 'warning: selected file deactivated (GP: card locked)'),
  exact(0x6284, 'warning: file control information not formatted per ISO 7816-4'),
  exact(0x6285, 'warning: selected file in termination state'),
  exact(0x6286, 'warning: no input data available from a sensor'),
  exact(0x6300, 'warning: state changed / authentication failed'),
  exact(0x6310, 'more data available (GP GET STATUS: send get next)'),
  exact(0x6381, 'warning: file filled up by the last write'),
  ranged(0x63c0, 0xfff0, 'warning: counter {n} (retries left)', 'counter'),
  exact(0x6400, 'execution error: no information given (state unchanged)'),
  exact(0x6401, 'execution error: immediate response required by the card'),
  exact(0x6500, 'execution error: no information given (state changed)'),
  exact(0x6581, 'memory failure'),
  exact(0x6600, 'security-related issue'),
  exact(0x6700, 'wrong length'),
  exact(0x6800, 'functions in CLA not supported'),
  exact(0x6881, 'logical channel not supported'),
  exact(0x6882, 'secure messaging not supported'),
  exact(0x6883, 'last command of the chain expected'),
  exact(0x6884, 'command chaining not supported'),
  exact(0x6900, 'command not allowed'),
  exact(0x6981, 'command incompatible with file structure'),
  exact(0x6982, 'security status not satisfied'),
  exact(0x6983, 'authentication method blocked'),
  exact(0x6984, 'reference data not usable'),
  exact(0x6985, 'conditions of use not satisfied'),
  exact(0x6986, 'command not allowed (no current EF)'),
  exact(0x6987, 'expected secure messaging data objects missing'),
  exact(0x6988, 'incorrect secure messaging data objects'),
  exact(0x6999, 'applet selection failed'),
  exact(0x6a00, 'wrong parameters: no information given'),
  exact(0x6a80, 'incorrect parameters in the command data field'),
  exact(0x6a81, 'function not supported'),
  exact(0x6a82, 'application/file not found'),
  exact(0x6a83, 'record not found'),
  exact(0x6a84, 'not enough memory space'),
  exact(0x6a85, 'Nc inconsistent with TLV structure'),
  exact(0x6a86, 'incorrect parameters P1-P2'),
  exact(0x6a87, 'Nc inconsistent with parameters P1-P2'),
  exact(0x6a88, 'referenced data not found'),
  exact(0x6a89, 'file already exists'),
  exact(0x6a8a, 'DF name already exists'),
  exact(0x6b00, 'wrong parameters P1-P2'),
  exact(0x6d00, 'instruction code not supported or invalid'),
  exact(0x6e00, 'class not supported'),
  exact(0x6f00, 'no precise diagnosis'),
  exact(0x9484, 'algorithm not supported'),
  exact(0x9485, 'invalid key check value'),
  ranged(0x6100, 0xff00, '{n} response bytes still available (send GET RESPONSE)', 'count'),
  ranged(0x6c00, 0xff00, 'wrong Le: {n} bytes available (resend with Le)', 'count'),
  ranged(0x6200, 0xff00, 'warning (state unchanged)'),
  ranged(0x6300, 0xff00, 'warning (state changed)'),
  ranged(0x6400, 0xff00, 'execution error (state unchanged)'),
  ranged(0x6500, 0xff00, 'execution error (state changed)'),
  ranged(0x6600, 0xff00, 'security-related issue'),
  ranged(0x6700, 0xff00, 'wrong length'),
  ranged(0x6800, 0xff00, 'functions in CLA not supported'),
  ranged(0x6900, 0xff00, 'command not allowed'),
  ranged(0x6a00, 0xff00, 'wrong parameters P1-P2'),
].map((e) => Object.freeze(e)));

/** The table row matching `sw`, or undefined for a status word outside ISO 7816-4 and GP. */
export function swFamily(sw: number): StatusWordEntry | undefined {
  assertInt(sw, 0, 0xffff, 'status word');
  return STATUS_WORDS.find((e) => (sw & e.mask) === e.value);
}

/**
 * The status word in hex with its meaning, for logs and error messages.
 * @example describeSw(0x6a82) // "6A82 application/file not found"
 * @example describeSw(0x6110) // "6110 16 response bytes still available (send GET RESPONSE)"
 */
export function describeSw(sw: number): string {
  const entry = swFamily(sw);
  const text = sw.toString(16).toUpperCase().padStart(4, '0');
  if (entry === undefined) return `${text} unknown status`;
  const low = sw & ~entry.mask & 0xffff;
  const n = entry.param === 'count' && low === 0 ? 256 : low; // SW2 00 counts 256, as Le 00 does (ISO 7816-4 §5.1)
  return `${text} ${entry.name.replace('{n}', String(n))}`;
}
