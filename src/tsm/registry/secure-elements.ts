/**
 * The SE registry (ARCHITECTURE.md §1, MNO side): Secure Elements registered in bulk with their
 * ISD key set — diversified in the HSM from a batch's masters with the card's KDD, or imported per SE
 * as TR-31 blocks — their ARA-M AID and OTA data (TARs, the key file's SCP80 key sets and SCP81 PSK,
 * the trigger's MSISDN sealed: se-ota.ts).
 *
 * Atomicity: each item is atomic — its row is written only after every key it names is in the HSM,
 * in one INSERT, so a bad item never leaves a half-registered SE. The call is not: items succeed or
 * fail one by one and the answer says which (a key imported for an item that then fails stays in the
 * HSM, unreferenced). Registering the same SE again with the same data answers `exists`; with other
 * data, or an SE id another MNO registered, an error: SE ids are global (the jobs and SE locks key on
 * them), like the ICCID or CPLC data they come from.
 */
import { createHash } from 'node:crypto';
import type { KeyHandle } from '../../hsm/index.ts';
import { fromHex } from '../../bytes/index.ts';
import { getSecureElement, insertSecureElement, type StoredSecureElement } from '../../store/index.ts';
import type { SecureElementRecord, SecureElementStatus } from '../model.ts';
import { TsmError } from '../errors.ts';
import { resolveKey } from '../http/tenant-keys.ts';
import { batchOf, type SeBatch } from './batches.ts';
import { upperHex, type RegistryContext } from './context.ts';
import { forField } from './key-errors.ts';
import { checkSeOta, hashableOta, registerSeOta, type SeOtaInput } from './se-ota.ts';

/** Most SEs one registration call takes. */
export const MAX_SE_REGISTRATION = 1000;
/** How many items are worked on at once (HSM derivations and inserts). */
const CONCURRENCY = 8;

/**
 * ISD keys: either `{batchId, kdd}` — derived from a batch with the SE's KDD (10 bytes, hex) — or
 * `{kbpk, enc, mac, dek}` — per-SE TR-31 blocks under a KBPK. Flat, as JSON carries it; checked per item.
 */
export interface IsdKeysInput {
  readonly batchId?: string;
  readonly kdd?: string;
  readonly kbpk?: string;
  readonly enc?: string;
  readonly mac?: string;
  readonly dek?: string;
}

const DERIVED = ['batchId', 'kdd'] as const;
const IMPORTED = ['kbpk', 'enc', 'mac', 'dek'] as const;

/** Which way the keys come, every field of that way present and none of the other. */
function keysWay(keys: IsdKeysInput): 'derived' | 'imported' {
  const way = keys.batchId !== undefined || keys.kdd !== undefined ? 'derived' : 'imported';
  const [need, other] = way === 'derived' ? [DERIVED, IMPORTED] : [IMPORTED, DERIVED];
  for (const f of need) if (keys[f] === undefined) throw new TsmError('ERR_TSM_REQUEST', `isd.keys.${f}: is required (give {batchId, kdd} or {kbpk, enc, mac, dek})`);
  for (const f of other) if (keys[f] !== undefined) throw new TsmError('ERR_TSM_REQUEST', `isd.keys.${f}: is not allowed with isd.keys.${need[0]}`);
  return way;
}

/** One SE to register (hex byte strings). */
export interface SeRegistration {
  readonly seId: string;
  readonly platform: string;
  readonly isd: { readonly aid: string; readonly kvn: number; readonly scp: 2 | 3; readonly keys: IsdKeysInput };
  readonly araAid?: string;
  /** OTA data: TARs, the key file's SCP80 key sets and SCP81 PSK, the trigger's MSISDN (se-ota.ts). */
  readonly ota?: SeOtaInput;
}

/** The outcome of one item. */
export type SeRegistrationResult =
  | { readonly seId: string; readonly result: 'created' | 'exists' }
  | { readonly seId: string; readonly result: 'error'; readonly error: unknown };

/** A stored row as the model's record. */
export function secureElementFromRow(row: StoredSecureElement): SecureElementRecord {
  const isd = JSON.parse(row.isd) as SecureElementRecord['isd'];
  return {
    seId: row.se_id, mno: row.mno, platform: row.platform, status: row.status as SecureElementStatus, isd,
    ...(row.ara_aid === null ? {} : { araAid: row.ara_aid }),
    ...(row.ota === null ? {} : { ota: JSON.parse(row.ota) as NonNullable<SecureElementRecord['ota']> }),
    createdAt: row.created_at,
  };
}

/** The MNO's SE `seId`; ERR_TSM_NOT_FOUND for a missing one and for another MNO's. */
export async function getMnoSecureElement(rc: RegistryContext, seId: string): Promise<SecureElementRecord> {
  const row = await getSecureElement(rc.db, seId, rc.ctx.tenant);
  if (row === undefined) throw new TsmError('ERR_TSM_NOT_FOUND', 'seId: no such secure element');
  return secureElementFromRow(row);
}

/** Any MNO's SE `seId` (the SP side and the jobs), or undefined. */
export async function findSecureElement(db: RegistryContext['db'], seId: string): Promise<SecureElementRecord | undefined> {
  const row = await getSecureElement(db, seId);
  return row === undefined ? undefined : secureElementFromRow(row);
}

/** SHA-256 of the item's canonical JSON, the MSISDN in it replaced by its keyed hash. */
async function requestHash(rc: RegistryContext, item: SeRegistration): Promise<string> {
  const hashable = item.ota === undefined ? item : { ...item, ota: await hashableOta(rc, item.ota) };
  const canonical = JSON.stringify(hashable, (_k, v: unknown) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v));
  return createHash('sha256').update(canonical).digest('hex');
}

async function importSeKey(rc: RegistryContext, kbpk: string, block: string, label: string, field: string, usage?: string): Promise<KeyHandle> {
  const handle = await forField(field, () => rc.hsm.importKeyBlock(kbpk, block, { owner: rc.ctx.tenant, label }, rc.ctx));
  if (usage !== undefined && handle.attributes.usage !== usage) throw new TsmError('ERR_TSM_REQUEST', `${field}: expected a key of usage ${usage}`);
  return handle;
}

async function isdKeys(rc: RegistryContext, keys: IsdKeysInput, batches: Map<string, Promise<SeBatch>>): Promise<{ enc: string; mac: string; dek: string }> {
  if (keysWay(keys) === 'derived') {
    const batchId = keys.batchId!;
    let batch = batches.get(batchId);
    if (batch === undefined) batches.set(batchId, (batch = batchOf(rc, batchId, 'isd.keys.batchId')));
    const b = await batch;
    const kdd = fromHex(keys.kdd!, 'isd.keys.kdd');
    // The KDD: the first 10 bytes of the card's INITIALIZE UPDATE response, as gp/'s diversification takes it.
    const d = await forField('isd.keys.kdd', () => rc.hsm.diversifyGpKeys(b.masters, kdd, b.method, { owner: rc.ctx.tenant }, rc.ctx));
    return { enc: d.enc.id, mac: d.mac.id, dek: d.dek.id };
  }
  const kbpk = (await resolveKey(rc.hsm, keys.kbpk!, 'isd.keys.kbpk', 'K1', rc.ctx)).id;
  return {
    enc: (await importSeKey(rc, kbpk, keys.enc!, 'GP-ENC', 'isd.keys.enc', 'E5')).id,
    mac: (await importSeKey(rc, kbpk, keys.mac!, 'GP-MAC', 'isd.keys.mac', 'E5')).id,
    dek: (await importSeKey(rc, kbpk, keys.dek!, 'GP-DEK', 'isd.keys.dek', 'K0')).id,
  };
}

/** An existing row as this item's outcome: `exists` when the same MNO sent the same data, else an error. */
function existingOutcome(rc: RegistryContext, row: StoredSecureElement, hash: string): SeRegistrationResult {
  if (row.mno === rc.ctx.tenant && row.request_hash === hash) return { seId: row.se_id, result: 'exists' };
  return { seId: row.se_id, result: 'error', error: new TsmError('ERR_TSM_CONFLICT', 'seId: already registered with other data') };
}

async function registerOne(rc: RegistryContext, item: SeRegistration, batches: Map<string, Promise<SeBatch>>): Promise<SeRegistrationResult> {
  // every OTA field checked before any key is imported
  const otaInput = item.ota === undefined ? undefined : checkSeOta(item.ota);
  const hash = await requestHash(rc, item);
  const before = await getSecureElement(rc.db, item.seId);
  if (before !== undefined) return existingOutcome(rc, before, hash);
  const keys = await isdKeys(rc, item.isd.keys, batches);
  const ota = otaInput === undefined ? undefined : await registerSeOta(rc, item.seId, otaInput);
  const at = rc.now().toISOString();
  const row: StoredSecureElement = {
    se_id: item.seId, mno: rc.ctx.tenant, platform: item.platform, status: 'active',
    isd: JSON.stringify({ aid: upperHex(item.isd.aid), scp: item.isd.scp, kvn: item.isd.kvn, keys }),
    ara_aid: item.araAid === undefined ? null : upperHex(item.araAid), ota: ota === undefined ? null : JSON.stringify(ota),
    batch_id: item.isd.keys.batchId ?? null, request_hash: hash, created_at: at, updated_at: at,
  };
  if (await insertSecureElement(rc.db, row)) return { seId: item.seId, result: 'created' };
  const raced = await getSecureElement(rc.db, item.seId);
  return raced === undefined ? { seId: item.seId, result: 'error', error: new TsmError('ERR_TSM_CONFLICT', 'seId: already registered') } : existingOutcome(rc, raced, hash);
}

/** Registers up to MAX_SE_REGISTRATION SEs; one outcome per item, in the request's order. */
export async function registerSecureElements(rc: RegistryContext, items: readonly SeRegistration[]): Promise<readonly SeRegistrationResult[]> {
  if (items.length === 0 || items.length > MAX_SE_REGISTRATION) throw new TsmError('ERR_TSM_REQUEST', `items: 1 to ${MAX_SE_REGISTRATION} secure elements`);
  const results: SeRegistrationResult[] = new Array<SeRegistrationResult>(items.length);
  const seen = new Set<string>();
  const work: number[] = [];
  items.forEach((item, i) => {
    if (seen.has(item.seId)) results[i] = { seId: item.seId, result: 'error', error: new TsmError('ERR_TSM_REQUEST', `items[${i}].seId: repeated in this call`) };
    else work.push(i);
    seen.add(item.seId);
  });
  const batches = new Map<string, Promise<SeBatch>>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < work.length) {
      const i = work[next++]!;
      const item = items[i]!;
      try {
        results[i] = await registerOne(rc, item, batches);
      } catch (error) {
        results[i] = { seId: item.seId, result: 'error', error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, work.length) }, worker));
  return results;
}
