/**
 * `opentsm demo` (and `npm run demo`): the payment chain end to end on this machine, nothing to
 * configure. The work is in src/cli/demo/.
 */
import type { Command } from 'commander';
import { integer } from '../calc/input.ts';
import { printResult } from '../calc/result.ts';
import { processOutput } from '../gp/output.ts';
import { runDemo } from '../demo/run-demo.ts';

const HELP = `
What happens, all in this process:
  1. key ceremony: custodians alice and bob form the software HSM's LMK from two components;
     the card manufacturer's transport KEK is entered as two components; the payment scheme's CA
     key and the bank's issuer keys (IMK-AC/SMI/SMC, RSA issuer key and its CA certificate) are
     generated in the HSM
  2. the card factory makes N embedded SEs (the payment package and PPSE preloaded); the batch
     master keys come into the HSM as TR-31 blocks under the transport KEK
  3. each phone gets a payment card (Visa-style and Mastercard-style alternate): ISD keys
     diversified in the HSM, SCP03 with host keys in the HSM, INSTALL, STORE DATA of DGIs the HSM
     prepared (ICC keys, ICC RSA key only under the ISD's DEK), the PPSE entry
  4. the TSM service (opentsm serve's app) listens on a loopback port; cards are registered with
     the issuer through POST /v1/issuer/cards
  5. each phone taps a POS terminal (fDDA, ARQC) that authorizes through POST /v1/authorizations;
     the issuer verifies in the HSM; the wallet delivers the ARPC to the card
The store is a SQLite file in a temporary directory, removed at the end. Until the TSM service's
security-domain key handover exists, the TSM holds the SE keys and the issuer's keys in one tenant.

Example:
  opentsm demo --phones 100`;

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('the whole chain on this machine: key ceremony, phones, deploy a payment card to each, tap, authorize, each wallet reads its card over OMAPI, one PIN changed through a TEE; prints a summary')
    .option('--phones <n>', 'how many phones (1..10000)', '100')
    .option('--concurrency <n>', 'deploys and taps in flight (1..64)', '4')
    .option('--json', 'print the summary as JSON')
    .addHelpText('after', HELP)
    .action(async (_o: unknown, cmd: Command) => {
      const o = cmd.opts<Record<string, unknown>>();
      const out = processOutput();
      const summary = await runDemo(out, { phones: integer(o, 'phones', 1, 10_000), concurrency: integer(o, 'concurrency', 1, 64) });
      printResult(out, summary, o['json'] === true);
    });
}
