/**
 * The rules the device sees: the ARA-M's own and those of the ARA-Cs registered with it (GP SEAC
 * v1.1 §3.1 [M]: the device reads only the ARA-M, which answers for the ARA-Cs registered by
 * Command-Register-Client-AIDs 'F7'; how the ARA-M reaches an ARA-C is left to the card — here the
 * card OS's shareable interface, `AppletContext.shareable`).
 *
 * OpenTSM's rules, where SEAC leaves them open or we could not verify them [M]:
 * - Order: the ARA-M's rules first, then each ARA-C's in registration order.
 * - One rule per REF-DO: a REF-DO already listed (the ARA-M's, or an earlier ARA-C's) hides a later
 *   one, so the issuer's rule wins over an SP's and GET DATA [Specific] has one answer. AOSP merges
 *   duplicate REF-DOs on the device (most restrictive); listing one keeps both readers consistent.
 * - Refresh tag: the ARA-M's own tag while no ARA-C contributes; otherwise the first 8 bytes of
 *   SHA-256 over the ARA-M's tag and each contributing ARA-C's AID-REF-DO and tag. Any ARA-C update
 *   (its own tag changes), its deletion, locking or (un)registration changes the tag the device caches.
 */
import { createHash } from 'node:crypto';
import type { AraState } from './ara-state.ts';
import { sameBytes, type StoredRule } from './data-objects.ts';

/** `getShareable` parameter under which an ARA-C hands its rules to the ARA-M (OpenTSM's choice). */
export const ARA_RULES_INTERFACE = 0x01;

/** The shareable interface object of an ARA-C: a snapshot of its rules and refresh tag. */
export interface AraRuleSource {
  readonly rules: readonly StoredRule[];
  readonly refreshTag: Uint8Array;
}

/** One registered ARA-C that answered: its canonical AID-REF-DO and its rules. */
export interface AraClientRules {
  readonly aidRef: Uint8Array;
  readonly source: AraRuleSource;
}

/** What GET DATA answers from: the aggregate rules and refresh tag. */
export interface AraView {
  readonly rules: readonly StoredRule[];
  readonly refreshTag: Uint8Array;
}

/** The ARA-M's view of its own state alone. */
export function ownView(state: AraState): AraView {
  return { rules: state.rules, refreshTag: state.refreshTag };
}

/** Whether `v` is an `AraRuleSource` (an ARA-C's answer; anything else counts as a refusal). */
export function isRuleSource(v: unknown): v is AraRuleSource {
  if (v === null || typeof v !== 'object') return false;
  const s = v as Record<string, unknown>;
  return Array.isArray(s.rules) && s.refreshTag instanceof Uint8Array && s.refreshTag.length === 8;
}

/** The aggregate of the ARA-M's rules and its clients' (module comment: order, conflicts, refresh tag). */
export function aggregateRules(own: AraState, clients: readonly AraClientRules[]): AraView {
  if (clients.length === 0) return ownView(own);
  const rules: StoredRule[] = [...own.rules];
  const hash = createHash('sha256').update('OpenTSM ARA aggregate/1').update(own.refreshTag);
  for (const { aidRef, source } of clients) {
    hash.update(aidRef).update(source.refreshTag);
    for (const rule of source.rules) if (!rules.some((r) => sameBytes(r.ref, rule.ref))) rules.push(rule);
  }
  return { rules, refreshTag: new Uint8Array(hash.digest().subarray(0, 8)) };
}
