/**
 * `opentsm issuer`: the issuer host on the data directory of `opentsm hsm` — register payment cards,
 * verify their cryptograms (ARQC → decision, ARPC, issuer scripts; docs/payment-application.md §5),
 * queue issuer scripts. Card data is read from JSON files or stdin, never from argv.
 */
import type { Command } from 'commander';
import { addLocationOptions } from '../hsm/location-options.ts';
import { printResult } from '../calc/result.ts';
import { processOutput } from '../gp/output.ts';
import { withHsm, type HsmOptions } from '../hsm/context.ts';
import { issuerCard, issuerRegister, issuerScript, issuerVerify } from '../issuer/verbs.ts';
import type { CalcResult } from '../calc/result.ts';
import type { HsmSession } from '../hsm/context.ts';

function act(cmd: Command, work: (session: HsmSession, options: HsmOptions & { pinBlock?: string }) => Promise<CalcResult>): Promise<void> {
  const options = cmd.optsWithGlobals<HsmOptions & { pinBlock?: string }>();
  const out = processOutput();
  return withHsm(options, out, async (session) => printResult(out, await work(session, options), options.json === true));
}

const HELP = `
The issuer keeps, per card, only a keyed hash of PAN and PSN (HMAC under the tenant's "PAN index" key,
created on first use), the CVN profile, the issuer master key ids, the last ATC seen online and the
scripts waiting for delivery. A verify moves the last ATC only on a valid cryptogram; a replayed or
older ATC is declined.

Request JSON (verify):
  { "pan": "…", "psn": "00", "cryptogram": "9F26 hex", "cid": "80",
    "data": { "9F02": "…", "9F03": "…", "9F1A": "…", "95": "…", "5F2A": "…", "9A": "…", "9C": "…",
              "9F37": "…", "82": "…", "9F36": "…", "9F10": "…" } }
Card JSON (register):
  { "pan": "…", "psn": "00", "profile": "visa-18", "imkAc": "IMK-AC", "imkSmi": "IMK-SMI", "imkSmc": "IMK-SMC" }`;

export function registerIssuer(program: Command): void {
  const issuer = program
    .command('issuer')
    .description('issuer host: register cards, verify ARQCs (decision, ARPC, scripts), queue issuer scripts');
  addLocationOptions(issuer)
    .option('--tenant <name>', 'the issuer tenant whose keys and cards to use (default: operator)')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', HELP);
  issuer.command('register <card.json>').description('register a card (file, or - for stdin); prints its id')
    .addHelpText('after', '\nExample:\n  opentsm issuer register card.json --data-dir /srv/opentsm --tenant bank-a')
    .action((path: string, _o: unknown, cmd: Command) => act(cmd, (s) => issuerRegister(s, path)));
  issuer.command('verify <request.json>').description('authorize one transaction: verify the ARQC in the HSM, check the ATC, answer with the ARPC and scripts')
    .addHelpText('after', '\nExample:\n  opentsm issuer verify request.json --data-dir /srv/opentsm --tenant bank-a --json')
    .action((path: string, _o: unknown, cmd: Command) => act(cmd, (s) => issuerVerify(s, path)));
  issuer.command('script <card> <kind>').description('queue an issuer script: application-block, application-unblock, pin-unblock, pin-change')
    .option('--pin-block <file>', 'pin-change: JSON { "key": PIN key id or label, "format": 0|1|3|4, "block": hex } (file, or - for stdin)')
    .addHelpText('after', '\nExample:\n  opentsm issuer script card_… application-block --data-dir /srv/opentsm --tenant bank-a')
    .action((card: string, kind: string, _o: unknown, cmd: Command) => act(cmd, (s, o) => issuerScript(s, card, kind, o.pinBlock === undefined ? {} : { pinRequest: o.pinBlock })));
  issuer.command('card <card>').description('a card\'s status, last ATC and pending scripts (never its PAN)')
    .action((card: string, _o: unknown, cmd: Command) => act(cmd, (s) => issuerCard(s, card)));
}
