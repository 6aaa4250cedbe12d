/**
 * The ARA-M's STORE DATA command data objects (SEAC v1.1 §5.1, Table 5-1), applied to an immutable
 * rule store. Updating commands return the new state (with a new refresh tag); retrieval commands
 * return response data. Tags as SEAC v1.1 Tables 5-2..5-12 (pySim `ara_m.py`; F0/F1/F2 also in the
 * aram-applet reference and GlobalPlatformPro):
 *
 * | tag | command | here |
 * |---|---|---|
 * | F0 | Command-Store-REF-AR-DO: one or more REF-AR-DO | a REF-DO already stored → 6A89 |
 * | F1 | Command-Delete: empty (all), AID-REF-DO, REF-DO or REF-AR-DO | nothing matches → 6A88 |
 * | F2 | Command-UpdateRefreshTag: empty | new refresh tag |
 * | F3 | Command-Get: empty or an AID-REF-DO | Response-ALL-REF-AR-DO (FF40), paged |
 * | F4 | Command-Get-All: empty | FF40, paged |
 * | F5 | Command-Get-Next: empty | next page |
 * | F6 | Command-Get-Client-AIDs: empty | Response-ARAC-AID-DO (FF70) |
 * | F7 | Command-Register-Client-AIDs: AID-REF-DOs | replaces the ARA-C list |
 * | F8 | Command-Get-DeviceConfig: empty | Response-DeviceConfig-DO (FF7F) |
 * | E7 | Block-DO | 6981, DO not supported |
 *
 * An ARA-C (ara-c-applet.ts) takes F0–F5 only: F6–F8 are the ARA-M's (6981), and its rules must
 * name a specific SE application — a generic AID-REF-DO ('4F 00' all applications, 'C0 00' the
 * default one) is refused with 6A80, so an SP's Security Domain cannot grant access to applications
 * that are not its own by a wildcard (OpenTSM policy; SEAC v1.1 leaves the ARA-C's scope to the card [M]).
 */
import { SW } from '../../../apdu/index.ts';
import { concat } from '../../../bytes/index.ts';
import { encodeTlv, encodeTlvList, tlv, type Tlv } from '../../../tlv/index.ts';
import { CardException } from '../../runtime/card-exception.ts';
import { ARA_LIMITS, checkCapacity, nextRefreshTag, type AraState } from './ara-state.ts';
import { aidRefOf, ARA_TAG, badData, encodeFfTemplate, encodeRefArDo, parseAidRefDo, parseRefArDo, parseRefDo, sameBytes, type StoredRule } from './data-objects.ts';

/** STORE DATA command DO tags (SEAC v1.1 Table 5-1). */
export const ARA_COMMAND = {
  STORE_REF_AR_DO: 0xf0,
  DELETE: 0xf1,
  UPDATE_REFRESH_TAG: 0xf2,
  GET: 0xf3,
  GET_ALL: 0xf4,
  GET_NEXT: 0xf5,
  GET_CLIENT_AIDS: 0xf6,
  REGISTER_CLIENT_AIDS: 0xf7,
  GET_DEVICE_CONFIG: 0xf8,
  BLOCK_DO: 0xe7,
} as const;

/** Which ARA the store belongs to: the master (all commands) or a client (module comment). */
export type AraRole = 'ara-m' | 'ara-c';

/** Command DOs only the ARA-M takes (the ARA-C list and the device configuration are its own). */
const ARA_M_ONLY: readonly number[] = [ARA_COMMAND.GET_CLIENT_AIDS, ARA_COMMAND.REGISTER_CLIENT_AIDS, ARA_COMMAND.GET_DEVICE_CONFIG];

/** SEAC v1.1 §5.1.2.2 (pySim's status-word table): the DO is not supported by this ARA. */
export const SW_DO_NOT_SUPPORTED = 0x6981;

/** What one command DO did: a new state to store, response data, or a listing to page. */
export interface CommandOutcome {
  readonly state: AraState;
  readonly changed: boolean;
  readonly response?: Uint8Array;
  /** A complete Response-ALL-REF-AR-DO for the caller to page. */
  readonly listing?: Uint8Array;
  /** Command-Get-Next: continue the pending listing. */
  readonly next?: true;
}

/** The Response-ALL-REF-AR-DO 'FF40' of `rules` (SEAC v1.1 Table 4-2); empty rules give FF40 00. */
export function encodeAllRules(rules: readonly StoredRule[]): Uint8Array {
  return encodeFfTemplate(ARA_TAG.RESPONSE_ALL_REF_AR_DO, encodeTlvList(rules.map(encodeRefArDo)));
}

function expectEmpty(node: Tlv, what: string): void {
  if (node.value.length !== 0) badData(`${what} takes no data`);
}

function updated(state: AraState, change: Partial<AraState>): CommandOutcome {
  return { state: { ...state, ...change, refreshTag: nextRefreshTag(state.refreshTag) }, changed: true };
}

/** Command-Store-REF-AR-DO: every REF-DO must be new, in the store and within the command. */
function store(state: AraState, kids: readonly Tlv[], role: AraRole): CommandOutcome {
  if (kids.length === 0) badData('Command-Store-REF-AR-DO holds at least one REF-AR-DO');
  const rules = [...state.rules];
  for (const k of kids) {
    const { ref, ar, aidRef } = parseRefArDo(k);
    // an empty AID-REF-DO (4F 00 or C0 00) is two bytes: a wildcard an ARA-C may not grant
    if (role === 'ara-c' && aidRef.length === 2) badData('an ARA-C rule names a specific SE application');
    // SEAC §5.1.2.2: a rule for this REF-DO already exists → 6A89 (conflicting access rule)
    if (rules.some((r) => sameBytes(r.ref, ref))) throw new CardException(SW.FILE_ALREADY_EXISTS, 'ARA-M: a rule with this REF-DO already exists');
    rules.push({ ref, ar });
  }
  checkCapacity(rules);
  return updated(state, { rules });
}

/** Command-Delete: all rules, by AID-REF-DO, by REF-DO, or one exact REF-AR-DO. */
function remove(state: AraState, kids: readonly Tlv[]): CommandOutcome {
  if (kids.length === 0) return updated(state, { rules: [] });
  let rules = state.rules;
  for (const k of kids) {
    let keep: (r: StoredRule) => boolean;
    if (k.tag === ARA_TAG.AID_REF_DO || k.tag === ARA_TAG.AID_REF_DO_DEFAULT) {
      const aidRef = parseAidRefDo(k);
      keep = (r) => !sameBytes(aidRefOf(r), aidRef);
    } else if (k.tag === ARA_TAG.REF_DO) {
      const ref = parseRefDo(k).encoded;
      keep = (r) => !sameBytes(r.ref, ref);
    } else if (k.tag === ARA_TAG.REF_AR_DO) {
      const target = parseRefArDo(k);
      keep = (r) => !(sameBytes(r.ref, target.ref) && sameBytes(r.ar, target.ar));
    } else {
      badData('Command-Delete holds an AID-REF-DO, a REF-DO or a REF-AR-DO');
    }
    const next = rules.filter(keep);
    if (next.length === rules.length) throw new CardException(SW.REFERENCED_DATA_NOT_FOUND, 'ARA-M: no rule matches the Command-Delete');
    rules = next;
  }
  return updated(state, { rules });
}

/** Command-Register-Client-AIDs: the ARA-C AIDs, each a specific AID (5–16 bytes), no duplicates. */
function registerClients(state: AraState, kids: readonly Tlv[]): CommandOutcome {
  if (kids.length > ARA_LIMITS.maxClientAids) throw new CardException(SW.NOT_ENOUGH_MEMORY, 'ARA-M: too many ARA-C AIDs');
  const clientAids: Uint8Array[] = [];
  for (const k of kids) {
    if (k.tag !== ARA_TAG.AID_REF_DO || k.value.length === 0) badData('Command-Register-Client-AIDs holds AID-REF-DOs with an AID');
    const aidRef = parseAidRefDo(k);
    if (clientAids.some((a) => sameBytes(a, aidRef))) badData('Command-Register-Client-AIDs: an AID is given twice');
    clientAids.push(aidRef);
  }
  return updated(state, { clientAids });
}

/** Command-Get: the rules of one AID-REF-DO, or all of them when empty. */
function get(state: AraState, kids: readonly Tlv[]): CommandOutcome {
  if (kids.length === 0) return { state, changed: false, listing: encodeAllRules(state.rules) };
  if (kids.length !== 1) badData('Command-Get holds at most one AID-REF-DO');
  const aidRef = parseAidRefDo(kids[0]!);
  return { state, changed: false, listing: encodeAllRules(state.rules.filter((r) => sameBytes(aidRefOf(r), aidRef))) };
}

/** Applies one command data object to `state` (nothing is mutated) in an ARA of `role`. */
export function applyCommand(state: AraState, node: Tlv, role: AraRole = 'ara-m'): CommandOutcome {
  const kids = node.constructed ? (node.children ?? []) : [];
  if (role === 'ara-c' && ARA_M_ONLY.includes(node.tag)) throw new CardException(SW_DO_NOT_SUPPORTED, 'ARA-C: this command belongs to the ARA-M');
  switch (node.tag) {
    case ARA_COMMAND.STORE_REF_AR_DO:
      return store(state, kids, role);
    case ARA_COMMAND.DELETE:
      return remove(state, kids);
    case ARA_COMMAND.UPDATE_REFRESH_TAG:
      expectEmpty(node, 'Command-UpdateRefreshTag');
      return updated(state, {});
    case ARA_COMMAND.REGISTER_CLIENT_AIDS:
      return registerClients(state, kids);
    case ARA_COMMAND.GET:
      return get(state, kids);
    case ARA_COMMAND.GET_ALL:
      expectEmpty(node, 'Command-Get-All');
      return { state, changed: false, listing: encodeAllRules(state.rules) };
    case ARA_COMMAND.GET_NEXT:
      expectEmpty(node, 'Command-Get-Next');
      return { state, changed: false, next: true };
    case ARA_COMMAND.GET_CLIENT_AIDS:
      expectEmpty(node, 'Command-Get-Client-AIDs');
      return { state, changed: false, response: encodeFfTemplate(ARA_TAG.RESPONSE_ARAC_AID_DO, concat(...state.clientAids)) };
    case ARA_COMMAND.GET_DEVICE_CONFIG:
      expectEmpty(node, 'Command-Get-DeviceConfig');
      if (state.deviceInterfaceVersion === undefined) throw new CardException(SW.REFERENCED_DATA_NOT_FOUND, 'ARA-M: no device configuration received yet');
      return { state, changed: false, response: encodeDeviceConfig(state.deviceInterfaceVersion) };
    case ARA_COMMAND.BLOCK_DO:
      throw new CardException(SW_DO_NOT_SUPPORTED, 'ARA-M: Block-DO is not supported');
    default:
      return badData(`unknown STORE DATA command object ${node.tag.toString(16).toUpperCase()}`);
  }
}

/** Response-DeviceConfig-DO 'FF7F' { Device-Config-DO 'E4' { DeviceInterfaceVersion-DO 'E6' } } (SEAC v1.1 Table 5-14). */
function encodeDeviceConfig(version: Uint8Array): Uint8Array {
  const e4 = tlv(ARA_TAG.DEVICE_CONFIG_DO, [tlv(ARA_TAG.DEVICE_INTERFACE_VERSION_DO, version, { opaque: true })]);
  return encodeFfTemplate(ARA_TAG.RESPONSE_DEVICE_CONFIG_DO, encodeTlv(e4));
}
