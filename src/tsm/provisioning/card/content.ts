/**
 * Card content management of a deploy (GPC 2.3.1 chapter 9, §11): install an instance (by the SP's
 * SSD with Authorized Management), move it under the SSD (extradition by the ISD), load a package,
 * lock / unlock and delete. Each operation first asks the card (GET STATUS) or reads a refusal back
 * so that running it twice is safe: it reports what it did, or refuses with a typed error that
 * `readCardContent` explains.
 */
import { SW } from '../../../apdu/index.ts';
import { fromHex } from '../../../bytes/index.ts';
import {
  SET_STATUS_LOCK,
  SET_STATUS_UNLOCK,
  buildDelete,
  buildInstall,
  buildLoadCommands,
  buildLoadFile,
  buildSetStatus,
  encodeInstallParameters,
  encodePrivileges,
  getStatusAll,
  parseCapFile,
  type SecureChannelSession,
} from '../../../gp/index.ts';
import { TsmError } from '../../errors.ts';
import { aidArg, aidHex, cardRefused, sameAid, sendOk } from './commands.ts';
import { isLockedEntry, readApplication } from './registry.ts';

/** Options of {@link installInstance}. */
export interface InstallInstanceRequest {
  readonly loadFileAid: Uint8Array | string;
  readonly moduleAid: Uint8Array | string;
  /** The instance AID. */
  readonly aid: Uint8Array | string;
  /** GP privileges, 1 or 3 bytes, or hex (default none). */
  readonly privileges?: Uint8Array | string;
  /** Application specific parameters, the value of 'C9' (default empty). */
  readonly applicationParameters?: Uint8Array;
}

function privilegesArg(value: Uint8Array | string | undefined): Uint8Array {
  if (value === undefined) return encodePrivileges([]);
  const bytes = typeof value === 'string' ? (/^([0-9A-Fa-f]{2}){1,3}$/.test(value) ? fromHex(value) : undefined) : value;
  if (bytes === undefined || (bytes.length !== 1 && bytes.length !== 3)) throw new TsmError('ERR_TSM_REQUEST', 'privileges: 1 or 3 bytes (GPC 2.3.1 Table 6-1)');
  return bytes;
}

/**
 * INSTALL [for install and make selectable] (GPC 2.3.1 §11.5.2.3.2) by the session's Security Domain.
 * With an SSD session the instance lands under the load file's Security Domain (§9.3.6): for a
 * package preloaded under the ISD, that is the ISD until {@link extraditeToSsd}. An AID already
 * present (6A80, Table 11-55) is `{ created: false }` when the session sees it; one it cannot see
 * (it is in another Security Domain's hierarchy) is ERR_TSM_CONFLICT.
 */
export async function installInstance(session: SecureChannelSession, request: InstallInstanceRequest): Promise<{ readonly created: boolean }> {
  const aid = aidArg(request.aid, 'aid');
  const command = buildInstall({
    kind: 'install', loadFileAid: aidArg(request.loadFileAid, 'loadFileAid'), moduleAid: aidArg(request.moduleAid, 'moduleAid'), applicationAid: aid,
    privileges: privilegesArg(request.privileges), parameters: encodeInstallParameters({ applicationSpecific: request.applicationParameters ?? new Uint8Array(0) }), makeSelectable: true,
  });
  const response = await session.transmit(command);
  // Table 11-55: 6A80 also means "AID already in the registry"; tell the two apart by asking
  if (response.sw === SW.INCORRECT_DATA && (await readApplication(session, aid)) !== undefined) return { created: false };
  if (response.sw !== SW.OK) {
    const hint = response.sw === SW.INCORRECT_DATA ? ' (the AID may be taken outside this Security Domain\'s hierarchy: readCardContent through the ISD)' : '';
    throw cardRefused(response.sw, `INSTALL [for install and make selectable] of ${aidHex(aid)}${hint}`);
  }
  return { created: true };
}

/**
 * INSTALL [for extradition] (GPC 2.3.1 §11.5.2.3.4, §9.4.1) by the ISD: the instance `aid` becomes
 * associated with the SSD `ssdAid` (which must be PERSONALIZED), so the SP personalizes, locks and
 * deletes it through its own channel. Already there: `{ moved: false }`.
 */
export async function extraditeToSsd(isd: SecureChannelSession, target: { readonly aid: Uint8Array | string; readonly ssdAid: Uint8Array | string }): Promise<{ readonly moved: boolean }> {
  const aid = aidArg(target.aid, 'aid');
  const ssdAid = aidArg(target.ssdAid, 'ssdAid');
  const entry = await readApplication(isd, aid);
  if (entry === undefined) throw new TsmError('ERR_TSM_NOT_FOUND', `instance ${aidHex(aid)} is not on the card`);
  if (sameAid(entry.domainAid, ssdAid)) return { moved: false };
  await sendOk(isd, buildInstall({ kind: 'extradition', securityDomainAid: ssdAid, aid }), 'INSTALL [for extradition]');
  return { moved: true };
}

/**
 * SET STATUS lock (GPC 2.3.1 §11.10, P1 '40', P2 b8 = 1) of an application: by the ISD (lost or
 * stolen SE, §5.3.1.3) or by its SSD (the SP suspends its service). Already LOCKED: `{ changed: false }`.
 */
export function lockApplication(session: SecureChannelSession, aid: Uint8Array | string): Promise<{ readonly changed: boolean }> {
  return setLocked(session, aidArg(aid, 'aid'), true);
}

/** SET STATUS unlock (GPC 2.3.1 §11.10.2.2, P2 b8 = 0): back to the state before the lock. Not LOCKED: `{ changed: false }`. */
export function unlockApplication(session: SecureChannelSession, aid: Uint8Array | string): Promise<{ readonly changed: boolean }> {
  return setLocked(session, aidArg(aid, 'aid'), false);
}

async function setLocked(session: SecureChannelSession, aid: Uint8Array, lock: boolean): Promise<{ readonly changed: boolean }> {
  const entry = await readApplication(session, aid);
  if (entry === undefined) throw new TsmError('ERR_TSM_NOT_FOUND', `application ${aidHex(aid)} is not on the card (or not in this Security Domain's hierarchy)`);
  if (isLockedEntry(entry) === lock) return { changed: false };
  await sendOk(session, buildSetStatus({ scope: 'application', aid, state: lock ? SET_STATUS_LOCK : SET_STATUS_UNLOCK }), lock ? 'SET STATUS lock' : 'SET STATUS unlock');
  return { changed: true };
}

/**
 * DELETE (GPC 2.3.1 §11.2) of an application instance (or, with `related`, a load file and its
 * instances, §9.5.3). Not on the card (6A88, Table 11-26): `{ deleted: false }`.
 */
export async function deleteInstance(session: SecureChannelSession, aid: Uint8Array | string, options: { readonly related?: boolean } = {}): Promise<{ readonly deleted: boolean }> {
  const target = aidArg(aid, 'aid');
  const response = await session.transmit(buildDelete({ kind: 'card-content', aid: target, related: options.related === true }));
  if (response.sw === SW.REFERENCED_DATA_NOT_FOUND) return { deleted: false };
  if (response.sw !== SW.OK) throw cardRefused(response.sw, `DELETE ${aidHex(target)}`);
  return { deleted: true };
}

/**
 * Loads a CAP file through the session's Security Domain (GPC 2.3.1 §11.5.2.3.1, §11.6): INSTALL
 * [for load] naming `ssdAid` as the SD to associate with and the SHA-256 LFDB hash, then the Load
 * File in LOAD blocks sized for the secure channel. A load file already on the card (6A80 on INSTALL
 * [for load]) is `{ loaded: false }` when the session sees it.
 */
export async function loadPackage(
  session: SecureChannelSession,
  cap: Uint8Array,
  target: { readonly loadFileAid: Uint8Array | string; readonly ssdAid?: Uint8Array | string; readonly blockSize?: number },
): Promise<{ readonly loaded: boolean }> {
  const loadFileAid = aidArg(target.loadFileAid, 'loadFileAid');
  const file = parseCapFile(cap);
  if (!sameAid(file.packageAid, loadFileAid)) throw new TsmError('ERR_TSM_REQUEST', `loadFileAid: the CAP file's package is ${aidHex(file.packageAid)}`);
  const install = buildInstall({
    kind: 'load', loadFileAid, securityDomainAid: target.ssdAid === undefined ? undefined : aidArg(target.ssdAid, 'ssdAid'),
    lfdbHash: file.lfdbSha256,
  });
  const response = await session.transmit(install);
  if (response.sw === SW.INCORRECT_DATA && (await loadFileVisible(session, loadFileAid))) return { loaded: false };
  if (response.sw !== SW.OK) throw cardRefused(response.sw, `INSTALL [for load] of ${aidHex(loadFileAid)}`);
  const blockSize = Math.min(target.blockSize ?? 200, session.maxPlainDataLength());
  for (const command of buildLoadCommands(buildLoadFile({ dapBlocks: [], lfdb: file.loadFileDataBlock }), blockSize)) await sendOk(session, command, 'LOAD');
  return { loaded: true };
}

async function loadFileVisible(session: SecureChannelSession, aid: Uint8Array): Promise<boolean> {
  const files = await getStatusAll((c) => session.transmit(c), { scope: 'loadFiles', aid });
  return files.some((f) => sameAid(f.aid, aid));
}
