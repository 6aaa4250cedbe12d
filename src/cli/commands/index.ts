import type { Command } from 'commander';

/** Adds every subcommand to `program`. Each subcommand lives in its own file and adds one line here. */
export function registerCommands(program: Command): void {
  void program;
}
