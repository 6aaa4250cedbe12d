/**
 * PUT KEY (GPC 2.3.1 §11.8; Amd D v1.1.1 §7.2 for keys under an AES DEK): add a key set (P1 00) or
 * replace keys of an existing one (P1 = its KVN), one key or several (P2 b8). A chain (P1 b8) reaches
 * this handler already reassembled (see command-chain.ts), so P1 b8 is always 0 here.
 */
import { responseApdu, SW, type CommandApdu, type ResponseApdu } from '../../../apdu/index.ts';
import { Scp03CardSession, encodePutKeyResponse, parsePutKeyCommand, type PutKeyCommand } from '../../../gp/index.ts';
import { DEFAULT_MAX_KEY_SETS } from '../../profiles/card-profile.ts';
import { CardException } from '../../runtime/card-exception.ts';
import type { KeySetState, KeyState, SecurityDomainState } from '../../state/card-state.ts';
import { findApp, sdState, updateSd } from '../registry.ts';
import type { SdCommandContext } from '../sd-context.ts';
import { personalizationTarget } from './hierarchy.ts';
import { importKey } from './key-import.ts';

/**
 * PUT KEY handler. The keys are decrypted with the current secure channel's DEK (SCP02: session DEK,
 * 3DES-ECB, GPC 2.3.1 §E.4.7; SCP03: static DEK, AES-CBC, Amd D v1.1.1 §6.2.8) and land in:
 *
 * - the Security Domain processing the command, as §11.8 describes; or
 * - when the card profile says `ssdInitialKeys: 'put-key-via-parent'` and an INSTALL [for
 *   personalization] session names a Supplementary Security Domain associated with this SD: that
 *   SSD's key sets. This is how a new SSD gets its first keys from its parent (the keys are still
 *   decrypted with the parent's keys). GPC 2.3.1 §7.3.2 describes only STORE DATA forwarding for
 *   personalization; routing PUT KEY the same way is this card's documented choice, common in the
 *   field (an SSD has no keys to open its own secure channel with until it gets some).
 *
 * The response is `KVN ‖ KCV…` as presented in the command (§11.8.3.1).
 */
export function putKey(command: CommandApdu, ctx: SdCommandContext): ResponseApdu {
  const { model, profile } = ctx.manager;
  const session = ctx.channel.session;
  if (session === undefined) throw new CardException(SW.SECURITY_STATUS_NOT_SATISFIED, 'PUT KEY needs a secure channel session');
  const request = parsePutKeyCommand(command, { dekBlockSize: session instanceof Scp03CardSession ? 16 : 8 });
  const targetAid = keyTarget(ctx);
  const target = sdState(model.state, targetAid);
  if (target === undefined) throw new CardException(SW.CONDITIONS_OF_USE_NOT_SATISFIED, 'PUT KEY target is not a Security Domain');
  const kcvMismatchSw = profile.quirks.putKeyKcvMismatchSw ?? SW.SECURITY_STATUS_NOT_SATISFIED;
  const keys = request.keys.map((entry, i) => importKey(entry, request.keyIds[i]!, (data) => session.decryptSensitive(data), kcvMismatchSw));
  const next = request.replaceKvn === 0 ? addKeys(target, request, keys, profile.maxKeySets ?? DEFAULT_MAX_KEY_SETS) : replaceKeys(target, request, keys);
  model.update(updateSd(model.state, targetAid, () => next));
  return responseApdu(encodePutKeyResponse(request.newKvn, request.keys.map((k) => k.kcv)), SW.OK);
}

/**
 * Where the keys go: a personalized SSD (see {@link putKey}) or this SD. A personalization target
 * that is an application leaves PUT KEY to this SD; one that vanished, moved away or is LOCKED is
 * refused (6A88 / 6985) rather than letting keys meant for an SSD land in its parent.
 */
function keyTarget(ctx: SdCommandContext): Uint8Array {
  const session = ctx.channel.personalization;
  if (ctx.manager.profile.ssdInitialKeys !== 'put-key-via-parent' || session === undefined) return ctx.sdAid;
  const named = findApp(ctx.manager.model.state, session.aid);
  if (named !== undefined && named.sd === undefined) return ctx.sdAid;
  return personalizationTarget(ctx)?.aid ?? ctx.sdAid;
}

function byId(a: KeyState, b: KeyState): number {
  return a.id - b.id;
}

/**
 * P1 00 (Table 11-65): a new key set, or new key identifiers under an existing KVN (§11.8.1 "a
 * different combination Key Identifier / Key Version Number"). A key that already exists is not
 * added over (6A80: use P1 = KVN to replace it); a new set beyond the profile's limit gets 6A84.
 * A created key set starts with its sequence counter at 0 (Amd D v1.1.1 §6.2.2.1).
 */
function addKeys(sd: SecurityDomainState, request: PutKeyCommand, keys: readonly KeyState[], maxKeySets: number): SecurityDomainState {
  const existing = sd.keySets.find((s) => s.kvn === request.newKvn);
  if (existing === undefined) {
    if (sd.keySets.length >= maxKeySets) throw new CardException(SW.NOT_ENOUGH_MEMORY, `PUT KEY: already ${sd.keySets.length} key sets`);
    return { ...sd, keySets: [...sd.keySets, { kvn: request.newKvn, counter: 0, keys: [...keys].sort(byId) }] };
  }
  if (keys.some((k) => existing.keys.some((old) => old.id === k.id))) {
    throw new CardException(SW.INCORRECT_DATA, 'PUT KEY: the key exists already; replace it with P1 = its KVN (§11.8.2.1)');
  }
  return withSet(sd, existing.kvn, { ...existing, keys: [...existing.keys, ...keys].sort(byId) });
}

/**
 * P1 = KVN (Table 11-65): each key replaces the key with the same identifier in that set (6A88 when
 * the set or the key is not there), keeping its type, length and components (§11.8.2.3.3: 6A80
 * otherwise); the set takes the new KVN (6A80 if another set has it). Its sequence counter returns to
 * 0 when the whole set is replaced in this command (Amd D v1.1.1 §6.2.2.1), and is kept otherwise.
 */
function replaceKeys(sd: SecurityDomainState, request: PutKeyCommand, keys: readonly KeyState[]): SecurityDomainState {
  const old = sd.keySets.find((s) => s.kvn === request.replaceKvn);
  if (old === undefined) throw new CardException(SW.REFERENCED_DATA_NOT_FOUND, `PUT KEY: no key set with KVN ${request.replaceKvn.toString(16)}`);
  if (request.newKvn !== old.kvn && sd.keySets.some((s) => s.kvn === request.newKvn)) {
    throw new CardException(SW.INCORRECT_DATA, `PUT KEY: KVN ${request.newKvn.toString(16)} is taken by another key set`);
  }
  for (const k of keys) {
    const current = old.keys.find((o) => o.id === k.id);
    if (current === undefined) throw new CardException(SW.REFERENCED_DATA_NOT_FOUND, `PUT KEY: no key ${k.id} in key set ${old.kvn.toString(16)}`);
    if (!sameShape(current, k)) throw new CardException(SW.INCORRECT_DATA, 'PUT KEY: a replacement key must keep the type and length of the key it replaces (§11.8.2.3.3)');
  }
  const whole = old.keys.every((o) => keys.some((k) => k.id === o.id));
  const replaced: KeySetState = {
    kvn: request.newKvn,
    counter: whole ? 0 : old.counter,
    keys: old.keys.map((o) => keys.find((k) => k.id === o.id) ?? o),
  };
  return withSet(sd, old.kvn, replaced);
}

/** Same algorithm and size, component by component (§11.8.2.3.3). */
function sameShape(a: KeyState, b: KeyState): boolean {
  const ca = a.components ?? [a];
  const cb = b.components ?? [b];
  return ca.length === cb.length && ca.every((c, i) => c.type === cb[i]!.type && c.value.length === cb[i]!.value.length);
}

function withSet(sd: SecurityDomainState, kvn: number, set: KeySetState): SecurityDomainState {
  return { ...sd, keySets: sd.keySets.map((s) => (s.kvn === kvn ? set : s)) };
}
