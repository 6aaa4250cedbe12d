/**
 * The per-SE mirror of the card's GlobalPlatform registry (migration 2026-11-27T1300,
 * docs/provisioning.md): what GET STATUS last answered for the ISD, the SDs, the applications and
 * the load files. Replaced as a whole for an SE after each read, so it never mixes two readings.
 */
import { sql } from 'kysely';
import { dialectOf } from './database.ts';
import { storeOperation } from './errors.ts';
import type { SeRegistryMirrorTable, StoreDb } from './schema.ts';
import { assertInteger, assertLookup, assertObject, assertOneOf, assertOptionalText, assertText, MAX_KEY_TEXT } from './validate.ts';

export const MIRROR_KINDS = ['sd', 'app', 'load-file'] as const;
export type MirrorKind = (typeof MIRROR_KINDS)[number];

/** One registry entry. */
export interface MirrorEntry {
  readonly kind: MirrorKind;
  /** AID, upper-case hex. */
  readonly aid: string;
  /** GP life cycle state byte (GPC 2.3.1 §11.1.1). */
  readonly lifecycle: number;
  /** Privileges, hex (applications and SDs). */
  readonly privileges?: string;
  /** Associated Security Domain AID, hex, when the card reports it. */
  readonly sdAid?: string;
}

function assertEntry(entry: unknown): asserts entry is MirrorEntry {
  assertObject(entry, 'registry mirror entry');
  assertOneOf(entry.kind, MIRROR_KINDS, 'registry mirror entry kind');
  assertText(entry.aid, 'registry mirror entry aid', 32);
  assertInteger(entry.lifecycle, 'registry mirror entry lifecycle', 0, 0xff);
  assertOptionalText(entry.privileges, 'registry mirror entry privileges', 6);
  assertOptionalText(entry.sdAid, 'registry mirror entry sdAid', 32);
}

/** Replaces `seId`'s mirror with `entries`, read at `readAt`, in one transaction. */
export async function replaceRegistryMirror(db: StoreDb, seId: string, entries: readonly MirrorEntry[], readAt: string): Promise<void> {
  assertText(seId, 'replaceRegistryMirror seId', MAX_KEY_TEXT);
  assertText(readAt, 'replaceRegistryMirror readAt', 64);
  for (const e of entries) assertEntry(e);
  const rows: SeRegistryMirrorTable[] = entries.map((e) => ({
    se_id: seId, aid: e.aid, kind: e.kind, lifecycle: e.lifecycle, privileges: e.privileges ?? null, sd_aid: e.sdAid ?? null, read_at: readAt,
  }));
  const postgres = dialectOf(db) === 'postgres';
  await storeOperation('replaceRegistryMirror', () => db.transaction().execute(async (trx) => {
    // PostgreSQL (read committed): a concurrent replace's fresh rows are invisible to this delete, so
    // replaces of one SE are serialized on a transaction-scoped advisory lock (SQLite: one writer anyway)
    if (postgres) await sql`select pg_advisory_xact_lock(hashtextextended(${`se_registry_mirror:${seId}`}, 0))`.execute(trx);
    await trx.deleteFrom('se_registry_mirror').where('se_id', '=', seId).execute();
    if (rows.length > 0) await trx.insertInto('se_registry_mirror').values(rows).execute();
  }));
}

/** `seId`'s mirror, by kind then AID. */
export async function getRegistryMirror(db: StoreDb, seId: string): Promise<readonly MirrorEntry[]> {
  assertLookup(seId, 'getRegistryMirror seId');
  const rows = await storeOperation('getRegistryMirror', () =>
    db.selectFrom('se_registry_mirror').selectAll().where('se_id', '=', seId).orderBy('kind').orderBy('aid').execute());
  return rows.map((r) => ({
    kind: r.kind as MirrorKind, aid: r.aid, lifecycle: Number(r.lifecycle),
    ...(r.privileges === null ? {} : { privileges: r.privileges }), ...(r.sd_aid === null ? {} : { sdAid: r.sd_aid }),
  }));
}
