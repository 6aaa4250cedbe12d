import { commandApdu, type CommandApdu } from '../../apdu/index.ts';
import { assertBytes, assertInt, readUintBe } from '../../bytes/index.ts';
import { parseTlv, tagHex } from '../../tlv/index.ts';
import { badHeader, badResponse, CM_SW, guardHost } from './fail.ts';
import { CLA_GP, CLA_ISO, hex2, INS, isGpCla, isIsoCla } from './header.ts';

/** Data objects a Security Domain serves through GET DATA (GPC 2.3.1 §11.3.2.1; §H.4; GP CPLC). */
export const GET_DATA_TAGS = {
  /** Issuer Identification Number / SD Provider Identification Number. */
  IIN: 0x42,
  /** Card Image Number / SD Image Number. */
  CIN: 0x45,
  /** Card Data (Card Recognition Data, §H.2). */
  CARD_DATA: 0x66,
  /** Card Capability Information (§H.4). */
  CARD_CAPABILITY: 0x67,
  /** Key Information Template (§11.3.3.1.1). */
  KEY_INFORMATION: 0xe0,
  /** Sequence Counter of the default KVN (SCP02; SCP03 pseudo-random challenge). */
  SEQUENCE_COUNTER: 0xc1,
  /** Confirmation Counter (Receipt Generation). */
  CONFIRMATION_COUNTER: 0xc2,
  /** Current Security Level. */
  SECURITY_LEVEL: 0xd3,
  /** List of applications (ISO CLA with INS 'CB', tag list '5C 00'). */
  APPLICATIONS: 0x2f00,
  /** Extended Card Resources Information (ETSI TS 102 226). */
  EXTENDED_CARD_RESOURCES: 0xff21,
  /** Security Domain Manager URL. */
  SD_MANAGER_URL: 0x5f50,
  /** Card Production Life Cycle data (GP Card Spec 2.1.1 / Visa GP; 42 bytes). */
  CPLC: 0x9f7f,
} as const;

/** A parsed GET DATA command (card side). */
export interface GetDataCommand {
  readonly kind: 'get-data';
  /** The tag from P1-P2 ('00' P2 for a one-byte tag). */
  readonly tag: number;
  /** Command data (a tag list for '2F00', else usually empty). */
  readonly data: Uint8Array;
}

/**
 * Builds GET DATA (GPC 2.3.1 §11.3, Table 11-27): `80 CA P1 P2 00` with the tag in P1-P2. Tag
 * '2F00' is sent the ISO way (`00 CB 2F 00 02 5C 00 00`, §11.3.2.2).
 * @example buildGetData(GET_DATA_TAGS.CPLC) // 80 CA 9F 7F 00
 */
export function buildGetData(tag: number, options: { cla?: number } = {}): CommandApdu {
  assertInt(tag, 1, 0xffff, 'GET DATA tag (P1-P2)'); // §11.3.2.1: P1-P2 hold the tag, or '2F00'
  if (tag === GET_DATA_TAGS.APPLICATIONS) {
    return commandApdu({ cla: options.cla ?? CLA_ISO, ins: INS.GET_DATA_ODD, p1: 0x2f, p2: 0x00, data: Uint8Array.of(0x5c, 0x00), ne: 256 });
  }
  const cla = options.cla ?? CLA_GP;
  assertInt(cla, 0, 0xfe, 'CLA');
  return commandApdu({ cla, ins: INS.GET_DATA, p1: tag >> 8, p2: tag & 0xff, ne: 256 });
}

/**
 * Card side: parses GET DATA (Table 11-27): INS 'CA' with a GP or ISO class, or 'CB' with an ISO
 * class only (6D00 otherwise, 6E00 for a class that is neither).
 */
export function parseGetDataCommand(command: CommandApdu): GetDataCommand {
  const gp = isGpCla(command.cla);
  if (!gp && !isIsoCla(command.cla)) throw badHeader(`GET DATA: CLA ${hex2(command.cla)}`, CM_SW.WRONG_CLA);
  const ok = command.ins === INS.GET_DATA || (command.ins === INS.GET_DATA_ODD && !gp);
  if (!ok) throw badHeader(`GET DATA: INS ${hex2(command.ins)} with CLA ${hex2(command.cla)}`, CM_SW.WRONG_INS);
  const tag = command.p1 === 0 ? command.p2 : (command.p1 << 8) | command.p2;
  return Object.freeze({ kind: 'get-data', tag, data: command.data.slice() });
}

/**
 * The value of the single data object `tag` in a GET DATA response (GP class: the response is the
 * whole TLV, §11.3.3.1). Anything else is `ERR_GP_PARSE`.
 * @example getDataValue(response.data, GET_DATA_TAGS.CIN)
 */
export function getDataValue(data: Uint8Array, tag: number): Uint8Array {
  assertBytes(data, undefined, 'GET DATA response');
  return guardHost('GET DATA response', () => {
    const node = parseTlv(data);
    if (node.tag !== tag) throw badResponse(`GET DATA: expected tag ${tagHex(tag)}, got ${tagHex(node.tag)}`);
    return node.value.slice();
  });
}

/**
 * The Sequence Counter from a GET DATA 'C1' response: 2 bytes for SCP02, 3 for SCP03 (GPC 2.3.1
 * §11.3.2.1; Amd D §6.2.1). gp.md §6: rotate keys before it runs out.
 */
export function parseSequenceCounter(data: Uint8Array): number {
  const value = getDataValue(data, GET_DATA_TAGS.SEQUENCE_COUNTER);
  if (value.length < 2 || value.length > 3) throw badResponse(`sequence counter: ${value.length} bytes (2 or 3)`);
  return readUintBe(value);
}
