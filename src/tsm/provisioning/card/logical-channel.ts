/**
 * Reading an application's own state beside an open secure channel: a supplementary logical channel
 * opened with MANAGE CHANNEL (ISO/IEC 7816-4 §11.1.2), the application selected there, the commands
 * sent, the channel closed — the Security Domain's session on the basic channel is not disturbed.
 */
import { commandApdu, encodeCommand, parseResponse, SW, type ApduTransport, type CommandApdu, type ResponseApdu } from '../../../apdu/index.ts';
import { buildSelect } from '../../../gp/index.ts';
import { cardRefused } from './commands.ts';

/** ISO/IEC 7816-4 §5.4.1: the interindustry class byte of logical channel `n` (0–3 first coding, 4–19 further). */
function isoCla(channel: number): number {
  return channel < 4 ? channel : 0x40 | (channel - 4);
}

/** The proprietary (80) class byte of logical channel `n`, the same codings. */
export function proprietaryCla(channel: number): number {
  return channel < 4 ? 0x80 | channel : 0xc0 | (channel - 4);
}

async function send(transport: ApduTransport, command: CommandApdu): Promise<ResponseApdu> {
  return parseResponse(await transport.transmit(encodeCommand(command)));
}

/** What {@link withSelectedApplication} gives its callback. */
export interface SelectedApplication {
  /** The logical channel the application is selected on. */
  readonly channel: number;
  /** The SELECT response (status word and FCI). */
  readonly select: ResponseApdu;
  /** Sends a command on that channel (build it with {@link proprietaryCla} / the ISO class of the channel). */
  send(command: CommandApdu): Promise<ResponseApdu>;
}

/**
 * Opens a logical channel, SELECTs `aid` there and runs `body`; the channel is closed afterwards
 * whatever happened. `body` sees the SELECT status word (an application that cannot be selected —
 * absent 6A82, locked — is for the caller to judge).
 */
export async function withSelectedApplication<T>(transport: ApduTransport, aid: Uint8Array, body: (app: SelectedApplication) => Promise<T>): Promise<T> {
  const open = await send(transport, commandApdu({ cla: 0x00, ins: 0x70, p1: 0x00, p2: 0x00, ne: 1 }));
  if (open.sw !== SW.OK || open.data.length !== 1) throw cardRefused(open.sw, 'MANAGE CHANNEL open');
  const channel = open.data[0]!;
  try {
    const base = buildSelect(aid);
    const select = await send(transport, commandApdu({ cla: isoCla(channel), ins: base.ins, p1: base.p1, p2: base.p2, data: base.data, ne: base.ne }));
    return await body({ channel, select, send: (command) => send(transport, command) });
  } finally {
    await send(transport, commandApdu({ cla: 0x00, ins: 0x70, p1: 0x80, p2: channel }));
  }
}
