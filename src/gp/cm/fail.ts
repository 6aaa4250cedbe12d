import { BytesError } from '../../bytes/index.ts';
import { SW } from '../../apdu/index.ts';
import { TlvError } from '../../tlv/index.ts';
import { GpError } from '../errors.ts';

/**
 * The status words a card-side parser attaches to its refusals (GPC 2.3.1 §11.1.3 Table 11-10 and
 * the error tables of chapter 11): bad data, bad P1/P2, bad length, bad class, broken chain.
 */
export const CM_SW = {
  /** Incorrect values in command data (Tables 11-26, 11-39, 11-55, 11-78, 11-87, 11-90). */
  WRONG_DATA: SW.INCORRECT_DATA,
  /** Incorrect P1 P2 (Table 11-10); also a LOAD / STORE DATA block out of sequence (gp.md §6). */
  WRONG_P1P2: SW.INCORRECT_P1P2,
  /** Wrong length in Lc (Table 11-10). */
  WRONG_LENGTH: SW.WRONG_LENGTH,
  /** Invalid class (Table 11-10). */
  WRONG_CLA: SW.CLA_NOT_SUPPORTED,
  /** Invalid instruction (Table 11-10). */
  WRONG_INS: SW.INS_NOT_SUPPORTED,
  /** Conditions of use not satisfied: a chained command with a different header (§11.1.5.1). */
  CONDITIONS: SW.CONDITIONS_OF_USE_NOT_SATISFIED,
} as const;

/** A card-side refusal of the command data: `ERR_GP_PARSE` with the status word to answer. */
export function badData(message: string, sw: number = CM_SW.WRONG_DATA, cause?: unknown): GpError {
  return new GpError('ERR_GP_PARSE', message, cause === undefined ? { sw } : { sw, cause });
}

/** A card-side refusal of the header (CLA, INS, P1, P2): `ERR_GP_PARAM` with the status word to answer. */
export function badHeader(message: string, sw: number = CM_SW.WRONG_P1P2): GpError {
  return new GpError('ERR_GP_PARAM', message, { sw });
}

/** A host-side argument error (builders): `ERR_GP_PARAM` without a status word. */
export function badArgument(message: string, cause?: unknown): GpError {
  return new GpError('ERR_GP_PARAM', message, cause === undefined ? undefined : { cause });
}

/** A host-side response that does not parse: `ERR_GP_PARSE` without a status word. */
export function badResponse(message: string, cause?: unknown): GpError {
  return new GpError('ERR_GP_PARSE', message, cause === undefined ? undefined : { cause });
}

/**
 * Runs a parser and turns the byte- and TLV-level errors it may raise (truncation, trailing bytes,
 * bad BER) into a `GpError` made by `wrap`, so hostile input always ends in a `GpError`
 * (CONVENTIONS.md §3). GpErrors pass through unchanged.
 */
export function guard<T>(what: string, parse: () => T, wrap: (message: string, cause: unknown) => GpError): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof GpError) throw e;
    if (e instanceof BytesError || e instanceof TlvError) throw wrap(`${what}: ${e.message}`, e);
    throw e;
  }
}

/** {@link guard} for card-side parsers: lower-level errors become `ERR_GP_PARSE` with SW 6A80. */
export function guardCard<T>(what: string, parse: () => T): T {
  return guard(what, parse, (message, cause) => badData(message, CM_SW.WRONG_DATA, cause));
}

/** {@link guard} for host-side response parsers: lower-level errors become `ERR_GP_PARSE`. */
export function guardHost<T>(what: string, parse: () => T): T {
  return guard(what, parse, (message, cause) => badResponse(message, cause));
}
