/**
 * The access-rule data objects of GlobalPlatform Secure Element Access Control (GPD_SPE_013 v1.1,
 * "SEAC"): strict card-side parsers that return the canonical encoding the ARA-M stores, so two
 * spellings of one rule compare equal and GET DATA answers exactly what was validated. Anything
 * else is refused with 6A80 (SEAC §5.1.2.2: incorrect values in the command data).
 *
 * Tags (SEAC v1.1 Tables 6-3..6-9; Android extensions from source.android.com "UICC carrier
 * privileges", as pySim and AOSP read them):
 *
 * ```
 * E2 REF-AR-DO = E1 REF-DO ‖ E3 AR-DO
 * E1 REF-DO    = (4F AID-REF-DO | C0 default-application) ‖ C1 DeviceAppID-REF-DO [‖ CA PKG-REF-DO]
 * E3 AR-DO     = [D0 APDU-AR-DO] [D1 NFC-AR-DO] [DB PERM-AR-DO], at least one
 * ```
 */
import { SW } from '../../../apdu/index.ts';
import { equalCt, OpenTsmError } from '../../../bytes/index.ts';
import { encodeTlv, parseTlv, tlv, type Tlv, type TlvParseOptions } from '../../../tlv/index.ts';
import { CardException } from '../../runtime/card-exception.ts';

/** Data object tags of SEAC v1.1 (chapters 4–6) as data. */
export const ARA_TAG = {
  REF_AR_DO: 0xe2,
  REF_DO: 0xe1,
  AR_DO: 0xe3,
  AID_REF_DO: 0x4f,
  /** AID-REF-DO for the implicitly selected (default) application, always empty (Table 6-3). */
  AID_REF_DO_DEFAULT: 0xc0,
  DEVICE_APP_ID_REF_DO: 0xc1,
  /** Android extension: the device application's package name. */
  PKG_REF_DO: 0xca,
  APDU_AR_DO: 0xd0,
  NFC_AR_DO: 0xd1,
  /** Android extension: carrier-privilege permissions, 8 bytes. */
  PERM_AR_DO: 0xdb,
  RESPONSE_ALL_REF_AR_DO: 0xff40,
  RESPONSE_AR_DO: 0xff50,
  RESPONSE_REFRESH_TAG: 0xdf20,
  RESPONSE_ARAM_CONFIG: 0xdf21,
  DEVICE_CONFIG_DO: 0xe4,
  ARAM_CONFIG_DO: 0xe5,
  /** Constructed tag that carries three raw bytes (major, minor, patch): parse and build it opaque. */
  DEVICE_INTERFACE_VERSION_DO: 0xe6,
  RESPONSE_ARAC_AID_DO: 0xff70,
  RESPONSE_DEVICE_CONFIG_DO: 0xff7f,
} as const;

/** The lengths a DeviceAppID-REF-DO may have: empty (all device applications), SHA-1, SHA-256 (SEAC v1.1 Table 6-4). */
export const DEVICE_APP_ID_LENGTHS: readonly number[] = [0, 20, 32];
/** ISO/IEC 7816-5 AID lengths for a specific AID-REF-DO (empty means all SE applications). */
const AID_MIN = 5;
const AID_MAX = 16;
/** Android's PKG-REF-DO: at most 127 ASCII characters. */
const PKG_MAX = 127;

/** One stored access rule: the canonical REF-DO and AR-DO (each a whole TLV). */
export interface StoredRule {
  readonly ref: Uint8Array;
  readonly ar: Uint8Array;
}

/** A validated REF-DO: its canonical encoding and the canonical AID-REF-DO inside it. */
export interface RefDo {
  readonly encoded: Uint8Array;
  readonly aidRef: Uint8Array;
}

/** Throws the ARA-M's "incorrect values in the command data" (SEAC §4.1.2.2, §5.1.2.2: 6A80). */
export function badData(message: string): never {
  throw new CardException(SW.INCORRECT_DATA, `ARA-M: ${message}`);
}

/** Parses exactly one BER-TLV object; any TLV error becomes 6A80. */
export function parseOne(bytes: Uint8Array, what: string, options: TlvParseOptions = {}): Tlv {
  try {
    return parseTlv(bytes, options);
  } catch (e) {
    if (e instanceof OpenTsmError) badData(`${what}: ${e.message}`);
    throw e;
  }
}

function expectTag(node: Tlv, tag: number, what: string): readonly Tlv[] {
  if (node.tag !== tag) badData(`expected ${what} (${tag.toString(16).toUpperCase()}), got tag ${node.tag.toString(16).toUpperCase()}`);
  if (!node.constructed) badData(`${what} must be constructed`);
  return node.children ?? [];
}

/** An AID-REF-DO (4F: empty or an AID of 5–16 bytes; C0: empty), re-encoded. SEAC v1.1 Table 6-3. */
export function parseAidRefDo(node: Tlv): Uint8Array {
  if (node.tag === ARA_TAG.AID_REF_DO_DEFAULT) {
    if (node.value.length !== 0) badData('C0 (default application) must be empty');
  } else if (node.tag === ARA_TAG.AID_REF_DO) {
    const n = node.value.length;
    if (n !== 0 && (n < AID_MIN || n > AID_MAX)) badData(`AID-REF-DO: an AID is ${AID_MIN} to ${AID_MAX} bytes, got ${n}`);
  } else {
    badData('expected an AID-REF-DO (4F or C0)');
  }
  return encodeTlv(tlv(node.tag, node.value));
}

/**
 * A REF-DO (E1): AID-REF-DO, then DeviceAppID-REF-DO (empty, 20 or 32 bytes), then optionally
 * PKG-REF-DO (1–127 printable ASCII). The order is the one SEAC Table 6-5 gives; duplicates and
 * unknown objects are refused.
 */
export function parseRefDo(node: Tlv): RefDo {
  const kids = expectTag(node, ARA_TAG.REF_DO, 'REF-DO');
  if (kids.length < 2 || kids.length > 3) badData('REF-DO holds an AID-REF-DO, a DeviceAppID-REF-DO and optionally a PKG-REF-DO');
  const aidRef = parseAidRefDo(kids[0]!);
  const hash = kids[1]!;
  if (hash.tag !== ARA_TAG.DEVICE_APP_ID_REF_DO) badData('REF-DO: the second object must be the DeviceAppID-REF-DO (C1)');
  if (!DEVICE_APP_ID_LENGTHS.includes(hash.value.length)) {
    badData(`DeviceAppID-REF-DO: empty, SHA-1 (20) or SHA-256 (32) bytes, got ${hash.value.length}`);
  }
  const parts: Tlv[] = [parseTlv(aidRef), tlv(ARA_TAG.DEVICE_APP_ID_REF_DO, hash.value)];
  const pkg = kids[2];
  if (pkg !== undefined) {
    if (pkg.tag !== ARA_TAG.PKG_REF_DO) badData('REF-DO: the third object must be a PKG-REF-DO (CA)');
    if (pkg.value.length < 1 || pkg.value.length > PKG_MAX || !pkg.value.every((b) => b >= 0x21 && b <= 0x7e)) {
      badData(`PKG-REF-DO: 1 to ${PKG_MAX} printable ASCII characters`);
    }
    parts.push(tlv(ARA_TAG.PKG_REF_DO, pkg.value));
  }
  return { encoded: encodeTlv(tlv(ARA_TAG.REF_DO, parts)), aidRef };
}

/** APDU-AR-DO (D0): 00 never, 01 always, or filters of 4-byte header ‖ 4-byte mask (SEAC v1.1 Table 6-8). */
function checkApduArDo(value: Uint8Array): void {
  if (value.length === 1) {
    if (value[0] !== 0x00 && value[0] !== 0x01) badData('APDU-AR-DO: a one-byte rule is 00 (never) or 01 (always)');
    return;
  }
  if (value.length === 0 || value.length % 8 !== 0) badData('APDU-AR-DO: 00, 01, or a list of 8-byte APDU filters');
  for (let i = 0; i < value.length; i += 8) {
    // a header bit outside its mask can never match (an APDU matches a filter when its header AND the mask equals the filter header)
    for (let j = 0; j < 4; j++) if ((value[i + j]! & ~value[i + 4 + j]!) !== 0) badData(`APDU filter ${i / 8 + 1}: header bits outside the mask`);
  }
}

const AR_ORDER = [ARA_TAG.APDU_AR_DO, ARA_TAG.NFC_AR_DO, ARA_TAG.PERM_AR_DO] as const;

/** An AR-DO (E3): at least one of APDU-AR-DO, NFC-AR-DO, PERM-AR-DO, each at most once; re-encoded in that order. */
export function parseArDo(node: Tlv): Uint8Array {
  const kids = expectTag(node, ARA_TAG.AR_DO, 'AR-DO');
  if (kids.length === 0) badData('AR-DO is empty');
  const seen = new Map<number, Uint8Array>();
  for (const k of kids) {
    if (!(AR_ORDER as readonly number[]).includes(k.tag)) badData(`AR-DO: unknown object ${k.tag.toString(16).toUpperCase()}`);
    if (seen.has(k.tag)) badData(`AR-DO: ${k.tag.toString(16).toUpperCase()} given twice`);
    seen.set(k.tag, k.value);
  }
  const apdu = seen.get(ARA_TAG.APDU_AR_DO);
  if (apdu !== undefined) checkApduArDo(apdu);
  const nfc = seen.get(ARA_TAG.NFC_AR_DO);
  if (nfc !== undefined && (nfc.length !== 1 || (nfc[0] !== 0x00 && nfc[0] !== 0x01))) badData('NFC-AR-DO: 00 (never) or 01 (always)');
  const perm = seen.get(ARA_TAG.PERM_AR_DO);
  if (perm !== undefined && perm.length !== 8) badData('PERM-AR-DO: 8 bytes');
  const ordered = AR_ORDER.flatMap((tag) => {
    const v = seen.get(tag);
    return v === undefined ? [] : [tlv(tag, v)];
  });
  return encodeTlv(tlv(ARA_TAG.AR_DO, ordered));
}

/** A REF-AR-DO (E2): exactly a REF-DO then an AR-DO (SEAC v1.1 Table 6-6). */
export function parseRefArDo(node: Tlv): StoredRule & { readonly aidRef: Uint8Array } {
  const kids = expectTag(node, ARA_TAG.REF_AR_DO, 'REF-AR-DO');
  if (kids.length !== 2) badData('REF-AR-DO holds exactly a REF-DO and an AR-DO');
  const ref = parseRefDo(kids[0]!);
  return { ref: ref.encoded, aidRef: ref.aidRef, ar: parseArDo(kids[1]!) };
}

/** The REF-AR-DO of a stored rule. */
export function encodeRefArDo(rule: StoredRule): Tlv {
  return tlv(ARA_TAG.REF_AR_DO, [parseTlv(rule.ref), parseTlv(rule.ar)]);
}

/** The AID-REF-DO inside a stored (canonical) REF-DO. */
export function aidRefOf(rule: StoredRule): Uint8Array {
  const first = parseTlv(rule.ref).children?.[0];
  return first === undefined ? new Uint8Array(0) : encodeTlv(first);
}

/**
 * SEAC's response templates FF40, FF50, FF70, FF7F start with FF, which ISO 7816-4 §5.2.2.1
 * reserves (so the tlv/ codec refuses it): tag ‖ BER length (ISO 8825-1 §8.1.3) ‖ content, by hand.
 */
export function encodeFfTemplate(tag: number, content: Uint8Array): Uint8Array {
  const n = content.length;
  const length = n < 0x80 ? [n] : n <= 0xff ? [0x81, n] : n <= 0xffff ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  const out = new Uint8Array(2 + length.length + n);
  out.set([tag >> 8, tag & 0xff, ...length]);
  out.set(content, 2 + length.length);
  return out;
}

/** Byte equality of two canonical encodings (identifiers, not secrets). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && equalCt(a, b);
}
