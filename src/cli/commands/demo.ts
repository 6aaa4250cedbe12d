/**
 * `opentsm demo` (and `npm run demo`): the payment chain end to end on this machine, nothing to
 * configure. The work is in src/cli/demo/.
 */
import type { Command } from 'commander';
import { integer, usage } from '../calc/input.ts';
import { printResult } from '../calc/result.ts';
import { processOutput } from '../gp/output.ts';
import { runDemo } from '../demo/run-demo.ts';
import { DEMO_BEARERS, type DemoBearer } from '../demo/world.ts';

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

Bearers (--bearer), how the TSM reaches each phone's SE:
  relay  embedded SEs; each phone's wallet agent keeps a WebSocket to the TSM's relay (default)
  sms    UICCs made with an AES SCP80 key set and an SCP81 PSK; the MNO registers each with its
         OTA keys, PSK and MSISDN from the factory key file; an SMSC simulator (SMPP on loopback)
         stands for the operator's SMSC: the TSM sends a secured trigger SMS, the card checks it,
         answers a PoR and opens an SCP81 admin session (TLS-PSK) to the TSM, which runs the
         deploy's commands through it
  scp81  the same UICCs without SMS: each card opens SCP81 admin sessions on its own initiative,
         polling the TSM's admin server about every 400 ms; the server takes a card's session
         only while a job wants the card (other polls are refused at the TLS-PSK handshake), and
         a session ends with its 204 once the work is done
Taps at the POS always go to the card directly (the phone's contactless interface); the wallet
reads a UICC through the OMAPI reader SIM1.

Examples:
  opentsm demo --phones 100
  opentsm demo --phones 20 --bearer sms`;

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('the whole chain on this machine: key ceremony, phones, deploy a payment card to each, tap, authorize, each wallet reads its card over OMAPI, one PIN changed through a TEE; prints a summary')
    .option('--phones <n>', 'how many phones (1..10000)', '100')
    .option('--concurrency <n>', 'deploys and taps in flight (1..64)', '4')
    .option('--bearer <bearer>', `how the TSM reaches the SEs: ${DEMO_BEARERS.join(', ')}`, 'relay')
    .option('--json', 'print the summary as JSON')
    .addHelpText('after', HELP)
    .action(async (_o: unknown, cmd: Command) => {
      const o = cmd.opts<Record<string, unknown>>();
      const out = processOutput();
      const summary = await runDemo(out, { phones: integer(o, 'phones', 1, 10_000), concurrency: integer(o, 'concurrency', 1, 64), bearer: bearerOf(o['bearer']) });
      printResult(out, summary, o['json'] === true);
    });
}

/** The --bearer value, or a usage error naming the choices. */
function bearerOf(value: unknown): DemoBearer {
  if (typeof value === 'string' && (DEMO_BEARERS as readonly string[]).includes(value)) return value as DemoBearer;
  throw usage(`--bearer: expected one of ${DEMO_BEARERS.join(', ')}, got ${JSON.stringify(String(value)).slice(0, 40)}`);
}
