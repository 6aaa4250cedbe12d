/**
 * What is on the card, read back: the GlobalPlatform Registry through GET STATUS (GPC 2.3.1 §11.4)
 * and a Security Domain's key versions through GET DATA Key Information Template (§11.3.3.1.1). These
 * are the read functions a resumed job asks "did that step happen?" — every write in this folder has
 * its answer here.
 */
import { encodeCommand, parseResponse, SW, type ApduTransport, type CommandApdu } from '../../../apdu/index.ts';
import {
  GET_DATA_TAGS,
  LOCKED_BIT,
  SECURITY_DOMAIN_LIFECYCLE,
  buildGetData,
  buildSelect,
  getStatusAll,
  hasPrivilege,
  parseKeyInformationTemplate,
  type RegistryEntry,
  type SecureChannelSession,
} from '../../../gp/index.ts';
import { cardRefused, expectOk, sameAid } from './commands.ts';

/** The part of the registry a Security Domain sees (GPC 2.3.1 §11.4.2.3): applications and SDs, load files with their modules. */
export interface CardContent {
  /** Applications and Supplementary Security Domains (GET STATUS P1 '40'). */
  readonly applications: readonly RegistryEntry[];
  /** Executable Load Files with their modules (P1 '10'). */
  readonly loadFiles: readonly RegistryEntry[];
}

/** Whether a registry entry is LOCKED (GPC 2.3.1 Tables 11-4, 11-5: b8 over the previous state). */
export function isLockedEntry(entry: RegistryEntry): boolean {
  return (entry.lifecycle & LOCKED_BIT) !== 0;
}

/** Whether a registry entry is a Security Domain (privilege byte 1 b8, GPC 2.3.1 Table 11-7). */
export function isSecurityDomainEntry(entry: RegistryEntry): boolean {
  return entry.privileges !== undefined && hasPrivilege(entry.privileges, 'SecurityDomain');
}

/** Whether an SSD entry is PERSONALIZED (locked or not): the state an SP takeover ends in (§5.3.2.3). */
export function isPersonalizedSd(entry: RegistryEntry): boolean {
  return (entry.lifecycle & ~LOCKED_BIT) === SECURITY_DOMAIN_LIFECYCLE.PERSONALIZED;
}

/**
 * Reads the registry the session's Security Domain may see: applications (with SSDs) and load files
 * with modules, every page (GPC 2.3.1 §11.4.2.2). An empty scope is an empty list (6A88, Table 11-39).
 * @example const content = await readCardContent(isd); findApplication(content, aid)?.lifecycle
 */
export async function readCardContent(session: SecureChannelSession): Promise<CardContent> {
  const send = (c: CommandApdu) => session.transmit(c);
  const applications = await getStatusAll(send, { scope: 'applications' });
  const loadFiles = await getStatusAll(send, { scope: 'loadFilesAndModules' });
  return Object.freeze({ applications, loadFiles });
}

/** The registry entry of one application or SSD, or undefined — one GET STATUS searching by AID (§11.4.2.3). */
export async function readApplication(session: SecureChannelSession, aid: Uint8Array): Promise<RegistryEntry | undefined> {
  const entries = await getStatusAll((c) => session.transmit(c), { scope: 'applications', aid });
  return entries.find((e) => sameAid(e.aid, aid));
}

/** The entry for `aid` in `content`, if any. */
export function findApplication(content: CardContent, aid: Uint8Array): RegistryEntry | undefined {
  return content.applications.find((e) => sameAid(e.aid, aid));
}

/** The load file `aid` in `content`, if any. */
export function findLoadFile(content: CardContent, aid: Uint8Array): RegistryEntry | undefined {
  return content.loadFiles.find((e) => sameAid(e.aid, aid));
}

/**
 * The key version numbers present in the session's Security Domain, ascending, each once: GET DATA
 * Key Information Template 'E0' (GPC 2.3.1 §11.3.3.1.1).
 */
export async function readKeyVersions(session: SecureChannelSession): Promise<number[]> {
  const response = expectOk(await session.transmit(buildGetData(GET_DATA_TAGS.KEY_INFORMATION)), 'GET DATA key information');
  return keyVersionsOf(response.data);
}

/**
 * The key versions of Security Domain `sdAid` without a secure channel (GET DATA needs none, GPC
 * 2.3.1 Table 11-2): SELECT on the basic channel, then GET DATA 'E0'. Ends any secure channel open
 * on the basic channel — call it when none is. An SD that is not on the card gives undefined.
 */
export async function readSdKeyVersions(transport: ApduTransport, sdAid: Uint8Array): Promise<number[] | undefined> {
  const select = parseResponse(await transport.transmit(encodeCommand(buildSelect(sdAid))));
  if (select.sw === SW.FILE_NOT_FOUND) return undefined;
  if (select.sw !== SW.OK) throw cardRefused(select.sw, 'SELECT of the Security Domain');
  const response = parseResponse(await transport.transmit(encodeCommand(buildGetData(GET_DATA_TAGS.KEY_INFORMATION))));
  // a fresh SSD without keys may answer 6A88 (no key information yet)
  if (response.sw === SW.REFERENCED_DATA_NOT_FOUND) return [];
  return keyVersionsOf(expectOk(response, 'GET DATA key information').data);
}

function keyVersionsOf(data: Uint8Array): number[] {
  if (data.length === 0) return [];
  const kvns = new Set(parseKeyInformationTemplate(data).map((k) => k.kvn));
  return [...kvns].sort((a, b) => a - b);
}
