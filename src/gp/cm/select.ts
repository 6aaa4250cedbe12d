import { commandApdu, type CommandApdu } from '../../apdu/index.ts';
import { assertBytes, assertInt } from '../../bytes/index.ts';
import { AID_MAX_LENGTH } from './aid.ts';
import { badArgument, badData, badHeader, CM_SW } from './fail.ts';
import { expectCommand, hex2, INS } from './header.ts';

/** SELECT P1 '04': select by name (GPC 2.3.1 Table 11-80). */
export const SELECT_BY_NAME = 0x04;
/** SELECT P2 occurrences (Table 11-81). */
export const SELECT_OCCURRENCE = { first: 0x00, next: 0x02 } as const;

/** A parsed SELECT [by name] (GPC 2.3.1 §11.9). */
export interface SelectCommand {
  readonly kind: 'select';
  /** The AID or partial AID; undefined when Lc is absent (select the ISD, §11.9.2.3). */
  readonly aid: Uint8Array | undefined;
  readonly occurrence: keyof typeof SELECT_OCCURRENCE;
}

/**
 * Builds SELECT [by name] (GPC 2.3.1 §11.9, Tables 11-79..11-81): `00 A4 04 00 Lc AID 00`. Without
 * an AID it is the case 2 form that selects the Issuer Security Domain (§11.9.2.3). A partial AID
 * (1–16 bytes) with `next` walks the matching applications (ISO 7816-4).
 * @example buildSelect(GP_ISD_AID) // 00 A4 04 00 08 A000000151000000 00
 */
export function buildSelect(aid?: Uint8Array, options: { next?: boolean; channel?: number } = {}): CommandApdu {
  if (aid !== undefined) {
    assertBytes(aid, undefined, 'SELECT AID');
    if (aid.length < 1 || aid.length > AID_MAX_LENGTH) throw badArgument(`SELECT AID: 1 to 16 bytes, got ${aid.length}`);
  }
  const channel = options.channel ?? 0;
  assertInt(channel, 0, 3, 'logical channel'); // Table 11-79: CLA '00'-'03' on the basic coding
  return commandApdu({
    cla: channel,
    ins: INS.SELECT,
    p1: SELECT_BY_NAME,
    p2: options.next === true ? SELECT_OCCURRENCE.next : SELECT_OCCURRENCE.first,
    data: aid?.slice(),
    ne: 256, // §11.1.5: Le '00'
  });
}

/**
 * Card side: parses SELECT [by name] (Tables 11-79..11-81). P1 other than '04' or P2 other than
 * '00'/'02' answers 6A86; a name longer than 16 bytes answers 6700.
 */
export function parseSelectCommand(command: CommandApdu): SelectCommand {
  expectCommand(command, INS.SELECT, 'SELECT', 'iso');
  if (command.p1 !== SELECT_BY_NAME) throw badHeader(`SELECT: P1 ${hex2(command.p1)} is not select by name (04)`);
  const occurrence = command.p2 === SELECT_OCCURRENCE.first ? 'first' : command.p2 === SELECT_OCCURRENCE.next ? 'next' : undefined;
  if (occurrence === undefined) throw badHeader(`SELECT: P2 ${hex2(command.p2)} is not 00 or 02`);
  if (command.data.length > AID_MAX_LENGTH) throw badData(`SELECT: name of ${command.data.length} bytes (at most 16)`, CM_SW.WRONG_LENGTH);
  return Object.freeze({
    kind: 'select',
    aid: command.data.length === 0 ? undefined : command.data.slice(),
    occurrence,
  });
}
