/**
 * The `cli/` layer's errors: bad command lines and unreadable input files. Card refusals stay
 * `GpError`s (`ERR_GP_STATUS` with the status word); these are the operator's mistakes, each with a
 * message that says what to give instead. Never put an option's value in a message: it may be a key.
 */
import { OpenTsmError } from '../bytes/index.ts';

/** Codes raised by the `cli/` layer. */
export const CLI_ERROR_CODES = ['ERR_CLI_USAGE', 'ERR_CLI_INPUT'] as const;
export type CliErrorCode = (typeof CLI_ERROR_CODES)[number];

/** A command-line mistake (`ERR_CLI_USAGE`) or an input file that cannot be read (`ERR_CLI_INPUT`). */
export class CliError extends OpenTsmError<CliErrorCode> {}
