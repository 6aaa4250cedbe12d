/**
 * The issuer's card records (migration 2026-11-27T0530): found by owner and a keyed hash of
 * PAN ‖ PSN computed by the caller under an HSM key — the store never sees a PAN. The last ATC moves
 * only forward, in one conditional statement, so two concurrent authorizations of one ATC cannot both
 * pass. Plain functions taking `db` first.
 */
import { StoreError, storeOperation } from './errors.ts';
import type { IssuerCardsTable, StoreDb } from './schema.ts';
import { assertInteger, assertLookup, assertObject, assertText, isStorableText, MAX_KEY_TEXT, MAX_TEXT } from './validate.ts';

/** An issuer card record as the store keeps it. `pendingScripts` is opaque JSON text owned by tsm/. */
export interface StoredIssuerCard {
  readonly id: string;
  readonly owner: string;
  readonly panIndex: string;
  readonly profile: string;
  readonly imkAc: string;
  readonly imkSmi: string;
  readonly imkSmc: string;
  readonly status: string;
  /** −1 before the first valid online cryptogram; else 0..65535. */
  readonly lastAtc: number;
  readonly pendingScripts: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** Validates an issuer card record before it is written; messages never quote a value. */
export function assertIssuerCard(record: unknown): asserts record is StoredIssuerCard {
  assertObject(record, 'issuer card');
  for (const field of ['id', 'owner', 'panIndex', 'profile', 'imkAc', 'imkSmi', 'imkSmc', 'status'] as const) {
    assertText(record[field], `issuer card ${field}`, MAX_KEY_TEXT);
  }
  assertInteger(record.lastAtc, 'issuer card lastAtc', -1, 0xffff);
  assertText(record.pendingScripts, 'issuer card pendingScripts', MAX_TEXT);
  assertText(record.createdAt, 'issuer card createdAt', 64);
  assertText(record.updatedAt, 'issuer card updatedAt', 64);
}

function toRow(r: StoredIssuerCard): IssuerCardsTable {
  return {
    id: r.id, owner: r.owner, pan_index: r.panIndex, profile: r.profile, imk_ac: r.imkAc, imk_smi: r.imkSmi, imk_smc: r.imkSmc,
    status: r.status, last_atc: r.lastAtc, pending_scripts: r.pendingScripts, created_at: r.createdAt, updated_at: r.updatedAt,
  };
}

function fromRow(row: IssuerCardsTable): StoredIssuerCard {
  const record: StoredIssuerCard = {
    id: row.id, owner: row.owner, panIndex: row.pan_index, profile: row.profile, imkAc: row.imk_ac, imkSmi: row.imk_smi, imkSmc: row.imk_smc,
    status: row.status, lastAtc: Number(row.last_atc), pendingScripts: row.pending_scripts, createdAt: row.created_at, updatedAt: row.updated_at,
  };
  try {
    assertIssuerCard(record);
  } catch (cause) {
    throw new StoreError('ERR_STORE_RECORD', 'issuer_cards: a stored row does not have the shape the store writes', { cause });
  }
  return record;
}

/** Adds a card; refuses (ERR_STORE_CONFLICT) a second card with the same owner and PAN index or id. */
export async function insertIssuerCard(db: StoreDb, record: StoredIssuerCard): Promise<void> {
  assertIssuerCard(record);
  const inserted = await storeOperation('insertIssuerCard', () =>
    db.insertInto('issuer_cards').values(toRow(record)).onConflict((oc) => oc.doNothing()).executeTakeFirst(),
  );
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) !== 1) {
    throw new StoreError('ERR_STORE_CONFLICT', 'issuer_cards: a card with this id or this PAN and PSN already exists for the owner');
  }
}

/** The card `id` of `owner`, or undefined. */
export async function getIssuerCard(db: StoreDb, owner: string, id: string): Promise<StoredIssuerCard | undefined> {
  assertLookup(owner, 'getIssuerCard owner');
  assertLookup(id, 'getIssuerCard id');
  if (!isStorableText(id, MAX_KEY_TEXT) || !isStorableText(owner, MAX_KEY_TEXT)) return undefined;
  const row = await storeOperation('getIssuerCard', () =>
    db.selectFrom('issuer_cards').selectAll().where('owner', '=', owner).where('id', '=', id).executeTakeFirst(),
  );
  return row === undefined ? undefined : fromRow(row);
}

/** The card of `owner` whose PAN index is `panIndex`, or undefined. */
export async function findIssuerCard(db: StoreDb, owner: string, panIndex: string): Promise<StoredIssuerCard | undefined> {
  assertLookup(owner, 'findIssuerCard owner');
  assertLookup(panIndex, 'findIssuerCard panIndex');
  if (!isStorableText(panIndex, MAX_KEY_TEXT) || !isStorableText(owner, MAX_KEY_TEXT)) return undefined;
  const row = await storeOperation('findIssuerCard', () =>
    db.selectFrom('issuer_cards').selectAll().where('owner', '=', owner).where('pan_index', '=', panIndex).executeTakeFirst(),
  );
  return row === undefined ? undefined : fromRow(row);
}

/**
 * Moves the card's last ATC to `atc` if and only if `atc` is greater (one conditional UPDATE):
 * true when it moved, false when `atc` is a replay or older (or the card is gone).
 */
export async function advanceIssuerCardAtc(db: StoreDb, id: string, atc: number, at: string): Promise<boolean> {
  assertLookup(id, 'advanceIssuerCardAtc id');
  assertInteger(atc, 'advanceIssuerCardAtc atc', 0, 0xffff);
  assertText(at, 'advanceIssuerCardAtc at', 64);
  const result = await storeOperation('advanceIssuerCardAtc', () =>
    db.updateTable('issuer_cards').set({ last_atc: atc, updated_at: at }).where('id', '=', id).where('last_atc', '<', atc).executeTakeFirst(),
  );
  return Number(result.numUpdatedRows) === 1;
}

/** Sets the card's status and/or pending scripts; false when there is no such card. */
export async function updateIssuerCard(
  db: StoreDb,
  id: string,
  change: { readonly status?: string; readonly pendingScripts?: string; readonly panIndex?: string; readonly updatedAt: string },
): Promise<boolean> {
  assertLookup(id, 'updateIssuerCard id');
  assertObject(change, 'updateIssuerCard change');
  if (change.status !== undefined) assertText(change.status, 'issuer card status', MAX_KEY_TEXT);
  if (change.pendingScripts !== undefined) assertText(change.pendingScripts, 'issuer card pendingScripts', MAX_TEXT);
  assertText(change.updatedAt, 'issuer card updatedAt', 64);
  const set: Partial<IssuerCardsTable> = { updated_at: change.updatedAt };
  if (change.status !== undefined) set.status = change.status;
  if (change.pendingScripts !== undefined) set.pending_scripts = change.pendingScripts;
  if (change.panIndex !== undefined) {
    assertText(change.panIndex, 'issuer card panIndex', MAX_KEY_TEXT);
    set.pan_index = change.panIndex;
  }
  const result = await storeOperation('updateIssuerCard', () => db.updateTable('issuer_cards').set(set).where('id', '=', id).executeTakeFirst());
  return Number(result.numUpdatedRows) === 1;
}
