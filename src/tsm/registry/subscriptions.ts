/**
 * Mobile subscriptions (GPS_SPE_002 MobileSubscriptionInfo; research/tsm.md §1.3, §1.5): MSISDN ↔ SE.
 * The MSISDN is kept only as a keyed hash — HMAC-SHA-256 under the MNO tenant's `MSISDN index` key
 * in the HSM (the PAN-index pattern, tenant-keys.ts) — and the SP knows a subscription only by its
 * alias (GetMobileSubscriptionAlternateIdentifier: the SP never sees the MSISDN).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { toHex } from '../../bytes/index.ts';
import { getSecureElement, getSubscription, insertSubscription, StoreError, updateSubscription, type StoreDb, type StoredSubscription } from '../../store/index.ts';
import { TsmError } from '../errors.ts';
import type { TenantMacKeys } from '../http/tenant-keys.ts';
import type { RegistryContext } from './context.ts';

/** Label of a tenant's MSISDN-index key (HMAC-SHA-256, usage M7). */
export const MSISDN_INDEX_LABEL = 'MSISDN index';

/** A subscription's status (GP MobileSubscriptionStatusType, lower case) or `ended` (terminated, or removed by the MNO). */
export type SubscriptionStatus = 'active' | 'suspended' | 'restricted' | 'ended';

/** A new subscription: its id (the MNO's handle) and its alias (the SP's). */
export interface CreatedSubscription {
  readonly subscriptionId: string;
  readonly alias: string;
}

/** The keyed hash of an MSISDN (E.164 digits) under the tenant's MSISDN-index key, hex. */
export async function msisdnHash(rc: RegistryContext, keys: TenantMacKeys, msisdn: string): Promise<string> {
  if (!/^[0-9]{6,15}$/.test(msisdn)) throw new TsmError('ERR_TSM_REQUEST', 'msisdn: 6 to 15 digits (E.164, no +)');
  const key = await keys.keyOf(rc.ctx);
  return toHex(await rc.hsm.generateMac(key, new TextEncoder().encode(`msisdn/${msisdn}`), 'hmac-sha256', rc.ctx));
}

/** Creates a live subscription of `msisdn` on the MNO's SE `seId`; ERR_TSM_CONFLICT when the MSISDN already has one. */
export async function createSubscription(rc: RegistryContext, keys: TenantMacKeys, msisdn: string, seId: string): Promise<CreatedSubscription> {
  return insertLiveSubscription(rc, await msisdnHash(rc, keys, msisdn), seId);
}

/**
 * Inserts a live subscription under an MSISDN hash already computed (`msisdnHash`: the HSM call
 * stays outside any store transaction, since the software HSM reads its keys through the store).
 */
export async function insertLiveSubscription(rc: RegistryContext, hash: string, seId: string): Promise<CreatedSubscription> {
  if ((await getSecureElement(rc.db, seId, rc.ctx.tenant)) === undefined) throw new TsmError('ERR_TSM_NOT_FOUND', 'seId: no such secure element');
  const at = rc.now().toISOString();
  const created = { subscriptionId: `sub_${randomUUID()}`, alias: `msa_${toHex(new Uint8Array(randomBytes(16))).toLowerCase()}` };
  try {
    await insertSubscription(rc.db, {
      id: created.subscriptionId, mno: rc.ctx.tenant, alias: created.alias, msisdn_hash: hash, live_msisdn_hash: hash, se_id: seId,
      status: 'active', created_at: at, updated_at: at, ended_at: null,
    });
  } catch (error) {
    if (error instanceof StoreError && error.code === 'ERR_STORE_CONFLICT') throw new TsmError('ERR_TSM_CONFLICT', 'msisdn: a live subscription exists', { cause: error });
    throw error;
  }
  return created;
}

/** The MNO's subscription `id`, live or ended; ERR_TSM_NOT_FOUND otherwise (another MNO's too). */
export async function mnoSubscription(rc: RegistryContext, id: string): Promise<StoredSubscription> {
  const row = await getSubscription(rc.db, { id, mno: rc.ctx.tenant });
  if (row === undefined) throw new TsmError('ERR_TSM_NOT_FOUND', 'subscriptionId: no such subscription');
  return row;
}

/** Ends the MNO's subscription `id`; ERR_TSM_NOT_FOUND when there is none, ERR_TSM_STATE when it already ended. */
export async function endSubscription(rc: RegistryContext, id: string): Promise<void> {
  await mnoSubscription(rc, id);
  if (!(await updateSubscription(rc.db, id, { status: 'ended', ended: true, at: rc.now().toISOString() }))) {
    throw new TsmError('ERR_TSM_STATE', 'subscriptionId: the subscription has ended');
  }
}

/** What an SP may learn from a subscription alias: the SE it is on and whether it is active. */
export interface ResolvedSubscription {
  readonly seId: string;
  readonly status: SubscriptionStatus;
  readonly mno: string;
}

/**
 * The SE behind subscription alias `alias` (the SP side: eligibility, deploy), or undefined for an
 * unknown alias. An ended subscription resolves with status `ended`: callers refuse it.
 */
export async function resolveSubscription(db: StoreDb, alias: string): Promise<ResolvedSubscription | undefined> {
  if (!/^msa_[0-9a-f]{32}$/.test(alias)) return undefined;
  const row = await getSubscription(db, { alias });
  return row === undefined ? undefined : { seId: row.se_id, status: row.status as SubscriptionStatus, mno: row.mno };
}
