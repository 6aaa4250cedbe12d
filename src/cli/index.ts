/** cli/: the `opentsm` command (ARCHITECTURE.md §2: may import any layer). */
export { run, buildProgram } from './main.ts';
export { CliError, CLI_ERROR_CODES, type CliErrorCode } from './errors.ts';
