import type { Command } from 'commander';
import { registerGp } from './gp.ts';
import { registerSeCreate } from './se-create.ts';
import { registerSeServe } from './se-serve.ts';

/** Adds every subcommand to `program`. Each subcommand lives in its own file and adds one line here. */
export function registerCommands(program: Command): void {
  registerGp(program);
  registerSeCreate(program);
  registerSeServe(program);
}
