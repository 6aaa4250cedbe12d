import type { Command } from 'commander';
import { registerAudit } from './audit.ts';
import { registerCalc } from './calc.ts';
import { registerDemo } from './demo.ts';
import { registerFleet } from './fleet.ts';
import { registerGp } from './gp.ts';
import { registerHsm } from './hsm.ts';
import { registerIssuer } from './issuer.ts';
import { registerSeCreate } from './se-create.ts';
import { registerSeServe } from './se-serve.ts';
import { registerServe } from './serve.ts';

/** Adds every subcommand to `program`. Each subcommand lives in its own file and adds one line here. */
export function registerCommands(program: Command): void {
  registerAudit(program);
  registerCalc(program);
  registerDemo(program);
  registerFleet(program);
  registerGp(program);
  registerHsm(program);
  registerIssuer(program);
  registerSeCreate(program);
  registerSeServe(program);
  registerServe(program);
}
