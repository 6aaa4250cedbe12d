/**
 * `opentsm gp install CAP`: INSTALL [for load], the LOAD blocks, then INSTALL [for install and make
 * selectable] (GPC 2.3.1 §11.5, §11.6; gp.md §9 item 4). Blocks are sized so that each LOAD still
 * fits once the secure channel has added its padding and MAC, and the card's '9F65' limit.
 */
import { readFileSync } from 'node:fs';
import { toHex } from '../../bytes/index.ts';
import {
  Scp03HostSession,
  buildInstall,
  buildLoadCommands,
  buildLoadFile,
  encodeInstallParameters,
  encodePrivileges,
  maxPlainBlockSize,
  parseCapFile,
  type CapFile,
  type PrivilegeName,
  type SecureChannelSession,
} from '../../gp/index.ts';
import { CliError } from '../errors.ts';
import { expectOk } from './card-status.ts';
import type { GpContext } from './context.ts';
import { parseAid, parseHex, parsePrivilegeNames } from './parse.ts';
import { ProgressBar } from './progress.ts';

/** The options of `install`, as typed. */
export interface InstallOptions {
  readonly params?: string | undefined;
  readonly privs?: string | undefined;
  readonly applet?: string | undefined;
  readonly create?: string | undefined;
  readonly default?: boolean | undefined;
  readonly to?: string | undefined;
}

/** What will be sent, decided before the card is touched. */
interface InstallPlan {
  readonly cap: CapFile;
  readonly sdAid: Uint8Array | undefined;
  /** Undefined: load only (a library package, or a CAP without applets). */
  readonly instance: { readonly moduleAid: Uint8Array; readonly aid: Uint8Array; readonly privileges: PrivilegeName[]; readonly parameters: Uint8Array } | undefined;
}

function readCap(path: string): CapFile {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new CliError('ERR_CLI_INPUT', `cannot read CAP file ${path}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  return parseCapFile(bytes);
}

function chooseModule(cap: CapFile, applet: string | undefined): Uint8Array | undefined {
  const listed = cap.appletAids.map(toHex).join(', ');
  if (applet !== undefined) {
    const aid = parseAid(applet, '--applet');
    if (!cap.appletAids.some((a) => toHex(a) === toHex(aid))) {
      throw new CliError('ERR_CLI_USAGE', `--applet ${toHex(aid)} is not an applet of this CAP (its applets: ${listed || 'none'})`);
    }
    return aid;
  }
  if (cap.appletAids.length > 1) throw new CliError('ERR_CLI_USAGE', `the CAP has ${cap.appletAids.length} applets (${listed}): choose one with --applet`);
  return cap.appletAids[0];
}

/** Checks the options against the CAP and builds the plan. */
export function planInstall(capPath: string, options: InstallOptions): InstallPlan {
  const sdAid = options.to === undefined ? undefined : parseAid(options.to, '--to');
  const privileges = parsePrivilegeNames(options.privs);
  // GPPro --default: the Card Reset privilege makes the application implicitly selected (GPC 2.3.1 Table 11-7)
  if (options.default === true && !privileges.includes('CardReset')) privileges.push('CardReset');
  const c9 = options.params === undefined ? new Uint8Array(0) : parseHex(options.params, '--params');
  const created = options.create === undefined ? undefined : parseAid(options.create, '--create');
  const cap = readCap(capPath);
  const moduleAid = chooseModule(cap, options.applet);
  if (moduleAid === undefined) {
    const extra = (['params', 'privs', 'create', 'default'] as const).filter((k) => options[k] !== undefined);
    if (extra.length > 0) throw new CliError('ERR_CLI_USAGE', `the CAP has no applets to install; --${extra.join(', --')} cannot apply (it is loaded only)`);
    return { cap, sdAid, instance: undefined };
  }
  return {
    cap,
    sdAid,
    instance: { moduleAid, aid: created ?? moduleAid, privileges, parameters: encodeInstallParameters({ applicationSpecific: c9 }) },
  };
}

/**
 * The LOAD block size: what the session can wrap into a short APDU, and no more than the card's
 * '9F65' (maximum command data, secure messaging included; GPC 2.3.1 Table 11-82) allows.
 */
export function loadBlockSize(session: SecureChannelSession, cardMax: number | undefined): number {
  const ownMax = session.maxPlainDataLength(false);
  if (cardMax === undefined || cardMax >= 255) return ownMax;
  const s16 = session instanceof Scp03HostSession && (session.i & 0x01) !== 0;
  const macLength = (session.securityLevel & 0x01) === 0 ? 0 : s16 ? 16 : 8;
  const padded = (session.securityLevel & 0x02) === 0 ? undefined : session.scp === 3 ? 16 : 8;
  return Math.min(ownMax, maxPlainBlockSize({ limit: cardMax, macLength, paddedBlockSize: padded }));
}

async function load(ctx: GpContext, plan: InstallPlan, blockSize: number): Promise<number> {
  const { cap } = plan;
  const forLoad = buildInstall({ kind: 'load', loadFileAid: cap.packageAid, securityDomainAid: plan.sdAid });
  expectOk(await ctx.send(forLoad, 'INSTALL [for load]'), 'INSTALL [for load]', toHex(cap.packageAid));
  const commands = buildLoadCommands(buildLoadFile({ dapBlocks: [], lfdb: cap.loadFileDataBlock }), blockSize);
  const total = commands.reduce((n, c) => n + c.data.length, 0);
  const bar = new ProgressBar(ctx.out, `LOAD ${toHex(cap.packageAid)}`, commands.length, total);
  for (const command of commands) {
    expectOk(await ctx.send(command, 'LOAD'), 'LOAD', `block ${command.p2}`);
    bar.tick(command.data.length);
  }
  bar.finish();
  return commands.length;
}

/** Loads the CAP and installs (and makes selectable) its applet. */
export async function gpInstall(ctx: GpContext, capPath: string, options: InstallOptions): Promise<void> {
  const plan = planInstall(capPath, options);
  const session = await ctx.session();
  const blockSize = loadBlockSize(session, (await ctx.sd()).fci?.maxCommandDataLength);
  const blocks = await load(ctx, plan, blockSize);
  ctx.out.out(`Loaded ${toHex(plan.cap.packageAid)}: ${plan.cap.loadFileDataBlock.length} bytes in ${blocks} LOAD block(s) of up to ${blockSize}`);
  const instance = plan.instance;
  if (instance === undefined) return;
  const command = buildInstall({
    kind: 'install',
    loadFileAid: plan.cap.packageAid,
    moduleAid: instance.moduleAid,
    applicationAid: instance.aid,
    privileges: encodePrivileges(instance.privileges),
    parameters: instance.parameters,
    makeSelectable: true,
  });
  expectOk(await ctx.send(command, 'INSTALL [for install]'), 'INSTALL [for install]', toHex(instance.aid));
  const privs = instance.privileges.length === 0 ? 'no privileges' : instance.privileges.join(', ');
  ctx.out.out(`Installed ${toHex(instance.aid)} (module ${toHex(instance.moduleAid)}), selectable, ${privs}`);
}
