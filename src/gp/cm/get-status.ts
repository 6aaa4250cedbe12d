import { commandApdu, type CommandApdu } from '../../apdu/index.ts';
import { assertBytes } from '../../bytes/index.ts';
import { encodeTlvList, parseTlvList, tlv, type Tlv } from '../../tlv/index.ts';
import { AID_MAX_LENGTH } from './aid.ts';
import { badArgument, badData, badHeader, guardCard } from './fail.ts';
import { expectCommand, gpCla, hex2, INS } from './header.ts';
import { decodeTagList, encodeTagList } from './tag-list.ts';

/** GET STATUS P1: which part of the registry (GPC 2.3.1 Table 11-33). */
export const GET_STATUS_SCOPE = {
  /** '80': the Issuer Security Domain only; search criteria ignored. */
  isd: 0x80,
  /** '40': applications, including Security Domains. */
  applications: 0x40,
  /** '20': Executable Load Files. */
  loadFiles: 0x20,
  /** '10': Executable Load Files and their Executable Modules. */
  loadFilesAndModules: 0x10,
} as const;
/** A GET STATUS scope name (Table 11-33). */
export type GetStatusScope = keyof typeof GET_STATUS_SCOPE;

/** GET STATUS P2 bits (Table 11-34): b1 get next, b2 tag-format response. */
export const GET_STATUS_P2 = { next: 0x01, tagFormat: 0x02 } as const;

/** Response formats: 'tag' (P2 b2 = 1, Tables 11-36/11-37) or the deprecated 'legacy' (P2 b2 = 0). */
export type GetStatusFormat = 'tag' | 'legacy';

/** A GET STATUS request (host side) or a parsed one (card side). */
export interface GetStatusQuery {
  readonly scope: GetStatusScope;
  /** Continue after '6310' (P2 b1). */
  readonly next?: boolean;
  /** Default 'tag'. */
  readonly format?: GetStatusFormat;
  /** Search AID or prefix for '4F' (0–16 bytes; empty matches everything, §11.4.2.3). */
  readonly aid?: Uint8Array;
  /** Tag list '5C': which objects each 'E3' should hold. */
  readonly tagList?: readonly number[];
}

/** A parsed GET STATUS command (card side, Tables 11-32..11-35). */
export interface GetStatusCommand {
  readonly kind: 'get-status';
  readonly scope: GetStatusScope;
  readonly next: boolean;
  readonly format: GetStatusFormat;
  readonly aid: Uint8Array;
  readonly tagList: readonly number[] | undefined;
  /** Other search criteria after '4F' (§11.4.2.3; the card may ignore them). */
  readonly otherCriteria: readonly Tlv[];
}

/**
 * Builds GET STATUS (GPC 2.3.1 §11.4, Tables 11-32..11-35): `80 F2 P1 P2 Lc 4F len aid [5C tags] 00`.
 * @example buildGetStatus({ scope: 'applications' }) // 80 F2 40 02 02 4F 00 00
 */
export function buildGetStatus(query: GetStatusQuery, options: { cla?: number } = {}): CommandApdu {
  const p1 = (GET_STATUS_SCOPE as Record<string, number | undefined>)[query.scope];
  if (p1 === undefined) throw badArgument(`GET STATUS: unknown scope ${String(query.scope)}`);
  if (query.scope === 'isd' && query.next === true) throw badArgument('GET STATUS: "next" is not allowed for the ISD (§11.4.2.2)');
  const aid = query.aid ?? new Uint8Array(0);
  assertBytes(aid, undefined, 'GET STATUS search AID');
  if (aid.length > AID_MAX_LENGTH) throw badArgument(`GET STATUS: search AID of ${aid.length} bytes (0 to 16)`);
  const criteria: Tlv[] = [tlv(0x4f, aid)];
  if (query.tagList !== undefined) criteria.push(tlv(0x5c, encodeTagList(query.tagList)));
  const p2 = (query.format === 'legacy' ? 0 : GET_STATUS_P2.tagFormat) | (query.next === true ? GET_STATUS_P2.next : 0);
  return commandApdu({ cla: gpCla(options.cla), ins: INS.GET_STATUS, p1, p2, data: encodeTlvList(criteria), ne: 256 });
}

/**
 * Card side: parses GET STATUS (Tables 11-32..11-35). P1 must name exactly one scope and "next"
 * is refused for the ISD (6A86); the data must start with '4F' of 0–16 bytes (6A80). RFU bits of
 * P1 (b4–b1) and P2 (b8–b3) are ignored (§11.1).
 */
export function parseGetStatusCommand(command: CommandApdu): GetStatusCommand {
  expectCommand(command, INS.GET_STATUS, 'GET STATUS');
  const scope = (Object.keys(GET_STATUS_SCOPE) as GetStatusScope[]).find((s) => GET_STATUS_SCOPE[s] === (command.p1 & 0xf0));
  if (scope === undefined) throw badHeader(`GET STATUS: P1 ${hex2(command.p1)} is not 80, 40, 20 or 10`);
  const next = (command.p2 & GET_STATUS_P2.next) !== 0;
  if (scope === 'isd' && next) throw badHeader('GET STATUS: get next is refused for the ISD (§11.4.2.2)');
  return guardCard('GET STATUS', () => {
    const objects = parseTlvList(command.data);
    const search = objects[0];
    if (search?.tag !== 0x4f || search.value.length > AID_MAX_LENGTH) throw badData('GET STATUS: data must start with 4F of 0 to 16 bytes');
    const rest = objects.slice(1);
    const list = rest.find((o) => o.tag === 0x5c);
    return Object.freeze({
      kind: 'get-status',
      scope,
      next,
      format: (command.p2 & GET_STATUS_P2.tagFormat) !== 0 ? 'tag' : 'legacy',
      aid: search.value.slice(),
      tagList: list === undefined ? undefined : decodeTagList(list.value),
      otherCriteria: Object.freeze(rest.filter((o) => o.tag !== 0x5c)),
    });
  });
}
