/**
 * Creating and changing GlobalPlatform Registry entries for card content management (GPC 2.3.1
 * §6.4.1, §6.5, §6.6, §7.2, §9.3.6, §9.7): privileges as the OPEN assigns them, the association
 * hierarchy, the card-wide exclusive privileges (Card Reset, Final Application), implicit selection
 * and memory accounting. Pure functions over the card state; refusals throw `CardException`.
 */
import { SW } from '../../apdu/index.ts';
import { randomBytes } from '../../crypto/index.ts';
import { PRIVILEGES, hasPrivilege, type ImplicitSelection, type PrivilegeName } from '../../gp/index.ts';
import type { CardProfile } from '../profiles/card-profile.ts';
import { CardException } from '../runtime/card-exception.ts';
import type { ApplicationState, CardState, KeySetState, SecurityDomainState } from '../state/card-state.ts';
import { findApp, isIsd, sameAid, updateApp, usedMemory } from './registry.ts';

/** Non-volatile bytes one instance takes besides its load file (the card's own bookkeeping; §9.7 leaves it open). */
export const INSTANCE_MEMORY_COST = 256;

/** Memory still free for load files and instances (GPC 2.3.1 §9.7). */
export function freeMemory(state: CardState): number {
  return state.memoryQuota - usedMemory(state, INSTANCE_MEMORY_COST);
}

/** Throws 6A84 unless `bytes` more fit in the card's memory (GPC 2.3.1 Tables 11-55, 11-60). */
export function requireMemory(state: CardState, bytes: number): void {
  if (bytes > freeMemory(state)) throw new CardException(SW.NOT_ENOUGH_MEMORY, `${bytes} bytes needed, ${freeMemory(state)} free`);
}

/**
 * The association path of a Security Domain (GPC 2.3.1 §7.2): `sdAid` itself, its associated SD,
 * and so on up to the root of its hierarchy (an SD associated with itself).
 */
export function sdAncestry(state: CardState, sdAid: Uint8Array): readonly Uint8Array[] {
  const path: Uint8Array[] = [];
  let aid: Uint8Array | undefined = sdAid;
  while (aid !== undefined && path.length <= state.applications.length) {
    const current: Uint8Array = aid;
    if (path.some((a) => sameAid(a, current))) break; // the root (self-associated); also guards a cycle
    path.push(current);
    aid = findApp(state, current)?.sdAid;
  }
  return path;
}

/** Whether `sdAid` lies in the sub-hierarchy of `rootSd` (GPC 2.3.1 §7.2: directly or indirectly associated). */
export function inSubHierarchy(state: CardState, rootSd: Uint8Array, sdAid: Uint8Array): boolean {
  return sdAncestry(state, sdAid).some((a) => sameAid(a, rootSd));
}

/**
 * A 1-byte privileges field made 3 bytes (GPC 2.3.1 §11.5.2.3.2 note: the OPEN assigns the second
 * byte the defaults of Table 6-2 — Trusted Path for a Supplementary Security Domain, nothing for an
 * application; the third byte's defaults are all "no").
 */
export function completePrivileges(field: Uint8Array): Uint8Array {
  if (field.length === 3) return field.slice();
  const sd = hasPrivilege(field, 'SecurityDomain');
  return Uint8Array.of(field[0] ?? 0, sd ? PRIVILEGES.TrustedPath.value : 0, 0);
}

/** Privileges that make sense only for a Security Domain (Table 6-1 notes; DAP, DM and Mandated DAP carry the SD bit in their coding). */
const SD_ONLY: readonly PrivilegeName[] = ['AuthorizedManagement', 'TokenManagement', 'ReceiptGeneration', 'CipheredLoadFileDataBlock'];
/** §6.6.2: pairs that are mutually exclusive. */
const EXCLUSIVE_PAIRS: readonly (readonly [PrivilegeName, PrivilegeName])[] = [
  ['AuthorizedManagement', 'DelegatedManagement'],
  ['TokenManagement', 'DelegatedManagement'],
  ['ReceiptGeneration', 'DelegatedManagement'],
];
/**
 * Card-wide authority: granted only by the Issuer Security Domain or by an SD holding it itself (card
 * policy — GPC 2.3.1 §6.6.2 leaves privilege assignment to configuration documents; this keeps an
 * SSD from creating content more powerful than itself).
 */
const CARD_WIDE: readonly PrivilegeName[] = [
  'CardLock',
  'CardTerminate',
  'CardReset',
  'CVMManagement',
  'MandatedDAPVerification',
  'TokenManagement',
  'GlobalDelete',
  'GlobalLock',
  'GlobalRegistry',
  'FinalApplication',
  'ReceiptGeneration',
  'ContactlessActivation',
];

/** Checks a complete privileges field for coherence (Table 6-1, §6.6.2): 6A80 otherwise. */
export function checkPrivilegeCoding(privileges: Uint8Array): void {
  const sd = hasPrivilege(privileges, 'SecurityDomain');
  for (const name of SD_ONLY) {
    if (!sd && hasPrivilege(privileges, name)) throw new CardException(SW.INCORRECT_DATA, `${name} needs the Security Domain privilege (Table 6-1)`);
  }
  for (const [a, b] of EXCLUSIVE_PAIRS) {
    if (hasPrivilege(privileges, a) && hasPrivilege(privileges, b)) throw new CardException(SW.INCORRECT_DATA, `${a} and ${b} are mutually exclusive (§6.6.2)`);
  }
}

/**
 * Checks that `grantor` may give `privileges` to an entry that held `previous` before: the ISD may
 * grant anything; another SD no card-wide privilege it does not hold itself (6985).
 */
export function checkGrantable(state: CardState, grantor: ApplicationState, privileges: Uint8Array, previous?: Uint8Array): void {
  if (isIsd(state, grantor.aid)) return;
  for (const name of CARD_WIDE) {
    const added = hasPrivilege(privileges, name) && (previous === undefined || !hasPrivilege(previous, name));
    if (added && !hasPrivilege(grantor.privileges, name)) {
      throw new CardException(SW.CONDITIONS_OF_USE_NOT_SATISFIED, `only the ISD or an SD holding ${name} may grant it`);
    }
  }
}

/** `field` (made 3 bytes) with privilege `name` set or cleared (single-bit privileges: Card Reset, Final Application, …). */
export function withPrivilege(field: Uint8Array, name: PrivilegeName, on: boolean): Uint8Array {
  const p = PRIVILEGES[name];
  const out = completePrivileges(field);
  out[p.byte] = on ? out[p.byte]! | p.value : out[p.byte]! & ~p.mask;
  return out;
}

/** Privileges held by one application at a time, by default the ISD's (§6.6.2). */
const ONE_AT_A_TIME: readonly PrivilegeName[] = ['CardReset', 'FinalApplication'];

/**
 * Moves the one-at-a-time privileges (§6.6.2) for an entry `aid` whose privileges change from
 * `previous` (undefined for a new entry) to `next`: taking one needs the ISD to hold it, and the ISD
 * gives it up (6985 when another application holds it); dropping one returns it to the ISD.
 */
export function assignExclusivePrivileges(state: CardState, aid: Uint8Array, previous: Uint8Array | undefined, next: Uint8Array): CardState {
  let out = state;
  for (const name of ONE_AT_A_TIME) {
    const had = previous !== undefined && hasPrivilege(previous, name);
    const has = hasPrivilege(next, name);
    if (has && !had) {
      const holder = out.applications.find((a) => !sameAid(a.aid, aid) && hasPrivilege(a.privileges, name));
      if (holder !== undefined && !isIsd(out, holder.aid)) {
        throw new CardException(SW.CONDITIONS_OF_USE_NOT_SATISFIED, `${name} is held by another application (§6.6.2)`);
      }
      out = updateApp(out, out.isdAid, (isd) => ({ ...isd, privileges: withPrivilege(isd.privileges, name, false) }));
    } else if (had && !has) {
      out = returnToIsd(out, name);
    }
  }
  return out;
}

function returnToIsd(state: CardState, name: PrivilegeName): CardState {
  return updateApp(state, state.isdAid, (isd) => ({ ...isd, privileges: withPrivilege(isd.privileges, name, true) }));
}

/** After deleting `removed`: the ISD takes back Card Reset and Final Application (§6.6.2, §7.1.1). */
export function reclaimExclusivePrivileges(state: CardState, removed: readonly ApplicationState[]): CardState {
  let out = state;
  for (const name of ONE_AT_A_TIME) {
    if (removed.some((a) => hasPrivilege(a.privileges, name))) out = returnToIsd(out, name);
  }
  return out;
}

function overlaps(a: ImplicitSelection, b: ImplicitSelection): boolean {
  return a.channel === b.channel && ((a.contact && b.contact) || (a.contactless && b.contactless));
}

/**
 * The implicit selection list of `aid` with `requested` appended (Table 11-49 note: CF entries append
 * and are never deleted). An entry with neither interface bit means "explicit selection only" and
 * registers nothing (§11.1.7). §6.4.1: a channel/interface already taken by another application
 * than the ISD cannot be assigned (6985); a channel the card does not have is refused (6A80).
 */
export function mergeImplicitSelection(state: CardState, profile: CardProfile, aid: Uint8Array, current: readonly ImplicitSelection[], requested: readonly ImplicitSelection[]): readonly ImplicitSelection[] {
  const out = [...current];
  for (const entry of requested) {
    if (!entry.contact && !entry.contactless) continue;
    if (entry.channel >= profile.channels) throw new CardException(SW.INCORRECT_DATA, `implicit selection on logical channel ${entry.channel}, the card has ${profile.channels}`);
    const taken = state.applications.some((a) => !sameAid(a.aid, aid) && !isIsd(state, a.aid) && a.implicitSelection.some((s) => overlaps(s, entry)));
    if (taken) throw new CardException(SW.CONDITIONS_OF_USE_NOT_SATISFIED, `logical channel ${entry.channel} already has an implicitly selectable application (§6.4.1)`);
    if (!out.some((s) => s.channel === entry.channel && s.contact === entry.contact && s.contactless === entry.contactless)) out.push(entry);
  }
  return Object.freeze(out);
}

/**
 * §6.4.1: an application made selectable with Card Reset and no implicit selection parameter becomes
 * implicitly selectable on the basic logical channel of every interface, if no application other
 * than the ISD already is there; otherwise nothing is registered.
 */
export function cardResetSelection(state: CardState, aid: Uint8Array): readonly ImplicitSelection[] {
  const basicTaken = state.applications.some((a) => !sameAid(a.aid, aid) && !isIsd(state, a.aid) && a.implicitSelection.some((s) => s.channel === 0 && (s.contact || s.contactless)));
  return basicTaken ? [] : [Object.freeze({ contact: true, contactless: true, channel: 0 })];
}

/**
 * A new Supplementary Security Domain's own data (GPC 2.3.1 §7): the profile's secure channel
 * protocol, fresh key diversification data, and either no keys (they arrive by PUT KEY through the
 * parent SD, `put-key-via-parent`) or a copy of the ISD key set `isdKeys` with its counter at zero.
 */
export function newSecurityDomainState(profile: CardProfile, isdKeys: KeySetState | undefined): SecurityDomainState {
  const copy = profile.ssdInitialKeys === 'copy-isd-keys' && isdKeys !== undefined;
  return {
    scp: profile.scp,
    keySets: copy ? [{ kvn: isdKeys.kvn, counter: 0, keys: isdKeys.keys.map((k) => ({ ...k, value: k.value.slice() })) }] : [],
    authFailures: 0,
    kdd: randomBytes(10),
  };
}
