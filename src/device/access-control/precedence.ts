/**
 * The rule search of the Access Control Enforcer (GP SEAC v1.1 §3.2.1, "rule conflict resolution")
 * as AOSP's AccessRuleCache implements it (`putWithMerge`, `findAccessRule`):
 *
 * | step | REF-DO searched | outcome |
 * |---|---|---|
 * | A | this AID + a hash of this app (every certificate of the chain, SHA-1 and SHA-256) | that rule |
 * | Case A | this AID + any other specific hash | NEVER (specific rules beat generic ones) |
 * | B | this AID + every app (C1 empty) | that rule |
 * | C | every AID (4F empty) + a hash of this app | that rule |
 * | Case C | every AID + any other specific hash | NEVER |
 * | D | every AID + every app | that rule |
 * | none | — | NEVER |
 *
 * Rules with the same REF-DO are merged first (APDU: never — or an absent APDU-AR-DO — wins, filters
 * are unioned and restrict an "always"; NFC: never > always > absent). Then an absent APDU-AR-DO is
 * NEVER and an absent NFC-AR-DO follows the APDU access (allowed when there are filters).
 * PKG-REF-DO (SEAC v1.1): a rule with a package name is a more specific form of its hash rule —
 * tried before the hash-only rule, and for another package it counts as "a specific rule for another
 * app". This is our reading of SEAC v1.1: AOSP's findAccessRule takes certificate hashes only (its
 * comment: SEAC v1.1 is not supported, GSMA TS.26 does not require it).
 */
import { toHex } from '../../bytes/index.ts';
import type { AccessDecision, ApduAccess, ApduFilter } from './access-decision.ts';
import type { AppIdentity } from './app-identity.ts';
import type { AccessRule, AidRef } from './rules.ts';

/** Which step of the search decided. */
export type PrecedenceCase = 'A' | 'case-A' | 'B' | 'C' | 'case-C' | 'D' | 'none';

/** The result of the search: the decision and the step that gave it. */
export interface RuleMatch {
  readonly case: PrecedenceCase;
  readonly decision: AccessDecision;
}

/** Rules with one REF-DO, merged; `undefined` members are absent in every merged AR-DO. */
interface MergedAccess {
  readonly apdu: ApduAccess | undefined;
  readonly nfc: boolean | undefined;
}

/** The rules of one ARA-M, merged by REF-DO and ready for {@link findAccessRule}. */
export interface RuleIndex {
  readonly byRef: ReadonlyMap<string, MergedAccess>;
  /** AID keys that some rule names together with a specific hash. */
  readonly specificAids: ReadonlySet<string>;
  readonly size: number;
}

/** AOSP getAidRefDo: no AID, or the 00…00 AID OMAPI passes for the basic channel, is the default application. */
const DEFAULT_AID_ALIAS = new Uint8Array(5);

function aidKey(ref: AidRef): string {
  return ref.kind === 'aid' ? toHex(ref.aid) : ref.kind === 'all' ? '*' : 'default';
}

function refKey(aid: string, hash: Uint8Array, packageName: string | undefined): string {
  return `${aid}|${toHex(hash)}|${packageName ?? ''}`;
}

function isFilters(a: ApduAccess | undefined): a is { readonly filters: readonly ApduFilter[] } {
  return typeof a === 'object';
}

/**
 * AOSP putWithMerge: never wins; a rule without APDU-AR-DO denies the merged rule (its overall access
 * is DENIED); filters are unioned and take precedence over "always" (checkCommand tests filters first).
 */
function mergeApdu(a: ApduAccess | undefined, b: ApduAccess | undefined): ApduAccess {
  if (a === undefined || b === undefined || a === 'never' || b === 'never') return 'never';
  if (isFilters(a) || isFilters(b)) return { filters: [...(isFilters(a) ? a.filters : []), ...(isFilters(b) ? b.filters : [])] };
  return 'always';
}

/** AOSP putWithMerge: NFC (NEVER) > NFC (ALWAYS) > no NFC attribute. */
function mergeNfc(a: boolean | undefined, b: boolean | undefined): boolean | undefined {
  if (a === false || b === false) return false;
  if (a === true || b === true) return true;
  return undefined;
}

/** Merges the rules by REF-DO (AOSP AccessRuleCache.putWithMerge); carrier-privilege rules are left out. */
export function indexRules(rules: readonly AccessRule[]): RuleIndex {
  const byRef = new Map<string, MergedAccess>();
  const specificAids = new Set<string>();
  for (const rule of rules) {
    if (rule.carrierPrivilege) continue;
    const aid = aidKey(rule.target);
    const key = refKey(aid, rule.appHash, rule.packageName);
    if (rule.appHash.length > 0) specificAids.add(aid);
    const known = byRef.get(key);
    byRef.set(key, known === undefined ? { apdu: rule.apdu, nfc: rule.nfc } : { apdu: mergeApdu(known.apdu, rule.apdu), nfc: mergeNfc(known.nfc, rule.nfc) });
  }
  return { byRef, specificAids, size: byRef.size };
}

/** AOSP findAccessRule's final step: absent APDU access is NEVER; absent NFC follows APDU (allowed with filters). */
function resolve(access: MergedAccess, reason: string): AccessDecision {
  const apdu: ApduAccess = access.apdu ?? 'never';
  const nfc = access.nfc ?? (isFilters(apdu) ? true : apdu === 'always');
  return Object.freeze({ apdu: isFilters(apdu) ? Object.freeze({ filters: Object.freeze([...apdu.filters]) }) : apdu, nfc, reason });
}

const NEVER = (reason: string): AccessDecision => Object.freeze({ apdu: 'never', nfc: false, reason });

/** The first merged rule of `aid` naming this app: package-specific rules first, then hash-only ones. */
function byApp(index: RuleIndex, aid: string, app: AppIdentity): MergedAccess | undefined {
  for (const hash of app.hashes) {
    const hit = index.byRef.get(refKey(aid, hash, app.packageName));
    if (hit !== undefined) return hit;
  }
  for (const hash of app.hashes) {
    const hit = index.byRef.get(refKey(aid, hash, undefined));
    if (hit !== undefined) return hit;
  }
  return undefined;
}

/**
 * The decision for `app` reaching `aid` (undefined: the default application) — GP SEAC v1.1
 * §3.2.1 as AOSP AccessRuleCache.findAccessRule orders it.
 * @example findAccessRule(indexRules(rules), aid, appIdentity(app)).case // 'A'
 */
export function findAccessRule(index: RuleIndex, aid: Uint8Array | undefined, app: AppIdentity): RuleMatch {
  const target = aid === undefined || (aid.length === DEFAULT_AID_ALIAS.length && aid.every((b) => b === 0)) ? 'default' : toHex(aid);
  const a = byApp(index, target, app);
  if (a !== undefined) return { case: 'A', decision: resolve(a, 'A: specific AID + this app') };
  // SEAC v1.1 §3.2.1: a specific rule associating another app with this AID makes the result NEVER
  if (index.specificAids.has(target)) return { case: 'case-A', decision: NEVER('Case A: the AID has a specific rule for another app') };
  const b = index.byRef.get(refKey(target, new Uint8Array(0), undefined));
  if (b !== undefined) return { case: 'B', decision: resolve(b, 'B: specific AID + every app') };
  const c = byApp(index, '*', app);
  if (c !== undefined) return { case: 'C', decision: resolve(c, 'C: every AID + this app') };
  if (index.specificAids.has('*')) return { case: 'case-C', decision: NEVER('Case C: an every-AID rule names another app') };
  const d = index.byRef.get(refKey('*', new Uint8Array(0), undefined));
  if (d !== undefined) return { case: 'D', decision: resolve(d, 'D: every AID + every app') };
  return { case: 'none', decision: NEVER('no access rule') };
}
