/**
 * INSTALL [for load] (GPC 2.3.1 §11.5.2.3.1, §9.3.5 "Load Request Runtime Behavior"): checks the
 * load request and remembers it on the logical channel for the LOAD commands that follow.
 */
import { SW, type CommandApdu, type ResponseApdu } from '../../../apdu/index.ts';
import { BlockAssembler, dmTokenData, installDataWithoutToken, parseInstallParameters, type InstallRequest, type LfdbHashAlgorithm } from '../../../gp/index.ts';
import { CardException } from '../../runtime/card-exception.ts';
import { requireMemory } from '../instances.ts';
import { sameAid } from '../registry.ts';
import type { SdCommandContext } from '../sd-context.ts';
import { checkToken, contentManager, noConfirmation, receivingSd, requireUnusedAid } from './install-policy.ts';

/** The hash algorithm of a Load File Data Block Hash, told by its length (Appendix C.2, Table C-3; B.5). */
const HASH_BY_LENGTH: ReadonlyMap<number, LfdbHashAlgorithm> = new Map([
  [20, 'sha1'],
  [32, 'sha256'],
  [48, 'sha384'],
  [64, 'sha512'],
]);

/** The algorithm of `hash` (C.2: "automatically detected by the OPEN, e.g. based on the length"), 6A80 for any other length. */
export function hashAlgorithmOf(hash: Uint8Array): LfdbHashAlgorithm {
  const algorithm = HASH_BY_LENGTH.get(hash.length);
  if (algorithm === undefined) throw new CardException(SW.INCORRECT_DATA, `a Load File Data Block Hash of ${hash.length} bytes matches no supported algorithm`);
  return algorithm;
}

/** INSTALL [for load]: response '00' (§11.5.3.1); the load itself completes with the last LOAD. */
export function installForLoad(request: Extract<InstallRequest, { kind: 'load' }>, command: CommandApdu, ctx: SdCommandContext): ResponseApdu {
  const state = ctx.manager.model.state;
  ctx.channel.load = undefined; // a new load request ends any load left unfinished on this channel
  // §9.3.5: the requesting entity is an SD with Delegated or Authorized Management (an SSD PERSONALIZED)
  const sd = contentManager(ctx);
  // §11.5.2.3.1: the hash is mandatory with a Load Token; when present it shall be checked (§9.2.2)
  if (request.token !== undefined && request.lfdbHash === undefined) throw new CardException(SW.INCORRECT_DATA, 'a Load Token needs the Load File Data Block Hash');
  if (request.lfdbHash !== undefined) hashAlgorithmOf(request.lfdbHash);
  checkToken(state, sd, request.token, () => dmTokenData(command.p1, command.p2, installDataWithoutToken(request)));
  // §9.3.5: the Load File AID is not yet in the GlobalPlatform Registry (6A80, Table 11-55)
  requireUnusedAid(state, request.loadFileAid, 'the Load File AID', { modules: true });
  // §9.3.5: another associated SD must exist with the SD privilege and accept (implicit extradition)
  if (request.securityDomainAid !== undefined && !sameAid(request.securityDomainAid, sd.aid)) receivingSd(state, request.securityDomainAid);
  // §9.7, Table 11-48: the minimum non-volatile memory must be available now (C6 + C8 when both are given)
  const system = request.parameters === undefined ? undefined : parseInstallParameters(request.parameters).system;
  requireMemory(state, (system?.nonVolatileCode ?? 0) + (system?.nonVolatileMemory ?? 0));
  ctx.channel.load = { request, blocks: new BlockAssembler('LOAD') };
  return noConfirmation();
}
