/**
 * LOAD (GPC 2.3.1 §11.6; §9.3.5 "Load Phase" and "Load Completion Runtime Behavior"): blocks are
 * gathered on the logical channel after INSTALL [for load]; the last block completes the load —
 * DAP checks, the Load File Data Block Hash, the package read from the CAP components, memory — and
 * only then is the Executable Load File registered. The load in progress is volatile: any refusal
 * ends it, and a power cut forgets it, so nothing half-loaded reaches the registry.
 */
import { SW, type CommandApdu, type ResponseApdu } from '../../../apdu/index.ts';
import { equalCt } from '../../../bytes/index.ts';
import { hasPrivilege, lfdbHash, parseLoadCommand, parseLoadFile, type DapBlock, type InstallRequest } from '../../../gp/index.ts';
import { CardException } from '../../runtime/card-exception.ts';
import type { ApplicationState, CardState, LoadFileState } from '../../state/card-state.ts';
import { requireMemory } from '../instances.ts';
import { findApp, holds, sameAid } from '../registry.ts';
import type { SdCommandContext } from '../sd-context.ts';
import { readLfdb } from './install-lfdb.ts';
import { hashAlgorithmOf } from './install-load.ts';
import { contentManager, isPersonalizedSd, noConfirmation, requireUnusedAid } from './install-policy.ts';
import { verifyDap } from './install-token.ts';

type LoadRequest = Extract<InstallRequest, { kind: 'load' }>;

/** LOAD: '00' for every block (§11.6.3.1; the ISD returns no receipt, nor do SDs here). */
export function load(command: CommandApdu, ctx: SdCommandContext): ResponseApdu {
  const pending = ctx.channel.load;
  // §9.3.5: on any failure the OPEN terminates the loading process; the load stays open only while blocks keep coming
  ctx.channel.load = undefined;
  if (pending === undefined) throw new CardException(SW.CONDITIONS_OF_USE_NOT_SATISFIED, 'LOAD without INSTALL [for load] on this channel (§9.3.5)');
  const block = parseLoadCommand(command);
  // §11.6.2.2: blocks numbered '00', '01', … strictly; a gap or a repeat is 6A86
  const file = pending.blocks.accept(block.blockNumber, block.last, block.data);
  if (file === undefined) {
    ctx.channel.load = pending;
    return noConfirmation();
  }
  completeLoad(pending.request, file, ctx);
  return noConfirmation();
}

/** Whether an SD can verify DAPs (DAP Verification, or Mandated DAP Verification which implies it; Table 6-1). */
function verifiesDaps(app: ApplicationState): boolean {
  return app.sd !== undefined && (hasPrivilege(app.privileges, 'DAPVerification') || hasPrivilege(app.privileges, 'MandatedDAPVerification'));
}

/**
 * §9.3.5 Load Phase / Load Completion: DAP blocks need the hash of the load request (6985); each
 * block naming an SD with DAP privileges is verified by it (6982 when it fails); a PERSONALIZED SD
 * with Mandated DAP Verification and an associated SD with DAP Verification must each have verified
 * one (6985 when their block is missing). Blocks naming other entities are not verified.
 */
function checkDaps(state: CardState, associated: ApplicationState, blocks: readonly DapBlock[], hash: Uint8Array | undefined): void {
  const verified: ApplicationState[] = [];
  for (const dap of blocks) {
    if (hash === undefined) throw new CardException(SW.CONDITIONS_OF_USE_NOT_SATISFIED, 'a DAP Block needs the Load File Data Block Hash in INSTALL [for load]');
    const sd = findApp(state, dap.securityDomainAid);
    if (sd === undefined || !verifiesDaps(sd)) continue;
    if (!verifyDap(sd, hash, dap.signature)) throw new CardException(SW.SECURITY_STATUS_NOT_SATISFIED, 'DAP verification failed');
    verified.push(sd);
  }
  const required = state.applications.filter((a) => a.sd !== undefined && holds(a, 'MandatedDAPVerification') && isPersonalizedSd(state, a));
  if (holds(associated, 'DAPVerification')) required.push(associated);
  for (const sd of required) {
    if (!verified.some((v) => sameAid(v.aid, sd.aid))) throw new CardException(SW.CONDITIONS_OF_USE_NOT_SATISFIED, 'a required DAP Block is missing (§11.6.2.3)');
  }
}

/** The last block arrived: verify everything, then register the Executable Load File (§9.3.5 "Load Completion"). */
function completeLoad(request: LoadRequest, loadFile: Uint8Array, ctx: SdCommandContext): void {
  const model = ctx.manager.model;
  const state = model.state;
  const sd = contentManager(ctx);
  const associatedAid = request.securityDomainAid ?? sd.aid;
  const associated = findApp(state, associatedAid);
  if (associated?.sd === undefined) throw new CardException(SW.REFERENCED_DATA_NOT_FOUND, 'the associated Security Domain is gone');
  // Table 11-58: E2* then C4, or E2* [D3] D4 (6A80 otherwise)
  const parts = parseLoadFile(loadFile);
  if (parts.cipheredLfdb !== undefined) throw new CardException(SW.INCORRECT_DATA, 'ciphered Load File Data Blocks (D3/D4, Appendix C.6) are not supported');
  if (holds(associated, 'CipheredLoadFileDataBlock')) throw new CardException(SW.CONDITIONS_OF_USE_NOT_SATISFIED, 'the associated SD requires a ciphered Load File Data Block (§9.1.3.7)');
  const lfdb = parts.lfdb!;
  checkDaps(state, associated, parts.dapBlocks, request.lfdbHash);
  // §9.2.2, C.2: a hash received in the load request is checked over the LFDB without C4 and its length
  if (request.lfdbHash !== undefined && !equalCt(lfdbHash(lfdb, hashAlgorithmOf(request.lfdbHash)), request.lfdbHash)) {
    throw new CardException(SW.CONDITIONS_OF_USE_NOT_SATISFIED, 'the Load File Data Block does not match its hash');
  }
  const content = readLfdb(lfdb);
  // §11.5.2.3.1: the Load File AID is consistent with the Load File Data Block
  if (!sameAid(content.packageAid, request.loadFileAid)) throw new CardException(SW.INCORRECT_DATA, 'the package AID differs from the Load File AID');
  requireUnusedAid(state, request.loadFileAid, 'the Load File AID', { modules: true }); // another channel may have loaded it meanwhile
  content.moduleAids.forEach((aid, i) => {
    // §6.5.1.1: Executable Module AIDs are unique on the card
    requireUnusedAid(state, aid, 'an Executable Module AID', { modules: true });
    if (sameAid(aid, request.loadFileAid) || content.moduleAids.slice(0, i).some((m) => sameAid(m, aid))) throw new CardException(SW.INCORRECT_DATA, 'duplicate Executable Module AID');
  });
  // §9.3.5, §9.7: the Load File's resource requirements fit the card
  requireMemory(state, lfdb.length);
  // Table 11-3: an Executable Load File has one state, LOADED, implied by its registry entry
  const entry: LoadFileState = {
    aid: request.loadFileAid.slice(),
    sdAid: associated.aid.slice(),
    modules: content.moduleAids.map((aid) => ({ aid: aid.slice() })),
    version: content.version,
    lfdb: lfdb.slice(),
    size: lfdb.length,
  };
  model.update({ ...state, loadFiles: [...state.loadFiles, entry] });
}
