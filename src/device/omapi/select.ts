/**
 * The commands the service itself sends to open, select on and close channels (ISO/IEC 7816-4
 * §11.1.2 MANAGE CHANNEL, §11.2.2 SELECT), and how their status words map to OMAPI outcomes.
 */
import { describeSw, type ResponseApdu } from '../../apdu/index.ts';
import { DeviceError } from '../errors.ts';
import { claOnChannel } from '../terminal.ts';
import { serviceCommand, type TerminalPort } from './terminal-port.ts';

const INS_MANAGE_CHANNEL = 0x70;
const INS_SELECT = 0xa4;
/** SELECT P1: by DF name (ISO/IEC 7816-4 §11.2.2). */
const P1_BY_NAME = 0x04;
/** SELECT P2 b2b1 = 10: next occurrence (ISO/IEC 7816-4 §11.2.2). */
const P2_NEXT_OCCURRENCE = 0x02;

/**
 * MANAGE CHANNEL open answers that mean "no channel free" (AOSP ISecureElement HAL
 * CHANNEL_NOT_AVAILABLE; the SIMalliance terminals map 6881 and 6A81 to it): the open call
 * returns null.
 */
const NO_FREE_CHANNEL = new Set([0x6881, 0x6a81, 0x6a84]);

/**
 * SELECT answers that mean the applet is not there or not selectable: 6A82 (ISO/IEC 7816-4 file
 * or application not found), 6999 (Java Card applet selection failed) and 6985 (conditions of use
 * not satisfied, e.g. a locked applet) — the set the SIMalliance reference terminals and AOSP's
 * vendor HALs throw NoSuchElementException for.
 */
const NOT_FOUND = new Set([0x6a82, 0x6999, 0x6985]);

/** A SELECT P2 the applet refuses (6A86 incorrect P1-P2): the HAL's UNSUPPORTED_OPERATION. */
const P2_REFUSED = 0x6a86;

function swText(sw: number): string {
  return describeSw(sw);
}

/** Whether a SELECT answer selected the applet: 9000, or a 62xx/63xx warning (AOSP Channel.selectNext accepts the same). */
export function selected(sw: number): boolean {
  return (sw & 0xf000) === 0x9000 || (sw & 0xff00) === 0x6200 || (sw & 0xff00) === 0x6300;
}

/**
 * MANAGE CHANNEL open from the basic channel, the card assigning the number (P1 00, P2 00, Le 01).
 * Returns the new channel number, or undefined when the SE has no channel free.
 */
export async function manageChannelOpen(port: TerminalPort): Promise<number | undefined> {
  const response = await port.exchange(serviceCommand(0x00, INS_MANAGE_CHANNEL, 0x00, 0x00, undefined, 1));
  if (NO_FREE_CHANNEL.has(response.sw)) return undefined;
  if (response.sw !== 0x9000) {
    throw new DeviceError('ERR_DEVICE_TRANSPORT', `${port.terminal.name}: MANAGE CHANNEL answered ${swText(response.sw)}`, { sw: response.sw });
  }
  const channel = response.data.length === 1 ? response.data[0]! : -1;
  // ISO/IEC 7816-4 §5.4.1: logical channels 1–19
  if (channel < 1 || channel > 19 || port.openChannels.has(channel)) {
    throw new DeviceError('ERR_DEVICE_TRANSPORT', `${port.terminal.name}: MANAGE CHANNEL returned an unusable channel number`);
  }
  return channel;
}

/** MANAGE CHANNEL close of logical channel `channel` (P1 80, P2 = the channel), sent on that channel. Returns the status word. */
export async function manageChannelClose(port: TerminalPort, channel: number): Promise<number> {
  const response = await port.exchange(serviceCommand(claOnChannel(0x00, channel), INS_MANAGE_CHANNEL, 0x80, channel));
  return response.sw;
}

/** SELECT by DF name of `aid` on `channel` with `p2`; Le 00 (the FCI, whatever its length). */
export function selectByName(port: TerminalPort, channel: number, aid: Uint8Array, p2: number): Promise<ResponseApdu> {
  return port.exchange(serviceCommand(claOnChannel(0x00, channel), INS_SELECT, P1_BY_NAME, p2, aid, 256));
}

/** SELECT of the next application matching `aid` on `channel`: the open call's P2 with the next-occurrence bits. */
export function selectNextByName(port: TerminalPort, channel: number, aid: Uint8Array, p2: number): Promise<ResponseApdu> {
  return selectByName(port, channel, aid, (p2 & 0xfc) | P2_NEXT_OCCURRENCE);
}

/**
 * SELECT with no AID on the basic channel: the default application again, after a basic channel
 * that selected an applet is closed (AOSP Terminal.selectDefaultApplication). Returns the status word.
 */
export async function selectDefault(port: TerminalPort): Promise<number> {
  const response = await port.exchange(serviceCommand(0x00, INS_SELECT, P1_BY_NAME, 0x00, undefined, 256));
  return response.sw;
}

/**
 * Throws the OMAPI error for a SELECT answer that did not select: NO_SUCH_ELEMENT for the
 * not-found set, UNSUPPORTED for a refused P2, TRANSPORT (IOException) otherwise. The error carries the SW.
 */
export function checkSelectAnswer(port: TerminalPort, sw: number): void {
  if (selected(sw)) return;
  const name = port.terminal.name;
  if (NOT_FOUND.has(sw)) throw new DeviceError('ERR_DEVICE_NO_SUCH_ELEMENT', `${name}: the applet is not selectable (SELECT answered ${swText(sw)})`, { sw });
  if (sw === P2_REFUSED) throw new DeviceError('ERR_DEVICE_UNSUPPORTED', `${name}: the applet refused the SELECT P2 (${swText(sw)})`, { sw });
  throw new DeviceError('ERR_DEVICE_TRANSPORT', `${name}: SELECT answered ${swText(sw)}`, { sw });
}
