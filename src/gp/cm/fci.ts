import { assertBytes, assertInt, readUintBe, uintBe } from '../../bytes/index.ts';
import { encodeTlv, findTlv, parseTlv, tlv, type Tlv } from '../../tlv/index.ts';
import { assertAid, isAid } from './aid.ts';
import { parseCardRecognitionData, type CardRecognitionData } from './card-data.ts';
import { badResponse, guardHost } from './fail.ts';

/** The File Control Information a Security Domain returns to SELECT (GPC 2.3.1 §11.9.3.1, Table 11-82). */
export interface Fci {
  readonly kind: 'fci';
  /** '84': the selected application's AID. */
  readonly aid: Uint8Array;
  /** '73' in 'A5': Security Domain Management Data (§H.3), parsed. */
  readonly managementData: CardRecognitionData | undefined;
  /** '9F6E' in 'A5': application production life cycle data, raw. */
  readonly productionLifeCycle: Uint8Array | undefined;
  /** '9F65' in 'A5': maximum length of the command data field (mandatory for SDs; absent on some applets). */
  readonly maxCommandDataLength: number | undefined;
  /** Every object of 'A5' (including unknown ones), for callers that need more. */
  readonly proprietary: readonly Tlv[];
}

/**
 * Parses a SELECT response (Table 11-82): `6F { 84 AID, A5 { [73], [9F6E], 9F65, … } }`. '6F' and
 * '84' are required; 'A5' is read when present.
 * @example parseFci(response.data).maxCommandDataLength // 255: size LOAD blocks by it
 */
export function parseFci(data: Uint8Array): Fci {
  assertBytes(data, undefined, 'FCI');
  return guardHost('FCI', () => {
    const fci = parseTlv(data);
    if (fci.tag !== 0x6f) throw badResponse('FCI: expected template 6F');
    const kids = fci.children ?? [];
    const aid = findTlv(kids, 0x84)?.value;
    if (!isAid(aid)) throw badResponse('FCI: 84 (AID of 5 to 16 bytes) is missing');
    const a5 = findTlv(kids, 0xa5);
    const proprietary = a5?.children ?? [];
    const max = findTlv(proprietary, 0x9f65)?.value;
    if (max !== undefined && (max.length < 1 || max.length > 4)) throw badResponse('FCI: 9F65 must be 1 to 4 bytes');
    const management = findTlv(proprietary, 0x73);
    return Object.freeze({
      kind: 'fci',
      aid: aid.slice(),
      managementData: management === undefined ? undefined : parseCardRecognitionData(management),
      productionLifeCycle: findTlv(proprietary, 0x9f6e)?.value.slice(),
      maxCommandDataLength: max === undefined ? undefined : readUintBe(max),
      proprietary,
    });
  });
}

/** What a Security Domain puts in its FCI (card side, Table 11-82). */
export interface FciFields {
  readonly aid: Uint8Array;
  readonly maxCommandDataLength: number;
  /** Template '73' (e.g. from `encodeCardRecognitionData`). */
  readonly managementData?: Tlv;
  readonly productionLifeCycle?: Uint8Array;
}

/** Builds the FCI (Table 11-82); '9F65' is coded on one byte up to 255, else two. */
export function encodeFci(fields: FciFields): Uint8Array {
  assertAid(fields.aid, 'FCI AID');
  assertInt(fields.maxCommandDataLength, 1, 0xffff, 'maxCommandDataLength');
  const a5: Tlv[] = [];
  if (fields.managementData !== undefined) a5.push(fields.managementData);
  if (fields.productionLifeCycle !== undefined) a5.push(tlv(0x9f6e, fields.productionLifeCycle));
  a5.push(tlv(0x9f65, uintBe(fields.maxCommandDataLength, fields.maxCommandDataLength > 0xff ? 2 : 1)));
  return encodeTlv(tlv(0x6f, [tlv(0x84, fields.aid), tlv(0xa5, a5)]));
}
