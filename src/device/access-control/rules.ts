/**
 * The phone's own reading of the ARA-M's rule listing (GP SEAC v1.1 §4.1 and its data objects):
 * Response-ALL-REF-AR-DO 'FF40' { REF-AR-DO 'E2' { REF-DO 'E1', AR-DO 'E3' }* }. Written apart from
 * the card's ARA-M (se/applets/ara-m): the device must not trust the card's encoder to be right.
 *
 * Every input, however hostile, ends in a rule list or ERR_DEVICE_CARD_DATA. A rule the device
 * cannot fully understand fails the whole listing (and so denies): skipping it could drop a
 * "specific rule for another app" and turn a Case A denial into a grant.
 */
import { parseTlvList, type Tlv } from '../../tlv/index.ts';
import { cardData } from '../errors.ts';
import type { ApduAccess, ApduFilter } from './access-decision.ts';

/** Data-object tags of SEAC v1.1 that the device reads. */
export const SEAC_TAG = Object.freeze({
  /** Response-ALL-REF-AR-DO, a two-byte tag. */
  ALL_REF_AR_DO: 0xff40,
  /** Response-RefreshTag-DO. */
  REFRESH_TAG: 0xdf20,
  REF_AR_DO: 0xe2,
  REF_DO: 0xe1,
  AR_DO: 0xe3,
  /** AID-REF-DO: 5–16 bytes, or empty for every SE application. */
  AID_REF_DO: 0x4f,
  /** AID-REF-DO for the implicitly selected (default) application, always empty. */
  DEFAULT_APP_REF_DO: 0xc0,
  /** DeviceAppID-REF-DO: SHA-1 (20) or SHA-256 (32) of a certificate, or empty for every app. */
  DEVICE_APP_ID_REF_DO: 0xc1,
  /** PKG-REF-DO: the Android package name, UTF-8 (new in SEAC v1.1). */
  PKG_REF_DO: 0xca,
  /** APDU-AR-DO: 00 never, 01 always, or 8-byte header/mask filters. */
  APDU_AR_DO: 0xd0,
  /** NFC-AR-DO: 00 never, 01 always. */
  NFC_AR_DO: 0xd1,
  /** PERM-AR-DO (Android carrier privileges, 8 bytes): not an OMAPI rule, ignored here. */
  PERM_AR_DO: 0xdb,
} as const);

/** The AID a rule names (AID-REF-DO). */
export type AidRef =
  | { readonly kind: 'aid'; readonly aid: Uint8Array }
  | { readonly kind: 'all' }
  | { readonly kind: 'default' };

/** One REF-AR-DO as the device understands it. */
export interface AccessRule {
  readonly target: AidRef;
  /** DeviceAppID-REF-DO: 20 or 32 bytes, or empty for every device application. */
  readonly appHash: Uint8Array;
  /** PKG-REF-DO: the rule applies only to this package (SEAC v1.1). */
  readonly packageName?: string;
  /** APDU-AR-DO; undefined when the AR-DO has none. */
  readonly apdu?: ApduAccess;
  /** NFC-AR-DO; undefined when the AR-DO has none. */
  readonly nfc?: boolean;
  /**
   * An Android carrier-privilege rule (AOSP: AID-REF-DO FFFFFFFFFFFF, or a REF-DO without AID-REF-DO):
   * read by telephony, never by the OMAPI enforcer.
   */
  readonly carrierPrivilege: boolean;
}

/** AOSP AID_REF_DO.CARRIER_PRIVILEGE_AID: a pseudo-AID that marks telephony rules. */
const CARRIER_PRIVILEGE_AID = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
/** Longest package name accepted (Android caps package names far below this). */
const MAX_PACKAGE_NAME = 255;

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * The value and the end of a two-byte-tag object at the start of `data` ('FF40', 'DF20'), its
 * length field in definite form of at most 3 bytes (ISO/IEC 8825-1 §8.1.3). Read by hand: the
 * shared BER parser keeps to one-byte-first tags as GP profiles them.
 */
export function readHeader(data: Uint8Array, tag: number, what: string): { readonly start: number; readonly length: number } {
  if (data.length < 3 || data[0] !== tag >> 8 || data[1] !== (tag & 0xff)) throw cardData(`${what}: the answer does not start with ${tag.toString(16).toUpperCase()}`);
  const first = data[2]!;
  if (first < 0x80) return { start: 3, length: first };
  const n = first & 0x7f;
  if (n < 1 || n > 3) throw cardData(`${what}: unsupported length field`);
  if (data.length < 3 + n) throw cardData(`${what}: the length field is cut`);
  let length = 0;
  for (let i = 0; i < n; i++) length = length * 256 + data[3 + i]!;
  return { start: 3 + n, length };
}

/**
 * Parses a whole Response-ALL-REF-AR-DO ('FF40' and its value, nothing after it; SEAC v1.1
 * GET DATA [All]). `FF40 00` is an ARA-M without rules.
 * @example parseAllRefArDo(hex`FF40 10 E2 0E E1 04 4F 00 C1 00 E3 06 D0 01 01 D1 01 01`)[0]?.apdu // 'always'
 */
export function parseAllRefArDo(listing: Uint8Array): readonly AccessRule[] {
  const { start, length } = readHeader(listing, SEAC_TAG.ALL_REF_AR_DO, 'GET DATA [All]');
  if (listing.length !== start + length) throw cardData(`GET DATA [All]: FF40 states ${length} bytes, the answer holds ${listing.length - start}`);
  return parseRefArDoList(listing.subarray(start));
}

/** Parses the value of 'FF40': a sequence of REF-AR-DOs. */
export function parseRefArDoList(value: Uint8Array): readonly AccessRule[] {
  let nodes: readonly Tlv[];
  try {
    nodes = parseTlvList(value, { maxDepth: 4 });
  } catch (e) {
    throw cardData('GET DATA [All]: the rule list is not valid BER-TLV', e);
  }
  return Object.freeze(nodes.map((node, i) => parseRefArDo(node, i)));
}

function parseRefArDo(node: Tlv, index: number): AccessRule {
  const where = `REF-AR-DO #${index + 1}`;
  if (node.tag !== SEAC_TAG.REF_AR_DO || node.children === undefined) throw cardData(`${where}: expected tag E2`);
  const [ref, ar, ...rest] = node.children;
  // GP SEAC v1.1 REF-AR-DO: exactly one REF-DO then one AR-DO
  if (ref?.tag !== SEAC_TAG.REF_DO || ar?.tag !== SEAC_TAG.AR_DO || rest.length > 0 || ref.children === undefined || ar.children === undefined) {
    throw cardData(`${where}: expected E1 then E3`);
  }
  return Object.freeze({ ...parseRefDo(ref.children, where), ...parseArDo(ar.children, where) });
}

function parseRefDo(children: readonly Tlv[], where: string): Pick<AccessRule, 'target' | 'appHash' | 'packageName' | 'carrierPrivilege'> {
  let target: AidRef | undefined;
  let appHash: Uint8Array | undefined;
  let packageName: string | undefined;
  for (const child of children) {
    switch (child.tag) {
      case SEAC_TAG.AID_REF_DO:
      case SEAC_TAG.DEFAULT_APP_REF_DO:
        if (target !== undefined) throw cardData(`${where}: two AID-REF-DOs`);
        target = aidRef(child, where);
        break;
      case SEAC_TAG.DEVICE_APP_ID_REF_DO:
        if (appHash !== undefined) throw cardData(`${where}: two DeviceAppID-REF-DOs`);
        // GP SEAC v1.1 DeviceAppID-REF-DO: SHA-1, SHA-256 (v1.1), or empty for every device application
        if (![0, 20, 32].includes(child.value.length)) throw cardData(`${where}: DeviceAppID-REF-DO of ${child.value.length} bytes (0, 20 or 32)`);
        appHash = child.value.slice();
        break;
      case SEAC_TAG.PKG_REF_DO:
        if (packageName !== undefined) throw cardData(`${where}: two PKG-REF-DOs`);
        packageName = packageNameOf(child.value, where);
        break;
      default:
        throw cardData(`${where}: unknown tag ${child.tag.toString(16).toUpperCase()} in the REF-DO`);
    }
  }
  if (appHash === undefined) {
    // AOSP reads a REF-DO without DeviceAppID-REF-DO as a carrier-privilege one only; SEAC makes it mandatory
    if (packageName !== undefined && target === undefined) return { target: { kind: 'all' }, appHash: new Uint8Array(0), packageName, carrierPrivilege: true };
    throw cardData(`${where}: the REF-DO has no DeviceAppID-REF-DO`);
  }
  if (packageName !== undefined && appHash.length === 0) {
    // a package name is not an identity on its own: it narrows a certificate hash (our reading of SEAC v1.1)
    throw cardData(`${where}: a PKG-REF-DO needs a specific DeviceAppID-REF-DO`);
  }
  const carrierPrivilege = target === undefined || (target.kind === 'aid' && sameBytes(target.aid, CARRIER_PRIVILEGE_AID));
  return packageName === undefined
    ? { target: target ?? { kind: 'all' }, appHash, carrierPrivilege }
    : { target: target ?? { kind: 'all' }, appHash, packageName, carrierPrivilege };
}

function aidRef(node: Tlv, where: string): AidRef {
  if (node.tag === SEAC_TAG.DEFAULT_APP_REF_DO) {
    if (node.value.length !== 0) throw cardData(`${where}: the default-application AID-REF-DO (C0) must be empty`);
    return { kind: 'default' };
  }
  if (node.value.length === 0) return { kind: 'all' };
  // ISO/IEC 7816-5: an AID is 5 to 16 bytes
  if (node.value.length < 5 || node.value.length > 16) throw cardData(`${where}: AID-REF-DO of ${node.value.length} bytes (5–16, or empty)`);
  return { kind: 'aid', aid: node.value.slice() };
}

function packageNameOf(value: Uint8Array, where: string): string {
  if (value.length === 0 || value.length > MAX_PACKAGE_NAME) throw cardData(`${where}: PKG-REF-DO of ${value.length} bytes`);
  let name: string;
  try {
    name = new TextDecoder('utf-8', { fatal: true }).decode(value);
  } catch (e) {
    throw cardData(`${where}: the PKG-REF-DO is not UTF-8`, e);
  }
  return name;
}

function parseArDo(children: readonly Tlv[], where: string): Pick<AccessRule, 'apdu' | 'nfc'> {
  let apdu: ApduAccess | undefined;
  let nfc: boolean | undefined;
  let seenApdu = false;
  let seenNfc = false;
  for (const child of children) {
    if (child.tag === SEAC_TAG.APDU_AR_DO) {
      if (seenApdu) throw cardData(`${where}: two APDU-AR-DOs`);
      seenApdu = true;
      apdu = apduArDo(child.value, where);
    } else if (child.tag === SEAC_TAG.NFC_AR_DO) {
      if (seenNfc) throw cardData(`${where}: two NFC-AR-DOs`);
      seenNfc = true;
      nfc = generic(child.value, where, 'NFC-AR-DO') === 'always';
    } else if (child.tag !== SEAC_TAG.PERM_AR_DO) {
      throw cardData(`${where}: unknown tag in the AR-DO`);
    }
  }
  const out: { apdu?: ApduAccess; nfc?: boolean } = {};
  if (apdu !== undefined) out.apdu = apdu;
  if (nfc !== undefined) out.nfc = nfc;
  return out;
}

function generic(value: Uint8Array, where: string, what: string): 'always' | 'never' {
  if (value.length !== 1 || value[0]! > 1) throw cardData(`${where}: ${what} must be 00 or 01`);
  return value[0] === 1 ? 'always' : 'never';
}

/** GP SEAC v1.1 APDU-AR-DO: one byte (generic rule) or n × 8 bytes (4-byte APDU header, 4-byte mask). */
function apduArDo(value: Uint8Array, where: string): ApduAccess {
  if (value.length === 1) return generic(value, where, 'APDU-AR-DO');
  if (value.length === 0 || value.length % 8 !== 0) throw cardData(`${where}: APDU-AR-DO of ${value.length} bytes (1, or a multiple of 8)`);
  const filters: ApduFilter[] = [];
  for (let i = 0; i < value.length; i += 8) {
    filters.push(Object.freeze({ header: value.slice(i, i + 4), mask: value.slice(i + 4, i + 8) }));
  }
  return Object.freeze({ filters: Object.freeze(filters) });
}
