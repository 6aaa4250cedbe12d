/**
 * GET STATUS (GPC 2.3.1 §11.4): the registry entries this Security Domain may see, in the tag
 * format (P2 b2 = 1, Tables 11-36 / 11-37) or the legacy GP 2.1.1 format (P2 b2 = 0), in pages of
 * whole entries with 6310 and "get next".
 */
import { responseApdu, SW, type CommandApdu, type ResponseApdu } from '../../../apdu/index.ts';
import {
  LOAD_FILE_LIFECYCLE,
  paginateRegistry,
  parseGetStatusCommand,
  type GetStatusCommand,
  type RegistryEntryFields,
} from '../../../gp/index.ts';
import { encodeTlvList, parseTlvList, tlv } from '../../../tlv/index.ts';
import { CardException } from '../../runtime/card-exception.ts';
import type { ApplicationState, CardState, LoadFileState } from '../../state/card-state.ts';
import { aidStartsWith, holds, isIsd } from '../registry.ts';
import { currentSd, type SdCommandContext } from '../sd-context.ts';
import { loadFileInHierarchyOf, visibleTo } from './hierarchy.ts';

/**
 * Plain bytes per page: a short response carries 256 bytes (§11.1.5), and secure messaging may add
 * a 16-byte R-MAC (SCP03 S16) and up to 16 bytes of R-ENC padding (Amd D v1.1.1 §6.2.7).
 */
export const GET_STATUS_PAGE_SIZE = 256 - 16 - 16;

const P2_TAG_FORMAT = 0x02;

/**
 * GET STATUS handler.
 * - P1 80 (the ISD, search criteria ignored) is answered to the ISD and to SDs with Global Registry
 *   only (§11.4.2.1); others get 6A86. P1 40 lists applications and SSDs, P1 20 load files, P1 10
 *   load files with their modules.
 * - Visibility (§11.4.2.3): with Global Registry, the whole registry; otherwise the SD's own
 *   hierarchy (itself, what is associated with it directly or through its SSDs, their load files).
 * - Search: '4F' is an AID prefix ('4F 00' all). Nothing found: 6A88 (Table 11-39).
 * - Tag list '5C' (tag format): each 'E3' holds exactly the listed objects (§11.4.3.1), '4F' and
 *   '9F70' included only when listed. Without a list: 4F, 9F70, C5 (applications), CF, C4, CE, 84
 *   (P1 10), CC as the registry has them.
 * - The legacy format is answered unless the profile's `legacyGetStatusOnly` quirk is set, which
 *   refuses the tag format with 6A86 (gp.md §4.4).
 * - Paging: 6310 while pages remain; "get next" (P2 b1) with the same P1 and format continues,
 *   anything else — or a "next" with nothing pending — gets 6985 (§11.4.2.2).
 */
export function getStatus(command: CommandApdu, ctx: SdCommandContext): ResponseApdu {
  const request = parseGetStatusCommand(command);
  if (request.format === 'tag' && ctx.manager.profile.quirks.legacyGetStatusOnly) {
    throw new CardException(SW.INCORRECT_P1P2, 'GET STATUS: this card answers the legacy format only');
  }
  const p1 = command.p1 & 0xf0;
  const p2 = command.p2 & P2_TAG_FORMAT;
  if (request.next) {
    const rest = ctx.channel.getStatusRest;
    ctx.channel.getStatusRest = undefined;
    if (rest === undefined || rest.p1 !== p1 || rest.p2 !== p2) throw new CardException(SW.CONDITIONS_OF_USE_NOT_SATISFIED, 'GET STATUS: no matching "get first" to continue (§11.4.2.2)');
    return answer(rest.pages, p1, p2, ctx);
  }
  ctx.channel.getStatusRest = undefined;
  const entries = registryEntries(ctx, request);
  if (entries.length === 0) throw new CardException(SW.REFERENCED_DATA_NOT_FOUND, 'GET STATUS: nothing matches');
  const pages = paginateRegistry(entries, { format: request.format, scope: request.scope, maxLength: GET_STATUS_PAGE_SIZE });
  return answer(request.format === 'tag' && request.tagList !== undefined ? pages.map((p) => keepListed(p, request.tagList!)) : pages, p1, p2, ctx);
}

function answer(pages: readonly Uint8Array[], p1: number, p2: number, ctx: SdCommandContext): ResponseApdu {
  const [first, ...rest] = pages;
  if (first === undefined) throw new CardException(SW.REFERENCED_DATA_NOT_FOUND, 'GET STATUS: nothing matches');
  if (rest.length === 0) return responseApdu(first, SW.OK);
  ctx.channel.getStatusRest = { p1, p2, pages: rest };
  return responseApdu(first, SW.MORE_DATA_AVAILABLE); // Table 11-38
}

/** Drops from each 'E3' the mandatory objects (4F, 9F70) the tag list does not name (§11.4.3.1). */
function keepListed(page: Uint8Array, tags: readonly number[]): Uint8Array {
  if (tags.includes(0x4f) && tags.includes(0x9f70)) return page;
  return encodeTlvList(parseTlvList(page).map((e3) => tlv(0xe3, (e3.children ?? []).filter((c) => tags.includes(c.tag)))));
}

/** The registry entries the command asks for and this SD may see, as GET STATUS fields. */
function registryEntries(ctx: SdCommandContext, request: GetStatusCommand): RegistryEntryFields[] {
  const state = ctx.manager.model.state;
  const self = currentSd(ctx);
  const want = (tag: number) => request.format === 'legacy' || request.tagList === undefined || request.tagList.includes(tag);
  const matches = (aid: Uint8Array) => aidStartsWith(aid, request.aid);
  switch (request.scope) {
    case 'isd': {
      if (!isIsd(state, self.aid) && !holds(self, 'GlobalRegistry')) throw new CardException(SW.INCORRECT_P1P2, 'GET STATUS: P1 80 needs the ISD or Global Registry (§11.4.2.1)');
      const isd = state.applications.find((a) => isIsd(state, a.aid));
      return isd === undefined ? [] : [applicationFields(state, isd, want)];
    }
    case 'applications':
      return state.applications.filter((a) => !isIsd(state, a.aid) && matches(a.aid) && visibleTo(state, self, a)).map((a) => applicationFields(state, a, want));
    case 'loadFiles':
    case 'loadFilesAndModules': {
      const modules = request.scope === 'loadFilesAndModules';
      const visible = (f: LoadFileState) => holds(self, 'GlobalRegistry') || loadFileInHierarchyOf(state, self.aid, f);
      return state.loadFiles.filter((f) => matches(f.aid) && visible(f)).map((f) => loadFileFields(f, modules, want));
    }
  }
}

/** Table 11-36; the ISD reports the card life cycle (§5.1). */
function applicationFields(state: CardState, app: ApplicationState, want: (tag: number) => boolean): RegistryEntryFields {
  return {
    aid: app.aid,
    lifecycle: isIsd(state, app.aid) ? state.lifecycle : app.lifecycle,
    privileges: want(0xc5) ? app.privileges : undefined,
    implicitSelection: want(0xcf) ? app.implicitSelection : [],
    loadFileAid: want(0xc4) ? app.loadFileAid : undefined,
    domainAid: want(0xcc) ? app.sdAid : undefined,
  };
}

/** Table 11-37: modules (84) only for P1 10 (Note 2). */
function loadFileFields(file: LoadFileState, modules: boolean, want: (tag: number) => boolean): RegistryEntryFields {
  return {
    aid: file.aid,
    lifecycle: LOAD_FILE_LIFECYCLE.LOADED,
    version: want(0xce) ? file.version : undefined,
    modules: modules && want(0x84) ? file.modules.map((m) => m.aid) : [],
    domainAid: want(0xcc) ? file.sdAid : undefined,
  };
}
