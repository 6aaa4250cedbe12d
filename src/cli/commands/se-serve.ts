/**
 * `opentsm se serve`: puts a virtual card in the system's PC/SC stack through vsmartcard's vpcd
 * reader driver, so any PC/SC program (opensc-tool, GlobalPlatformPro, `opentsm gp --reader`) sees
 * a card in "Virtual PCD 00 00". Runs until interrupted; every state change is saved to the card file.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_APPLET_LIBRARY, FileCardStore, VPCD_DEFAULT_PORT, VirtualSecureElement, VpcdBridge, formatVpcdEvent } from '../../se/index.ts';
import { CliError } from '../errors.ts';

export interface SeServeOptions {
  card: string;
  host: string;
  port: string;
}

/** Starts the bridge and resolves when SIGINT/SIGTERM (or `stop`) closes it. */
export async function seServe(options: SeServeOptions, stop?: AbortSignal): Promise<void> {
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new CliError('ERR_CLI_USAGE', `--port: expected 1..65535, got ${options.port}`);
  const path = resolve(options.card);
  const card = new VirtualSecureElement(new FileCardStore(path), { library: DEFAULT_APPLET_LIBRARY });
  const bridge = new VpcdBridge(card, {
    host: options.host,
    port,
    onEvent: (event) => {
      const line = formatVpcdEvent(event);
      if (line !== undefined) process.stderr.write(`opentsm se serve: ${line}\n`);
    },
  });
  bridge.start();
  process.stderr.write(`opentsm se serve: card ${path} (profile ${card.profile.id}) on vpcd ${options.host}:${port}; Ctrl-C to stop\n`);
  await new Promise<void>((done) => {
    const finish = () => done();
    process.once('SIGINT', finish);
    process.once('SIGTERM', finish);
    stop?.addEventListener('abort', finish, { once: true });
  });
  await bridge.close();
  process.stderr.write(`opentsm se serve: stopped after ${bridge.stats.commands} commands\n`);
}

export function registerSeServe(program: Command): void {
  const se = program.commands.find((c) => c.name() === 'se') ?? program.command('se').description('virtual Secure Elements');
  se.command('serve')
    .description('expose a virtual card to PC/SC through the vsmartcard vpcd reader (pcscd must run with vsmartcard-vpcd)')
    .requiredOption('--card <file>', 'the virtual card state file (from `opentsm se create`)')
    .option('--host <host>', 'pcscd host: keep it on loopback, the link carries every APDU in clear', '127.0.0.1')
    .option('--port <n>', `vpcd port: ${VPCD_DEFAULT_PORT} is reader "Virtual PCD 00 00", ${VPCD_DEFAULT_PORT + 1} "00 01"`, String(VPCD_DEFAULT_PORT))
    .action((opts: SeServeOptions) => seServe(opts));
}
