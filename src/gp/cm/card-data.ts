import { assertBytes, assertInt } from '../../bytes/index.ts';
import { encodeTlv, parseTlv, tlv, type Tlv } from '../../tlv/index.ts';
import { badArgument, badResponse, guardHost } from './fail.ts';
import { decodeOid, encodeOid, GP_OID, gpArcs } from './oid.ts';

/** A Secure Channel Protocol and its implementation option `i` (GPC 2.3.1 §H.2 note 4, §10.7). */
export interface ScpOption {
  readonly scp: number;
  readonly i: number;
}

/**
 * Card Recognition Data (GPC 2.3.1 §H.2 Tables H-1/H-2), also the Security Domain Management Data
 * of the FCI (§H.3 Tables H-3/H-4): template '73'.
 */
export interface CardRecognitionData {
  readonly kind: 'card-recognition-data';
  /** GP version from tag '60' {globalPlatform 2 v}, e.g. "2.1.1" (note 2). */
  readonly gpVersion: string | undefined;
  /** True when tag '63' announces {globalPlatform 3}, the IIN+CIN identification scheme (note 3). */
  readonly cardIdentificationScheme: boolean;
  /** Every {globalPlatform 4 scp i} under tag(s) '64', formats 1 and 2 (note 4). */
  readonly secureChannels: readonly ScpOption[];
  /** Card configuration details, tag '65' (note 5), raw. */
  readonly configuration: Uint8Array | undefined;
  /** Card / chip details, the OIDs under tag '66' (note 6), e.g. Java Card version. */
  readonly chipDetails: readonly string[];
}

const OID_TAG = 0x06;

function oidsIn(node: Tlv): string[] {
  return (node.children ?? []).filter((c) => c.tag === OID_TAG).map((c) => {
    const oid = decodeOid(c.value);
    if (oid === undefined) throw badResponse('card recognition data: malformed OID');
    return oid;
  });
}

function scpOf(oid: string): ScpOption {
  const arcs = gpArcs(oid);
  // §H.2 note 4: {globalPlatform 4 scp i}
  if (arcs?.length !== 3 || arcs[0] !== 4 || arcs[1]! > 0xff || arcs[2]! > 0xff) {
    throw badResponse(`card recognition data: ${oid} is not {globalPlatform 4 scp i}`);
  }
  return Object.freeze({ scp: arcs[1]!, i: arcs[2]! });
}

/** Parses template '73' (GPC 2.3.1 Tables H-1..H-4). Unknown children are ignored. */
export function parseCardRecognitionData(node: Tlv): CardRecognitionData {
  if (node.tag !== 0x73 || node.children === undefined) throw badResponse('card recognition data: expected template 73');
  const children = node.children;
  const first = children[0];
  // Table H-1: the first object is the OID {globalPlatform 1}
  if (first?.tag !== OID_TAG || decodeOid(first.value) !== `${GP_OID}.1`) {
    throw badResponse('card recognition data: 73 must start with 06 {globalPlatform 1}');
  }
  const find = (tag: number): Tlv | undefined => children.find((c) => c.tag === tag);
  const version = find(0x60);
  const versionArcs = version === undefined ? undefined : gpArcs(oidsIn(version)[0]);
  if (version !== undefined && (versionArcs === undefined || versionArcs[0] !== 2 || versionArcs.length < 2)) {
    throw badResponse('card recognition data: tag 60 must hold {globalPlatform 2 v}');
  }
  const scheme = find(0x63);
  const chip = find(0x66);
  return Object.freeze({
    kind: 'card-recognition-data',
    gpVersion: versionArcs?.slice(1).join('.'),
    cardIdentificationScheme: scheme !== undefined && oidsIn(scheme).includes(`${GP_OID}.3`),
    secureChannels: Object.freeze(children.filter((c) => c.tag === 0x64).flatMap((c) => oidsIn(c).map(scpOf))),
    configuration: find(0x65)?.value.slice(),
    chipDetails: Object.freeze(chip === undefined ? [] : oidsIn(chip)),
  });
}

/**
 * Parses a GET DATA '66' response (Card Data, GPC 2.3.1 §11.3.3, §H.2): `66 { 73 { … } }`, or a bare
 * '73' as some cards return.
 * @example parseCardData(response.data).secureChannels // [{ scp: 2, i: 0x15 }]
 */
export function parseCardData(data: Uint8Array): CardRecognitionData {
  assertBytes(data, undefined, 'card data');
  return guardHost('card data', () => {
    const top = parseTlv(data);
    const inner = top.tag === 0x66 ? top.children?.find((c) => c.tag === 0x73) : top;
    if (inner === undefined) throw badResponse('card data: 66 has no template 73');
    return parseCardRecognitionData(inner);
  });
}

/** What {@link encodeCardData} writes (card side). */
export interface CardDataFields {
  /** "2.3.1" → {globalPlatform 2 2 3 1}. */
  readonly gpVersion?: string;
  readonly cardIdentificationScheme?: boolean;
  readonly secureChannels: readonly ScpOption[];
  /** OIDs for tag '66' (e.g. Java Card version). */
  readonly chipDetails?: readonly string[];
}

/** Builds template '73' (Table H-1 format 1: one '64' per SCP). */
export function encodeCardRecognitionData(fields: CardDataFields): Tlv {
  const oid = (dotted: string): Tlv => tlv(OID_TAG, encodeOid(dotted));
  const children: Tlv[] = [oid(`${GP_OID}.1`)];
  if (fields.gpVersion !== undefined) {
    if (!/^\d+(\.\d+)*$/.test(fields.gpVersion)) throw badArgument(`GP version ${fields.gpVersion}: expected e.g. 2.3.1`);
    children.push(tlv(0x60, [oid(`${GP_OID}.2.${fields.gpVersion}`)]));
  }
  if (fields.cardIdentificationScheme === true) children.push(tlv(0x63, [oid(`${GP_OID}.3`)]));
  for (const s of fields.secureChannels) {
    assertInt(s.scp, 0, 0xff, 'SCP');
    assertInt(s.i, 0, 0xff, 'SCP i');
    children.push(tlv(0x64, [oid(`${GP_OID}.4.${s.scp}.${s.i}`)]));
  }
  if (fields.chipDetails !== undefined && fields.chipDetails.length > 0) children.push(tlv(0x66, fields.chipDetails.map(oid)));
  return tlv(0x73, children);
}

/** Builds the GET DATA '66' response body `66 { 73 { … } }` (GPC 2.3.1 Table H-1). */
export function encodeCardData(fields: CardDataFields): Uint8Array {
  return encodeTlv(tlv(0x66, [encodeCardRecognitionData(fields)]));
}
