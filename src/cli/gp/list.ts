/**
 * `opentsm gp list`: the GlobalPlatform Registry as GET STATUS reports it (GPC 2.3.1 §11.4): the
 * ISD (P1 80), applications and Security Domains (40), load files with their modules (10, else 20).
 * The tag format (P2 b2) is asked first; a card that answers 6A86 gets the legacy format of GP
 * 2.1.1 instead (gp.md §4.4), as GlobalPlatformPro does. '6310' paging is followed by getStatusAll.
 */
import { toHex } from '../../bytes/index.ts';
import {
  GpError,
  decodePrivileges,
  describeLifecycle,
  getStatusAll,
  hasPrivilege,
  type CommandSender,
  type GetStatusFormat,
  type GetStatusScope,
  type RegistryEntry,
} from '../../gp/index.ts';
import { withAdvice } from './card-status.ts';
import type { GpContext } from './context.ts';
import { table } from './table.ts';

/** What GET STATUS returned, by scope. */
export interface Registry {
  readonly format: GetStatusFormat;
  readonly isd: readonly RegistryEntry[];
  readonly applications: readonly RegistryEntry[];
  readonly loadFiles: readonly RegistryEntry[];
  /** False when the card refused P1 10 and load files were read without their modules (P1 20). */
  readonly withModules: boolean;
}

function refusedWith(e: unknown, sw: number): boolean {
  return e instanceof GpError && e.sw === sw;
}

/** Reads the whole registry through `send` (a secure-channel session's transmit). */
export async function readRegistry(send: CommandSender): Promise<Registry> {
  let format: GetStatusFormat = 'tag';
  const read = async (scope: GetStatusScope): Promise<readonly RegistryEntry[]> => {
    try {
      return await getStatusAll(send, { scope, format });
    } catch (e) {
      // GPC 2.3.1 Table 11-35 / gp.md §4.4: cards without the tag format answer 6A86 to P2 b2
      if (format !== 'tag' || !refusedWith(e, 0x6a86)) throw e;
      format = 'legacy';
      return getStatusAll(send, { scope, format });
    }
  };
  const isd = await read('isd');
  const applications = await read('applications');
  try {
    return { format, isd, applications, loadFiles: await read('loadFilesAndModules'), withModules: true };
  } catch (e) {
    if (!refusedWith(e, 0x6a86)) throw e;
    return { format, isd, applications, loadFiles: await read('loadFiles'), withModules: false };
  }
}

function aidWithName(aid: Uint8Array, name: (aid: Uint8Array) => string | undefined): string {
  const n = name(aid);
  return n === undefined ? toHex(aid) : `${toHex(aid)} (${n})`;
}

function applicationDetails(e: RegistryEntry, isd: boolean): string {
  const parts: string[] = [];
  if (e.privileges !== undefined) {
    const names = decodePrivileges(e.privileges);
    parts.push(names.length === 0 ? 'no privileges' : names.join(', '));
  }
  if (e.loadFileAid !== undefined) parts.push(`from ${toHex(e.loadFileAid)}`);
  if (e.domainAid !== undefined && !isd) parts.push(`SD ${toHex(e.domainAid)}`);
  for (const s of e.implicitSelection) {
    parts.push(`implicitly selected on channel ${s.channel}${s.contact ? ' contact' : ''}${s.contactless ? ' contactless' : ''}`);
  }
  return parts.join('; ');
}

function loadFileDetails(e: RegistryEntry, name: (aid: Uint8Array) => string | undefined): string {
  const parts: string[] = [];
  if (e.version !== undefined) parts.push(`version ${[...e.version].join('.')}`);
  if (e.modules.length > 0) parts.push(`modules ${e.modules.map((m) => aidWithName(m, name)).join(', ')}`);
  if (e.domainAid !== undefined) parts.push(`SD ${toHex(e.domainAid)}`);
  return parts.join('; ');
}

/** The registry as table rows: kind, AID, life cycle (named), details. */
export function registryRows(registry: Registry, moduleName: (aid: Uint8Array) => string | undefined = () => undefined): string[][] {
  const rows: string[][] = [['KIND', 'AID', 'LIFE CYCLE', 'PRIVILEGES / CONTENT']];
  const state = (kind: Parameters<typeof describeLifecycle>[0], value: number): string => {
    const d = describeLifecycle(kind, value);
    return `${d.name ?? 'UNKNOWN'} (${value.toString(16).toUpperCase().padStart(2, '0')})`;
  };
  for (const e of registry.isd) rows.push(['ISD', toHex(e.aid), state('card', e.lifecycle), applicationDetails(e, true)]);
  for (const e of registry.applications) {
    const sd = e.privileges !== undefined && hasPrivilege(e.privileges, 'SecurityDomain');
    rows.push([sd ? 'SSD' : 'APP', toHex(e.aid), state(sd ? 'security-domain' : 'application', e.lifecycle), applicationDetails(e, false)]);
  }
  for (const e of registry.loadFiles) rows.push(['PKG', toHex(e.aid), state('load-file', e.lifecycle), loadFileDetails(e, moduleName)]);
  return rows;
}

/** Prints the registry of the card behind the secure channel. */
export async function gpList(ctx: GpContext): Promise<void> {
  let registry: Registry;
  try {
    registry = await readRegistry((command) => ctx.send(command, 'GET STATUS'));
  } catch (e) {
    throw withAdvice(e, 'GET STATUS');
  }
  for (const line of table(registryRows(registry, (aid) => ctx.connection.moduleName(aid)))) ctx.out.out(line);
  if (registry.format === 'legacy') ctx.out.err('# the card answers GET STATUS in the legacy (GP 2.1.1) format only');
  if (!registry.withModules) ctx.out.err('# the card does not list modules (GET STATUS P1 10 refused); load files are shown without them');
}
