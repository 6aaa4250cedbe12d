/**
 * The plumbing every card operation shares: sending a command inside a secure channel and turning
 * a refusal into a `GpError` that carries the card's status word (the job engine records it), the
 * AIDs and privileges a deploy uses by default, and AID comparison. Nothing here is secret.
 */
import { describeSw, SW, type CommandApdu, type ResponseApdu } from '../../../apdu/index.ts';
import { fromHex, toHex } from '../../../bytes/index.ts';
import { GpError, type SecureChannelSession } from '../../../gp/index.ts';
import { TsmError } from '../../errors.ts';

/** The Security Domain package and module every GP card carries (GPC 2.3.1 §9.3.6; the virtual SE's too). */
export const SD_PACKAGE_AID: Uint8Array = fromHex('A0000001515350');
export const SD_MODULE_AID: Uint8Array = fromHex('A000000151535041');
/** The PPSE ("2PAY.SYS.DDF01", EMV Book B §3.3). */
export const PPSE_AID: Uint8Array = fromHex('325041592E5359532E4444463031');
/** SCP03 KVN the initial (handover) key set uses by default: the last of the SCP03 range '30'–'3F' (GPC 2.3.1 §11.1.8). */
export const DEFAULT_INITIAL_KVN = 0x3f;

/** Sends `command` in `session`; returns the response when the card answered 9000 (or a 62xx/63xx warning). */
export async function sendOk(session: SecureChannelSession, command: CommandApdu, what: string): Promise<ResponseApdu> {
  return expectOk(await session.transmit(command), what);
}

/** The response when its status word is 9000 or a warning; otherwise `ERR_GP_STATUS` with the status word. */
export function expectOk(response: ResponseApdu, what: string): ResponseApdu {
  if (response.sw === SW.OK || (response.sw >= 0x6200 && response.sw <= 0x63ff)) return response;
  throw cardRefused(response.sw, what);
}

/** The typed error of a card refusal: `ERR_GP_STATUS` carrying `sw`. */
export function cardRefused(sw: number, what: string): GpError {
  return new GpError('ERR_GP_STATUS', `${what}: the card answered ${describeSw(sw)}`, { sw });
}

/** Sends every command; stops at the first refusal. */
export async function sendAllOk(session: SecureChannelSession, commands: readonly CommandApdu[], what: string): Promise<void> {
  for (const command of commands) await sendOk(session, command, what);
}

/** True when two public values (AIDs, certificate hashes) are the same bytes: a plain compare, nothing secret. */
export function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  return a !== undefined && b !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
}

/** True when two AIDs are the same bytes. */
export const sameAid = sameBytes;

/** Parses an AID given as hex (5–16 bytes, ISO/IEC 7816-5), or refuses with `ERR_TSM_REQUEST` naming `field`. */
export function aidArg(value: Uint8Array | string, field: string): Uint8Array {
  let bytes: Uint8Array;
  if (value instanceof Uint8Array) bytes = value;
  else if (typeof value === 'string' && /^([0-9A-Fa-f]{2})+$/.test(value)) bytes = fromHex(value);
  else throw new TsmError('ERR_TSM_REQUEST', `${field}: expected an AID (hex)`);
  if (bytes.length < 5 || bytes.length > 16) throw new TsmError('ERR_TSM_REQUEST', `${field}: an AID is 5 to 16 bytes, got ${bytes.length}`);
  return bytes;
}

/** Checks a key version number of the SCP03 range, or refuses naming `field`. */
export function kvnArg(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 1 || value > 0x7f) throw new TsmError('ERR_TSM_REQUEST', `${field}: a key version number is 1..7F`);
  return value;
}

/** Upper-case hex of an AID, for messages and records. */
export function aidHex(aid: Uint8Array): string {
  return toHex(aid).toUpperCase();
}
