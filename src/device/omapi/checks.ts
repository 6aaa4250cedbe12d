/**
 * The argument checks the Open Mobile API makes before it touches the SE: the AID of an open call,
 * the SELECT P2 it may carry, and the command an app hands to `Channel.transmit`. Every failure is a
 * {@link DeviceError} of the OMAPI kind the reference implementation throws; messages never carry
 * command data.
 */
import { ApduError, parseCommand, type CommandApdu } from '../../apdu/index.ts';
import { DeviceError } from '../errors.ts';

/** The SELECT P2 values the service offers (AOSP SecureElementService: 00, 04, 08, 0C). */
export const SUPPORTED_P2: readonly number[] = Object.freeze([0x00, 0x04, 0x08, 0x0c]);

/**
 * The AID of an open call: undefined, null or empty means "no AID" (the default application); else
 * 5–16 bytes (ISO/IEC 7816-5; AOSP Terminal.openLogicalChannel: IllegalArgumentException
 * "AID out of range").
 */
export function checkAid(aid: Uint8Array | null | undefined): Uint8Array | undefined {
  if (aid === undefined || aid === null) return undefined;
  if (!(aid instanceof Uint8Array)) throw new DeviceError('ERR_DEVICE_ILLEGAL_ARGUMENT', 'AID: expected bytes');
  if (aid.length === 0) return undefined;
  if (aid.length < 5 || aid.length > 16) throw new DeviceError('ERR_DEVICE_ILLEGAL_ARGUMENT', `AID: 5 to 16 bytes, got ${aid.length}`);
  return aid.slice();
}

/**
 * The SELECT P2 of an open call: one of {@link SUPPORTED_P2} (AOSP SecureElementService
 * openBasicChannel/openLogicalChannel: UnsupportedOperationException "p2 not supported").
 */
export function checkP2(p2: number): number {
  if (!Number.isInteger(p2) || p2 < 0 || p2 > 0xff) throw new DeviceError('ERR_DEVICE_ILLEGAL_ARGUMENT', 'P2: expected a byte');
  if (!SUPPORTED_P2.includes(p2)) {
    throw new DeviceError('ERR_DEVICE_UNSUPPORTED', `P2 ${p2.toString(16).toUpperCase().padStart(2, '0')} is not supported (00, 04, 08 or 0C)`);
  }
  return p2;
}

/** Whether `cla` is an interindustry class (b8 = 0, not the RFU 001x xxxx range): the class MANAGE CHANNEL and SELECT live in. */
function interindustry(cla: number): boolean {
  return (cla & 0x80) === 0 && (cla & 0x60) !== 0x20;
}

/**
 * The command of `Channel.transmit`, parsed. android.se.omapi Channel.transmit and AOSP
 * CommandApduValidator: fewer than 4 bytes, Lc/Le inconsistent with the length, CLA FF, INS 6X/9X →
 * IllegalArgumentException. AOSP com.android.se.Channel.transmit: an interindustry MANAGE CHANNEL
 * (INS 70) or SELECT by DF name (INS A4, P1 04) → SecurityException: the service owns channel
 * management and the applet the access decision was made for.
 */
export function checkCommand(command: Uint8Array): CommandApdu {
  if (!(command instanceof Uint8Array)) throw new DeviceError('ERR_DEVICE_ILLEGAL_ARGUMENT', 'command: expected bytes');
  if (command.length < 4) throw new DeviceError('ERR_DEVICE_ILLEGAL_ARGUMENT', `command: at least 4 bytes, got ${command.length}`);
  let apdu: CommandApdu;
  try {
    apdu = parseCommand(command);
  } catch (e) {
    if (e instanceof ApduError) throw new DeviceError('ERR_DEVICE_ILLEGAL_ARGUMENT', 'command: not a valid command APDU (ISO 7816-4 §5.1)', { cause: e });
    throw e;
  }
  if (interindustry(apdu.cla) && apdu.ins === 0x70) throw new DeviceError('ERR_DEVICE_SECURITY', 'MANAGE CHANNEL is not allowed through transmit');
  if (interindustry(apdu.cla) && apdu.ins === 0xa4 && apdu.p1 === 0x04) {
    throw new DeviceError('ERR_DEVICE_SECURITY', 'SELECT by DF name is not allowed through transmit');
  }
  return apdu;
}
