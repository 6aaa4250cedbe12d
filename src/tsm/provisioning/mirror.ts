/**
 * The per-SE registry mirror (docs/provisioning.md §"Registry mirror"): what GET STATUS last read,
 * kept in the store after each job that changes the card, and compared with a live reading on
 * demand (`reconcile`) — the difference names every entry that is missing, extra or in another state.
 */
import { toHex } from '../../bytes/index.ts';
import type { RegistryEntry } from '../../gp/index.ts';
import { getRegistryMirror, replaceRegistryMirror, type MirrorEntry, type StoreDb } from '../../store/index.ts';
import { isSecurityDomainEntry, type CardContent } from './card/registry.ts';

/** The mirror entries of a card reading. */
export function mirrorEntries(content: CardContent): MirrorEntry[] {
  const entry = (kind: MirrorEntry['kind'], e: RegistryEntry): MirrorEntry => ({
    kind, aid: toHex(e.aid), lifecycle: e.lifecycle,
    ...(e.privileges === undefined ? {} : { privileges: toHex(e.privileges) }),
    ...(e.domainAid === undefined ? {} : { sdAid: toHex(e.domainAid) }),
  });
  return [
    ...content.applications.map((e) => entry(isSecurityDomainEntry(e) ? 'sd' : 'app', e)),
    ...content.loadFiles.map((e) => entry('load-file', e)),
  ];
}

/** Stores `content` as `seId`'s mirror. */
export async function refreshMirror(db: StoreDb, seId: string, content: CardContent, at: Date): Promise<void> {
  await replaceRegistryMirror(db, seId, mirrorEntries(content), at.toISOString());
}

/** One difference between the mirror and the card. */
export interface MirrorDifference {
  readonly kind: MirrorEntry['kind'];
  readonly aid: string;
  readonly mirror?: MirrorEntry;
  readonly card?: MirrorEntry;
}

/** The differences between `seId`'s stored mirror and a live reading (empty: they agree). */
export async function reconcile(db: StoreDb, seId: string, content: CardContent): Promise<readonly MirrorDifference[]> {
  const key = (e: MirrorEntry) => `${e.kind}:${e.aid}`;
  const stored = new Map((await getRegistryMirror(db, seId)).map((e) => [key(e), e]));
  const live = new Map(mirrorEntries(content).map((e) => [key(e), e]));
  const out: MirrorDifference[] = [];
  for (const [k, card] of live) {
    const mirror = stored.get(k);
    if (mirror === undefined || mirror.lifecycle !== card.lifecycle || mirror.privileges !== card.privileges || mirror.sdAid !== card.sdAid) {
      out.push({ kind: card.kind, aid: card.aid, ...(mirror === undefined ? {} : { mirror }), card });
    }
  }
  for (const [k, mirror] of stored) if (!live.has(k)) out.push({ kind: mirror.kind, aid: mirror.aid, mirror });
  return out.sort((a, b) => (a.kind + a.aid < b.kind + b.aid ? -1 : 1));
}
