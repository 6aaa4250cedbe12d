/**
 * The PPSE's directory entries (EMV Book B §3.3; docs/payment-application.md §4): each a Directory
 * Entry `61{4F AID, 50 label, 87 priority, …}`, personalized with DGI 9102 carrying one or more
 * entries. Entries merge by AID: an entry replaces the stored one with the same 4F; an entry holding
 * only its 4F removes it. The FCI lists them in the order they were first stored.
 */
import { SW } from '../../../apdu/index.ts';
import { concat, equalCt } from '../../../bytes/index.ts';
import { encodeTlv, parseTlvList, tlv, type Tlv } from '../../../tlv/index.ts';
import { CardException } from '../../runtime/card-exception.ts';

/** The PPSE's personalization DGI: Directory Entries 61. */
export const PPSE_ENTRIES_DGI = 0x9102;
/** Most entries the PPSE holds (a phone wallet has a handful of cards). */
export const PPSE_MAX_ENTRIES = 16;

/** One stored entry: its AID and the whole encoded 61 template. */
export interface PpseEntry {
  readonly aid: Uint8Array;
  readonly entry: Uint8Array;
}

/** The PPSE's persistent data. */
export interface PpseState {
  readonly format: 'ppse/1';
  readonly entries: readonly PpseEntry[];
}

const bad = (what: string): never => {
  throw new CardException(SW.INCORRECT_DATA, `PPSE: ${what}`);
};

/** Reads the persistent data (empty before the first entry); damaged data is a memory failure. */
export function loadPpseState(persistent: unknown): PpseState {
  if (persistent === undefined) return { format: 'ppse/1', entries: [] };
  if (persistent === null || typeof persistent !== 'object') throw new CardException(SW.MEMORY_FAILURE, 'PPSE: persistent data is damaged');
  const s = persistent as Record<string, unknown>;
  const isEntry = (e: unknown): boolean => e !== null && typeof e === 'object' && (e as PpseEntry).aid instanceof Uint8Array && (e as PpseEntry).entry instanceof Uint8Array;
  const entries: unknown = s.entries;
  if (s.format !== 'ppse/1' || !Array.isArray(entries) || !entries.every(isEntry)) throw new CardException(SW.MEMORY_FAILURE, 'PPSE: persistent data is damaged');
  return persistent as PpseState;
}

/** The 61 entries of a DGI 9102 value; each must hold one 4F of 5–16 bytes (ISO/IEC 7816-5). */
function parseEntries(value: Uint8Array): readonly Tlv[] {
  let list: readonly Tlv[];
  try {
    list = parseTlvList(value);
  } catch {
    return bad('DGI 9102 is not BER-TLV');
  }
  if (list.length === 0) bad('DGI 9102 holds no entry');
  for (const node of list) {
    const aids = (node.children ?? []).filter((c) => c.tag === 0x4f);
    if (node.tag !== 0x61 || aids.length !== 1 || aids[0]!.value.length < 5 || aids[0]!.value.length > 16) bad('a Directory Entry is 61 with one 4F (5–16 bytes)');
  }
  return list;
}

/** `state` with the entries of DGI 9102 `value` merged in by AID. */
export function mergeEntries(state: PpseState, value: Uint8Array): PpseState {
  let entries = [...state.entries];
  for (const node of parseEntries(value)) {
    const aid = node.children!.find((c) => c.tag === 0x4f)!.value.slice();
    const at = entries.findIndex((e) => e.aid.length === aid.length && equalCt(e.aid, aid));
    const removal = node.children!.length === 1;
    if (removal) {
      if (at >= 0) entries = entries.filter((_, i) => i !== at);
      continue;
    }
    const next = { aid, entry: encodeTlv(node) };
    if (at >= 0) entries[at] = next;
    else entries.push(next);
  }
  if (entries.length > PPSE_MAX_ENTRIES) throw new CardException(SW.NOT_ENOUGH_MEMORY, 'PPSE: too many entries');
  return { ...state, entries };
}

/** EMV Book B §3.3: FCI 6F{84 "2PAY.SYS.DDF01", A5{BF0C{61…}}}. */
export function ppseFci(name: Uint8Array, state: PpseState): Uint8Array {
  const bf0c = tlv(0xbf0c, concat(...state.entries.map((e) => e.entry)), { opaque: true });
  return encodeTlv(tlv(0x6f, [tlv(0x84, name), tlv(0xa5, [bf0c])]));
}
