/**
 * How an APDU trace line shows a command and a response (CONVENTIONS.md §8: traces redact secrets).
 * The data field of PUT KEY, STORE DATA and EXTERNAL AUTHENTICATE (the host cryptogram and its MAC),
 * and of every secured command while the session encrypts command data (C-DECRYPTION), is replaced
 * by `<redacted n bytes>`; the header, Lc and Le stay, so the trace still reads as a conversation.
 * Pure functions over bytes: what they print depends only on their arguments.
 */
import { describeSw, parseCommand } from '../../apdu/index.ts';
import { toHex } from '../../bytes/index.ts';
import { hasSecureMessaging, isValidCla } from '../../gp/index.ts';

/** INS codes whose data field never appears in a trace (GPC 2.3.1 Table 11-1; §E.5.2). */
export const REDACTED_INS: ReadonlyMap<number, string> = new Map([
  [0xd8, 'PUT KEY'],
  [0xe2, 'STORE DATA'],
  [0x82, 'EXTERNAL AUTHENTICATE'],
]);

/** What the trace knows about the channel a command travels on. */
export interface TraceContext {
  /** A secure channel with C-DECRYPTION is open: secured commands carry encrypted data. */
  readonly commandEncryption: boolean;
}

/** The placeholder for a hidden data field. */
export function redacted(length: number): string {
  return `<redacted ${length} bytes>`;
}

/** True when the data field of `command` (raw bytes) must not be shown. */
export function mustRedact(cla: number, ins: number, context: TraceContext): boolean {
  if (REDACTED_INS.has(ins)) return true;
  return context.commandEncryption && isValidCla(cla) && hasSecureMessaging(cla);
}

/**
 * One command as a trace shows it: `CLA INS P1 P2 [Lc data] [Le]` in hex, the data field redacted
 * where {@link mustRedact} says so. Bytes that do not parse as an APDU print as their header only
 * when redaction applies, else whole.
 * @example formatCommand(hex`80D8008143…`, { commandEncryption: false }) // '80D80081 43 <redacted 67 bytes> 00'
 */
export function formatCommand(command: Uint8Array, context: TraceContext): string {
  if (command.length < 4) return toHex(command);
  const header = toHex(command.subarray(0, 4));
  const hide = mustRedact(command[0]!, command[1]!, context);
  let apdu;
  try {
    apdu = parseCommand(command);
  } catch {
    return hide ? `${header} ${redacted(command.length - 4)}` : toHex(command);
  }
  const parts = [header];
  const n = apdu.data.length;
  if (n > 0) {
    parts.push(apdu.extended ? `00${n.toString(16).toUpperCase().padStart(4, '0')}` : n.toString(16).toUpperCase().padStart(2, '0'));
    parts.push(hide ? redacted(n) : toHex(apdu.data));
  }
  if (apdu.ne !== undefined) {
    const le = apdu.extended ? (apdu.ne === 65536 ? 0 : apdu.ne) : apdu.ne === 256 ? 0 : apdu.ne;
    parts.push(le.toString(16).toUpperCase().padStart(apdu.extended ? (n > 0 ? 4 : 6) : 2, '0'));
  }
  return parts.join(' ');
}

/**
 * One response as a trace shows it: data (if any), then the status word and its meaning.
 * @example formatResponse(hex`9000`) // '9000 (success)'
 */
export function formatResponse(response: Uint8Array): string {
  if (response.length < 2) return `${toHex(response)} (malformed: no status word)`;
  const sw = (response[response.length - 2]! << 8) | response[response.length - 1]!;
  const meaning = describeSw(sw).slice(5);
  const data = response.subarray(0, response.length - 2);
  return `${data.length > 0 ? `${toHex(data)} ` : ''}${toHex(response.subarray(response.length - 2))} (${meaning})`;
}
