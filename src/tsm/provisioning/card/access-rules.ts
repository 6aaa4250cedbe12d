/**
 * Access rules for the SP's wallet app in the ARA-M (GP SEAC v1.1 §5.1), written through the ARA-M's
 * owning Security Domain — the ISD — with INSTALL [for personalization] and STORE DATA (GPC 2.3.1
 * §7.3.2, §11.11): Command-Store-REF-AR-DO 'F0', Command-Delete 'F1', Command-Get-All 'F4' with
 * Command-Get-Next 'F5' for long listings. A rule names the instance (AID-REF-DO '4F') and the app
 * (DeviceAppID-REF-DO 'C1', the hash of its signing certificate) and allows APDU and NFC access.
 *
 * A service with `accessRules: 'ara-c'` keeps its rule in an ARA-C of the SP's own SSD instead
 * (docs/access-rules.md): {@link ensureAraC} installs it (by the SSD) and moves it under the SSD (by
 * the ISD), {@link registerAraC} adds it to the ARA-M's client list (Command-Get-Client-AIDs 'F6',
 * then Command-Register-Client-AIDs 'F7' with the merged list — F7 replaces the whole list), and the
 * rule itself is written and deleted through the SSD with `writeAccessRule` / {@link deleteAraCRule}.
 */
import { createHash } from 'node:crypto';
import { SW } from '../../../apdu/index.ts';
import { concat, fromHex } from '../../../bytes/index.ts';
import { buildInstall, buildStoreData, type SecureChannelSession } from '../../../gp/index.ts';
import { encodeTlv, parseTlvList, tlv, type Tlv } from '../../../tlv/index.ts';
import { TsmError } from '../../errors.ts';
import { aidArg, cardRefused, sameBytes, sendOk } from './commands.ts';
import { extraditeToSsd, installInstance } from './content.ts';
import { readApplication } from './registry.ts';

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
    const total = ffLength(listing, 0xff40);
    if (listing.length >= total.end) return parseRules(listing.subarray(total.start, total.end));
    command = tlv(0xf5);
  }
  throw new TsmError('ERR_TSM_STATE', `ARA-M listing still incomplete after ${MAX_PAGES} pages`);
}

/**
 * Where the value of the `tag` ('FF40', 'FF70') object whose start `data` holds begins and ends. Read
 * by hand: SEAC's two-byte tags starting FF are outside what ISO/IEC 8825-1 tag parsing accepts.
 */
function ffLength(data: Uint8Array, tag: number): { start: number; end: number } {
  const name = tag.toString(16).toUpperCase();
  if (data.length < 3 || data[0] !== tag >> 8 || data[1] !== (tag & 0xff)) throw new TsmError('ERR_TSM_STATE', `ARA-M: the answer does not start with ${name}`);
  const first = data[2]!;
  if (first < 0x80) return { start: 3, end: 3 + first };
  const n = first & 0x7f;
  if (n < 1 || n > 3 || data.length < 3 + n) throw new TsmError('ERR_TSM_STATE', `ARA-M: ${name} length field`);
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

/** The ARA load file the OpenTSM card factory preloads under the ISD, and its ARA-C module (OpenTSM's AIDs; SEAC fixes none [M]). */
export const ARA_LOAD_FILE_AID: Uint8Array = fromHex('A00000015141434C');
export const ARA_C_MODULE_AID: Uint8Array = fromHex('A00000015141434C01');

/**
 * The ARA-C instance AID of the SSD `ssdAid`: RID A000000151 ‖ "ACC" ‖ the first 8 bytes of
 * SHA-256(ssdAid) — one per SSD, the same on every run, so a repeated step finds its own instance.
 */
export function araCAidFor(ssdAid: Uint8Array | string): Uint8Array {
  const digest = createHash('sha256').update(aidArg(ssdAid, 'ssdAid')).digest();
  return concat(fromHex('A000000151414343'), new Uint8Array(digest.subarray(0, 8)));
}

/** The two sessions the ARA-C set-up needs; each getter may reopen its channel (one SD is selected at a time). */
export interface AraCSessions {
  readonly isd: () => Promise<SecureChannelSession>;
  readonly ssd: () => Promise<SecureChannelSession>;
}

/**
 * Makes sure the ARA-C `araCAid` exists and is associated with `ssdAid`: absent (as the ISD sees the
 * registry) → INSTALL [for install and make selectable] by the SSD from the preloaded ARA load file
 * (it lands under the load file's SD, the ISD, GPC 2.3.1 §9.3.6); then INSTALL [for extradition] by
 * the ISD unless it is already the SSD's. Re-running after a crash at any point finishes the job.
 */
export async function ensureAraC(sessions: AraCSessions, target: { readonly araCAid: Uint8Array | string; readonly ssdAid: Uint8Array | string }): Promise<{ readonly installed: boolean; readonly moved: boolean }> {
  const aid = aidArg(target.araCAid, 'araCAid');
  const present = (await readApplication(await sessions.isd(), aid)) !== undefined;
  if (!present) await installInstance(await sessions.ssd(), { loadFileAid: ARA_LOAD_FILE_AID, moduleAid: ARA_C_MODULE_AID, aid });
  const { moved } = await extraditeToSsd(await sessions.isd(), { aid, ssdAid: target.ssdAid });
  return { installed: !present, moved };
}

/** The ARA-C AIDs registered with the ARA-M (Command-Get-Client-AIDs 'F6' → Response-ARAC-AID-DO 'FF70'), through the ISD. */
export async function readAraClients(isd: SecureChannelSession, araMAid: Uint8Array | string): Promise<readonly Uint8Array[]> {
  const response = await araCommand(isd, aidArg(araMAid, 'araAid'), tlv(0xf6), { case4: true });
  if (response.sw !== SW.OK) throw cardRefused(response.sw, 'ARA-M Command-Get-Client-AIDs');
  const { start, end } = ffLength(response.data, 0xff70);
  if (response.data.length < end) throw new TsmError('ERR_TSM_STATE', 'ARA-M: the FF70 answer is cut short');
  return parseTlvList(response.data.subarray(start, end)).filter((n) => n.tag === 0x4f).map((n) => n.value.slice());
}

/** Writes the ARA-M's client list: F7 replaces it whole with `next`. */
async function writeAraClients(isd: SecureChannelSession, araM: Uint8Array, next: readonly Uint8Array[]): Promise<void> {
  const response = await araCommand(isd, araM, tlv(0xf7, next.map((a) => tlv(0x4f, a))));
  if (response.sw !== SW.OK) throw cardRefused(response.sw, 'ARA-M Command-Register-Client-AIDs');
}

/**
 * Registers the ARA-C `araCAid` with the ARA-M: reads the list (F6) and writes it back with the AID
 * added (F7). Already registered: `{ registered: false }`. Read-modify-write: the caller holds the
 * card's line for the job (one job at a time per card), so no other writer interleaves.
 */
export async function registerAraC(isd: SecureChannelSession, araMAid: Uint8Array | string, araCAid: Uint8Array | string): Promise<{ readonly registered: boolean }> {
  const araM = aidArg(araMAid, 'araAid');
  const aid = aidArg(araCAid, 'araCAid');
  const clients = await readAraClients(isd, araM);
  if (clients.some((c) => sameBytes(c, aid))) return { registered: false };
  await writeAraClients(isd, araM, [...clients, aid]);
  return { registered: true };
}

/** Removes `araCAid` from the ARA-M's client list (F6, then F7 without it). Not there: `{ unregistered: false }`. */
export async function unregisterAraC(isd: SecureChannelSession, araMAid: Uint8Array | string, araCAid: Uint8Array | string): Promise<{ readonly unregistered: boolean }> {
  const araM = aidArg(araMAid, 'araAid');
  const aid = aidArg(araCAid, 'araCAid');
  const clients = await readAraClients(isd, araM);
  if (!clients.some((c) => sameBytes(c, aid))) return { unregistered: false };
  await writeAraClients(isd, araM, clients.filter((c) => !sameBytes(c, aid)));
  return { unregistered: true };
}

/** Deletes the rule from the SSD's ARA-C (Command-Delete by REF-DO, through the SSD). No ARA-C or no rule: `{ deleted: false }`. */
export async function deleteAraCRule(ssd: SecureChannelSession, araCAid: Uint8Array | string, target: AccessRuleTarget): Promise<{ readonly deleted: boolean }> {
  const aid = aidArg(araCAid, 'araCAid');
  if ((await readApplication(ssd, aid)) === undefined) return { deleted: false };
  return deleteAccessRule(ssd, aid, target);
}
