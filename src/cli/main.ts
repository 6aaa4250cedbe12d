/**
 * The `opentsm` command line: one subcommand per file under commands/, registered here.
 * `run(argv)` resolves to the process exit code; errors are printed readably, never as stack traces
 * (set OPENTSM_DEBUG=1 for the stack).
 */
import { Command, CommanderError } from 'commander';
import { OpenTsmError } from '../bytes/index.ts';
import { registerCommands } from './commands/index.ts';

/** Builds the program with every subcommand; exported for tests (`program.parseAsync`). */
export function buildProgram(): Command {
  const program = new Command('opentsm')
    .description('OpenTSM: an open-source Trusted Service Manager for mobile payments')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerCommands(program);
  return program;
}

/** Runs the CLI on `argv` (as process.argv) and resolves to the exit code. */
export async function run(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    printError(e);
    return 1;
  }
}

function printError(e: unknown): void {
  if (process.env.OPENTSM_DEBUG === '1') {
    console.error(e);
    return;
  }
  if (e instanceof OpenTsmError) {
    console.error(`opentsm: ${e.message} [${e.code}]`);
    return;
  }
  console.error(`opentsm: ${e instanceof Error ? e.message : String(e)}`);
}
