/**
 * Tables of the MNO's SE registry and the SP's service catalog (migrations 2026-11-27T1305-registry
 * and 2026-11-27T1310-services; tsm/registry, tsm/catalog). Key material only as HSM key ids; the
 * MSISDN only as a keyed hash computed by tsm/ under an HSM key.
 */

/** A Secure Element an MNO registered; `isd` and `ota` are JSON text owned by tsm/. */
export interface SecureElementsTable {
  se_id: string;
  mno: string;
  platform: string;
  status: string;
  /** JSON: {aid, scp, kvn, keys: {enc, mac, dek}} (HSM key ids). */
  isd: string;
  ara_aid: string | null;
  /** JSON: {tars, kic?, kid?, counter?}. */
  ota: string | null;
  batch_id: string | null;
  /** SHA-256 (hex) of the registration request, to answer a repeated registration as "already registered". */
  request_hash: string;
  created_at: string;
  updated_at: string;
}

/** A card batch's ISD master keys (usage B3) and how per-SE keys derive from them. */
export interface SeBatchesTable {
  id: string;
  mno: string;
  method: string;
  enc: string;
  mac: string;
  dek: string;
  created_at: string;
}

/** A mobile subscription: MSISDN (as a keyed hash) ↔ SE; the SP knows it only by `alias`. */
export interface SubscriptionsTable {
  id: string;
  mno: string;
  alias: string;
  msisdn_hash: string;
  /** `msisdn_hash` while the subscription has not ended, else null: unique per MNO (one live subscription per MSISDN). */
  live_msisdn_hash: string | null;
  se_id: string;
  status: string;
  created_at: string;
  updated_at: string;
  ended_at: string | null;
}

/** A notification an MNO sent (GP SELifeCycleNotification / MobileSubscriptionLifeCycleNotification). */
export interface SeNotificationsTable {
  id: string;
  mno: string;
  kind: string;
  se_id: string;
  reason: number | null;
  from_status: string | null;
  to_status: string | null;
  /** JSON: the notification's other fields (never an MSISDN). */
  detail: string;
  received_at: string;
}

/** A service an SP offers; `record` is JSON text owned by tsm/catalog (flavours, keys, certificate). */
export interface ServicesTable {
  id: string;
  sp: string;
  name: string;
  record: string;
  created_at: string;
  updated_at: string;
}
