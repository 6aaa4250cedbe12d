/**
 * `opentsm fleet` (issue 6): N virtual phones, each with a virtual SE and a wallet agent, against a
 * running TSM — the MNO registers them over the API, their agents stay connected to the relay for
 * `--duration` seconds or until Ctrl-C/SIGTERM. The work is in src/cli/fleet/run-fleet.ts.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { fromHex } from '../../bytes/index.ts';
import { integer, optional, required, usage } from '../calc/input.ts';
import { printResult } from '../calc/result.ts';
import { CliError } from '../errors.ts';
import { processOutput, type Output } from '../gp/output.ts';
import { runFleet } from '../fleet/run-fleet.ts';

/** The MNO token from the environment when there is no --token-file (visible to the process's children and in /proc). */
export const TOKEN_ENV = 'OPENTSM_MNO_TOKEN';

const HELP = `
What it does:
  1. the card factory makes --phones embedded SEs in this process (payment package, PPSE, ARA-M);
     their batch master keys are TR-31 blocks under the transport KEK of --kek-file
  2. the MNO (the client of --token-file) registers them over the API: the batch keys against the
     KBPK named --kbpk (the KEK's counterpart in the MNO tenant), the SEs <prefix>-00001…, one
     subscription each (MSISDNs 3361 + 6 digits from the prefix + the phone's number) and each
     phone's relay token; every run needs a new --prefix (the default is a random one)
  3. each phone's wallet agent connects to the relay (ws[s]://<url>/v1/relay) and runs the APDU
     batches the TSM sends; the run lasts --duration seconds, or until Ctrl-C/SIGTERM, and ends
     with a summary: phones registered, agents connected, APDU batches executed

Secrets: the token file holds one line <client-id>.<secret> (opentsm serve client add --role mno);
the KEK file 64 hex digits (AES-256). Keep both chmod 600. ${TOKEN_ENV} may hold the token
instead of --token-file, which is less safe (the environment is visible to child processes and in
/proc); never give a secret as an option value.
HTTPS with a private CA: --ca <pem> (used for the API calls and the relay).

Example:
  opentsm fleet --url https://tsm.example:8443 --ca ca.pem --token-file mno.token \\
    --kek-file factory-kek.hex --phones 100 --duration 600`;

/** Reads a secret file's one line; warns when group or others can read it. Never echoes it. */
function readSecret(out: Output, path: string, flag: string): string {
  let text: string;
  try {
    if ((statSync(path).mode & 0o077) !== 0) out.err(`warning: ${flag} ${path} is readable by group or others; chmod 600 it`);
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliError('ERR_CLI_INPUT', `${flag}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return text.trim();
}

function token(out: Output, o: Readonly<Record<string, unknown>>): string {
  const file = optional(o, 'tokenFile');
  const value = file === undefined ? process.env[TOKEN_ENV]?.trim() : readSecret(out, file, '--token-file');
  if (value === undefined || value === '') throw usage(`--token-file: required (the MNO API client's <id>.<secret>; or env ${TOKEN_ENV}, less safe)`);
  if (!/^[\x21-\x7e]{1,64}\.[\x21-\x7e]{1,256}$/.test(value)) throw new CliError('ERR_CLI_INPUT', `${file === undefined ? TOKEN_ENV : '--token-file'}: expected one line <client-id>.<secret> (value withheld)`);
  return value;
}

function kek(out: Output, o: Readonly<Record<string, unknown>>): Uint8Array {
  const text = readSecret(out, required(o, 'kekFile', 'a file with the hex of the factory\'s AES-256 transport KEK'), '--kek-file').replace(/\s+/g, '');
  if (!/^[0-9A-Fa-f]*$/.test(text) || text.length % 2 !== 0) throw new CliError('ERR_CLI_INPUT', '--kek-file: expected hex digits only (value withheld)');
  if (text.length !== 64) throw new CliError('ERR_CLI_INPUT', `--kek-file: expected an AES-256 key, 64 hex digits (32 bytes), got ${text.length / 2} bytes`);
  return fromHex(text);
}

function baseUrl(o: Readonly<Record<string, unknown>>): string {
  const text = required(o, 'url', 'the TSM base URL, e.g. https://tsm.example:8443');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw usage('--url: expected an http:// or https:// URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usage('--url: expected an http:// or https:// URL');
  return url.origin;
}

async function fleet(o: Readonly<Record<string, unknown>>): Promise<void> {
  const out = processOutput();
  const url = baseUrl(o);
  const phones = integer(o, 'phones', 1, 10_000);
  const durationText = optional(o, 'duration');
  const durationMs = durationText === undefined ? undefined : integer(o, 'duration', 1, 999_999) * 1000;
  const prefix = optional(o, 'prefix') ?? `fleet-${randomBytes(3).toString('hex')}`;
  if (!/^[A-Za-z0-9._-]{1,58}$/.test(prefix)) throw usage('--prefix: 1 to 58 characters of A-Z a-z 0-9 . _ -');
  const secret = token(out, o);
  const transportKek = kek(out, o);
  const caFile = optional(o, 'ca');
  let ca: string | undefined;
  if (caFile !== undefined) {
    try {
      ca = readFileSync(caFile, 'utf8');
    } catch (e) {
      throw new CliError('ERR_CLI_INPUT', `--ca: cannot read ${caFile} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new CliError('ERR_CLI_INPUT', '--ca: expected PEM certificate(s)');
  }
  const host = new URL(url).hostname;
  if (url.startsWith('http:') && !['127.0.0.1', 'localhost', '[::1]'].includes(host)) out.err('warning: plain http to a non-loopback address: the token and the APDUs travel in clear');

  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const summary = await runFleet({
      url, phones, token: secret, kek: transportKek, kbpk: optional(o, 'kbpk') ?? 'factory transport KBPK', prefix,
      ...(ca === undefined ? {} : { ca }), ...(durationMs === undefined ? {} : { durationMs }), signal: stop.signal,
      say: (line) => out.err(line),
      onTick: (s) => {
        const line = `running: ${s.connected}/${phones} agents connected, ${s.batches} APDU batches (${s.apdus} APDUs) executed`;
        if (out.interactive) out.status(line);
        else out.err(line);
      },
      tickMs: out.interactive ? 1000 : 10_000,
    });
    if (out.interactive) out.status('');
    transportKek.fill(0);
    printResult(out, { ...summary }, o['json'] === true);
  } finally {
    transportKek.fill(0);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export function registerFleet(program: Command): void {
  program
    .command('fleet')
    .description('run N virtual phones (virtual SE + wallet agent each) against a TSM: the MNO registers them over the API, their agents serve the relay')
    .option('--url <url>', 'the TSM base URL (required), e.g. https://tsm.example:8443')
    .option('--phones <n>', 'how many phones (1..10000)', '10')
    .option('--token-file <path>', `file with the MNO API client's <id>.<secret> (or env ${TOKEN_ENV}, less safe)`)
    .option('--kek-file <path>', 'file with the hex of the factory\'s AES-256 transport KEK (required)')
    .option('--kbpk <label>', 'id or label of the KEK\'s counterpart KBPK in the MNO tenant', 'factory transport KBPK')
    .option('--prefix <prefix>', 'SE id prefix, new for each run: SE ids <prefix>-00001… (default fleet-<6 random hex digits>)')
    .option('--ca <pem>', 'CA certificate(s) of the TSM\'s TLS certificate, for https/wss with a private CA')
    .option('--duration <seconds>', 'stay connected this long (default: until Ctrl-C or SIGTERM)')
    .option('--json', 'print the summary as JSON')
    .addHelpText('after', HELP)
    .action((_o: unknown, cmd: Command) => fleet(cmd.opts<Record<string, unknown>>()));
}
