/**
 * `opentsm gp apdu HEX...`: raw command APDUs, in order, each answer printed with its status word.
 * Plain by default, exactly as given (no SELECT first); with `--secure` inside the secure channel to
 * the Security Domain (wrapped by the session, GPPro `-s`). A status word other than 9000 is
 * printed, not thrown: raw mode reports what the card said.
 */
import { describeSw, parseCommand, transmit, type CommandApdu } from '../../apdu/index.ts';
import { toHex } from '../../bytes/index.ts';
import { hasSecureMessaging, isValidCla } from '../../gp/index.ts';
import { CliError } from '../errors.ts';
import type { GpContext } from './context.ts';
import { parseHex } from './parse.ts';

function commandOf(text: string, index: number): CommandApdu {
  const bytes = parseHex(text, `APDU ${index + 1}`);
  try {
    return parseCommand(bytes);
  } catch (e) {
    throw new CliError('ERR_CLI_USAGE', `APDU ${index + 1}: not a command APDU (${e instanceof Error ? e.message : String(e)})`, { cause: e });
  }
}

/** Sends each APDU in order and prints each answer; all are parsed before the first is sent. */
export async function gpApdu(ctx: GpContext, apdus: readonly string[], secure: boolean): Promise<void> {
  const commands = apdus.map((text, i) => commandOf(text, i)); // all checked before the first is sent
  if (secure) {
    const i = commands.findIndex((c) => !isValidCla(c.cla) || hasSecureMessaging(c.cla));
    if (i >= 0) throw new CliError('ERR_CLI_USAGE', `APDU ${i + 1}: with --secure give the plain command (e.g. CLA 80, not 84): the secure channel adds the MAC`);
  }
  for (const command of commands) {
    const r = secure ? await (await ctx.session()).transmit(command) : await transmit(ctx.transport, command);
    ctx.out.out(`${r.data.length > 0 ? `${toHex(r.data)} ` : ''}${describeSw(r.sw)}`);
  }
}
