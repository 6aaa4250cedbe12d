/**
 * Access rules for the SP's wallet app in the ARA-M (GP SEAC v1.1 §5.1), written through the ARA-M's
 * owning Security Domain — the ISD — with INSTALL [for personalization] and STORE DATA (GPC 2.3.1
 * §7.3.2, §11.11): Command-Store-REF-AR-DO 'F0', Command-Delete 'F1', Command-Get-All 'F4' with
 * Command-Get-Next 'F5' for long listings. A rule names the instance (AID-REF-DO '4F') and the app
 * (DeviceAppID-REF-DO 'C1', the hash of its signing certificate) and allows APDU and NFC access.
 */
import { SW } from '../../../apdu/index.ts';
import { concat, fromHex } from '../../../bytes/index.ts';
import { buildInstall, buildStoreData, type SecureChannelSession } from '../../../gp/index.ts';
import { encodeTlv, parseTlvList, tlv, type Tlv } from '../../../tlv/index.ts';
import { TsmError } from '../../errors.ts';
import { aidArg, cardRefused, sameBytes, sendOk } from './commands.ts';

/** One access rule as the ARA-M lists it (SEAC v1.1 Tables 6-3..6-9). */
export interface AccessRule {
  /** AID-REF-DO: the SE application; empty = every application; undefined = the default application ('C0'). */
  readonly aid: Uint8Array | undefined;
  /** DeviceAppID-REF-DO: SHA-1 (20) or SHA-256 (32) of the app's certificate; empty = every app. */
  readonly certHash: Uint8Array;
  /** APDU-AR-DO 'D0' (01 always, 00 never, or an APDU filter list), if present. */
  readonly apdu: Uint8Array | undefined;
  /** NFC-AR-DO 'D1' (01 allowed, 00 not), if present. */
  readonly nfc: Uint8Array | undefined;
}

/** What identifies a rule: the instance and the app (REF-DO 'E1'). */
export interface AccessRuleTarget {
  readonly aid: Uint8Array | string;
  /** The wallet app's certificate hash (ServiceRecord.walletCertHash), 20 or 32 bytes. */
  readonly certHash: Uint8Array | string;
}

const ALWAYS = Uint8Array.of(0x01);
/** STORE DATA block size for rule commands (the ARA-M keeps one command DO across blocks). */
const BLOCK = 200;
/** Most Command-Get-Next rounds a listing may take (a card that never ends the listing cannot hang us). */
const MAX_PAGES = 256;

function refDo(target: AccessRuleTarget): Tlv {
  const aid = aidArg(target.aid, 'aid');
  const hash = typeof target.certHash === 'string' && /^([0-9A-Fa-f]{2})+$/.test(target.certHash)
    ? fromHex(target.certHash)
    : target.certHash;
  if (!(hash instanceof Uint8Array) || (hash.length !== 20 && hash.length !== 32)) throw new TsmError('ERR_TSM_REQUEST', 'certHash: SHA-1 (20 bytes) or SHA-256 (32 bytes) of the app certificate');
  return tlv(0xe1, [tlv(0x4f, aid), tlv(0xc1, hash)]);
}

/** Sends one ARA-M command data object through `isd` as one STORE DATA sequence; returns the last response. */
async function araCommand(isd: SecureChannelSession, araAid: Uint8Array, command: Tlv, options: { readonly case4?: boolean } = {}) {
  await sendOk(isd, buildInstall({ kind: 'personalization', applicationAid: araAid }), 'INSTALL [for personalization] of the ARA-M');
  const blocks = buildStoreData(encodeTlv(command), { format: 'ber', case4: options.case4 === true }, BLOCK);
  for (let i = 0; i < blocks.length - 1; i++) await sendOk(isd, blocks[i]!, 'STORE DATA to the ARA-M');
  return isd.transmit(blocks[blocks.length - 1]!);
}

/**
 * Writes the rule "app `certHash` may use instance `aid` over APDU and NFC, always" (SEAC v1.1
 * Command-Store-REF-AR-DO). The same rule already stored: `{ written: false }`; a different rule for
 * the same REF-DO (6A89, SEAC §5.1.2.2): `ERR_GP_STATUS` with 6A89 — delete it first.
 */
export async function writeAccessRule(isd: SecureChannelSession, araAid: Uint8Array | string, target: AccessRuleTarget): Promise<{ readonly written: boolean }> {
  const ara = aidArg(araAid, 'araAid');
  const ref = refDo(target);
  const ar = tlv(0xe3, [tlv(0xd0, ALWAYS), tlv(0xd1, ALWAYS)]);
  const response = await araCommand(isd, ara, tlv(0xf0, [tlv(0xe2, [ref, ar])]));
  if (response.sw === SW.OK) return { written: true };
  if (response.sw === SW.FILE_ALREADY_EXISTS) {
    const same = (await readAccessRules(isd, ara)).some((r) => sameRule(r, ref) && r.apdu?.[0] === 0x01 && r.apdu.length === 1 && r.nfc?.[0] === 0x01 && r.nfc.length === 1);
    if (same) return { written: false };
  }
  throw cardRefused(response.sw, 'ARA-M Command-Store-REF-AR-DO');
}

/** Deletes the rule of instance `aid` for app `certHash` (Command-Delete by REF-DO). None: `{ deleted: false }`. */
export async function deleteAccessRule(isd: SecureChannelSession, araAid: Uint8Array | string, target: AccessRuleTarget): Promise<{ readonly deleted: boolean }> {
  const response = await araCommand(isd, aidArg(araAid, 'araAid'), tlv(0xf1, [refDo(target)]));
  if (response.sw === SW.OK) return { deleted: true };
  if (response.sw === SW.REFERENCED_DATA_NOT_FOUND) return { deleted: false };
  throw cardRefused(response.sw, 'ARA-M Command-Delete');
}

/**
 * Every rule of the ARA-M (Command-Get-All 'F4', then Command-Get-Next 'F5' until the
 * Response-ALL-REF-AR-DO 'FF40' is whole; SEAC v1.1 §5.1), through the ISD.
 */
export async function readAccessRules(isd: SecureChannelSession, araAid: Uint8Array | string): Promise<readonly AccessRule[]> {
  const ara = aidArg(araAid, 'araAid');
  const pages: Uint8Array[] = [];
  let command = tlv(0xf4);
  for (let round = 0; round < MAX_PAGES; round++) {
    const response = await araCommand(isd, ara, command, { case4: true });
    if (response.sw !== SW.OK) throw cardRefused(response.sw, round === 0 ? 'ARA-M Command-Get-All' : 'ARA-M Command-Get-Next');
    pages.push(response.data);
    const listing = concat(...pages);
    const total = ff40Length(listing);
    if (listing.length >= total.end) return parseRules(listing.subarray(total.start, total.end));
    command = tlv(0xf5);
  }
  throw new TsmError('ERR_TSM_STATE', `ARA-M listing still incomplete after ${MAX_PAGES} pages`);
}

/**
 * Where the value of the 'FF40' object whose start `data` holds begins and ends. 'FF40' is read by
 * hand: SEAC's two-byte tags starting FF are outside what ISO/IEC 8825-1 tag parsing accepts.
 */
function ff40Length(data: Uint8Array): { start: number; end: number } {
  if (data.length < 3 || data[0] !== 0xff || data[1] !== 0x40) throw new TsmError('ERR_TSM_STATE', 'ARA-M: the listing does not start with FF40');
  const first = data[2]!;
  if (first < 0x80) return { start: 3, end: 3 + first };
  const n = first & 0x7f;
  if (n < 1 || n > 3 || data.length < 3 + n) throw new TsmError('ERR_TSM_STATE', 'ARA-M: FF40 length field');
  let length = 0;
  for (let i = 0; i < n; i++) length = length * 256 + data[3 + i]!;
  return { start: 3 + n, end: 3 + n + length };
}

/** The REF-AR-DOs 'E2' of a Response-ALL-REF-AR-DO's value (SEAC v1.1 Table 4-2). */
function parseRules(value: Uint8Array): readonly AccessRule[] {
  return Object.freeze(parseTlvList(value).filter((n) => n.tag === 0xe2).map((e2): AccessRule => {
    const ref = e2.children?.find((n) => n.tag === 0xe1)?.children ?? [];
    const ar = e2.children?.find((n) => n.tag === 0xe3)?.children ?? [];
    const value = (nodes: readonly Tlv[], tag: number) => nodes.find((n) => n.tag === tag)?.value.slice();
    return { aid: value(ref, 0x4f), certHash: value(ref, 0xc1) ?? new Uint8Array(0), apdu: value(ar, 0xd0), nfc: value(ar, 0xd1) };
  }));
}

function sameRule(rule: AccessRule, ref: Tlv): boolean {
  const aid = ref.children?.find((n) => n.tag === 0x4f)?.value;
  const hash = ref.children?.find((n) => n.tag === 0xc1)?.value;
  return sameBytes(rule.aid, aid) && sameBytes(rule.certHash, hash);
}
