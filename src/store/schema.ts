/**
 * The tables the store keeps, as Kysely sees them (one interface for both dialects). Column names
 * are snake_case; repositories map rows to records explicitly. Timestamps are ISO 8601 text, kept
 * verbatim (docs/store.md); integers are plain numbers on both dialects (PostgreSQL int8 is parsed
 * to a number, see database.ts).
 */
import type { Generated, Kysely } from 'kysely';
import type { SecureElementsTable, SeBatchesTable, SeNotificationsTable, ServicesTable, SubscriptionsTable } from './registry-tables.ts';

/** One key record of the software HSM: attributes as columns, the secret only as a wrapped TR-31 block. */
export interface KeyRecordsTable {
  id: string;
  usage: string;
  algorithm: string;
  mode_of_use: string;
  exportability: string;
  length: number;
  version: number;
  owner: string;
  label: string | null;
  class: string;
  kcv: string;
  status: string;
  /** TR-31 key block under the LMK; empty once destroyed. Never a clear key. */
  key_block: string;
  lmk_kcv: string;
  public_key: string | null;
  created_at: string;
  updated_at: string;
}

/** A key custodian: a name and the scrypt hash of the passphrase. */
export interface CustodiansTable {
  name: string;
  passphrase_hash: string;
  created_at: string;
}

/** One audit event; `seq` is assigned by the database and orders the log. */
export interface AuditEventsTable {
  seq: Generated<number>;
  kind: string;
  at: string;
  tenant: string;
  actor: string;
  request_id: string | null;
  operation: string;
  result: string;
  code: string | null;
  detail: string | null;
}

/** The keys an audit event names, in order (a table, so that events can be found by key id). */
export interface AuditEventKeysTable {
  event_seq: number;
  position: number;
  key_id: string;
  kcv: string;
}

/** An issuer's card record; `pan_index` is a keyed hash of PAN ‖ PSN, never the PAN. */
export interface IssuerCardsTable {
  id: string;
  owner: string;
  pan_index: string;
  profile: string;
  imk_ac: string;
  imk_smi: string;
  imk_smc: string;
  status: string;
  /** −1 until the first valid online cryptogram. */
  last_atc: number;
  /** JSON array of pending issuer script requests (no clear PIN: PIN changes carry an encrypted block). */
  pending_scripts: string;
  created_at: string;
  updated_at: string;
}

/** A client of the TSM service's HTTP API; the secret only as a salted, keyed hash. */
export interface ApiClientsTable {
  id: string;
  tenant: string;
  role: string;
  secret_hash: string;
  created_at: string;
  /** 0 enabled, 1 disabled (an integer on both dialects). */
  disabled: number;
}

/** A chained audit log (docs/audit.md): its id, which the genesis MAC and every record bind. */
export interface AuditLogsTable {
  log_id: string;
  created_at: string;
}

/** One record of a chained audit log; (log_id, seq) is the primary key, so appends cannot fork. */
export interface AuditChainTable {
  log_id: string;
  seq: number;
  at: string;
  tenant: string;
  actor: string;
  kind: string;
  action: string;
  request_id: string | null;
  /** JSON array of subject ids, MACed as stored. */
  subjects: string;
  result: string;
  /** JSON object (redacted by tsm/ before it arrives), MACed as stored. */
  detail: string;
  /** The HSM key (usage M7) whose HMAC `mac` is. */
  mac_key: string;
  prev_mac: Uint8Array;
  mac: Uint8Array;
}

/** A durable job (docs/jobs.md); `seq` is assigned by the database and orders the queue. */
export interface JobsTable {
  seq: Generated<number>;
  id: string;
  tenant: string;
  se_id: string;
  kind: string;
  state: string;
  step_index: number;
  step_name: string | null;
  step_status: string;
  idempotency_key: string;
  request_hash: string;
  /** JSON text: the request's non-sensitive parameters. */
  params: string;
  /** The request's payload: sealed by tsm/'s PayloadCipher when `payload_sealed` is 1. */
  payload: Uint8Array | null;
  payload_sealed: number;
  expires_at: string | null;
  attempt: number;
  owner: string | null;
  wait_token: string | null;
  delivery: string | null;
  outputs: string;
  result: string | null;
  error_step: string | null;
  error_code: string | null;
  error_sw: number | null;
  error_message: string | null;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  ended_at: string | null;
}

/** One entry of a job's append-only step history. */
export interface JobStepsTable {
  seq: Generated<number>;
  job_id: string;
  /** Null for job-level entries (queued, retry, expired, terminated…). */
  step: string | null;
  step_index: number | null;
  outcome: string;
  attempt: number;
  at: string;
  detail: string | null;
}

/** The lock that keeps one job at a time on an SE: one row per busy SE. */
export interface SeLocksTable {
  se_id: string;
  job_id: string;
  at: string;
}

/** A service deployed (or being deployed) to an SE (docs/provisioning.md). */
export interface ServiceInstancesTable {
  instance_id: string;
  sp: string;
  service_id: string;
  se_id: string;
  aid: string;
  state: string;
  card_id: string | null;
  job_id: string | null;
  created_at: string;
  updated_at: string;
}

/** An SP's Supplementary Security Domain on an SE: its AID, KVN and the HSM ids of its keys. */
export interface SpSecurityDomainsTable {
  se_id: string;
  aid: string;
  sp: string;
  kvn: number;
  enc_key: string;
  mac_key: string;
  dek_key: string;
  created_at: string;
}

/** One entry of an SE's GlobalPlatform registry as last read (GET STATUS). */
export interface SeRegistryMirrorTable {
  se_id: string;
  aid: string;
  /** 'sd' | 'app' | 'load-file' */
  kind: string;
  lifecycle: number;
  privileges: string | null;
  sd_aid: string | null;
  read_at: string;
}

/** Every table of the store. */
export interface StoreSchema {
  key_records: KeyRecordsTable;
  custodians: CustodiansTable;
  audit_events: AuditEventsTable;
  audit_event_keys: AuditEventKeysTable;
  issuer_cards: IssuerCardsTable;
  api_clients: ApiClientsTable;
  audit_logs: AuditLogsTable;
  audit_chain: AuditChainTable;
  jobs: JobsTable;
  job_steps: JobStepsTable;
  se_locks: SeLocksTable;
  service_instances: ServiceInstancesTable;
  sp_security_domains: SpSecurityDomainsTable;
  se_registry_mirror: SeRegistryMirrorTable;
  secure_elements: SecureElementsTable;
  se_batches: SeBatchesTable;
  subscriptions: SubscriptionsTable;
  se_notifications: SeNotificationsTable;
  services: ServicesTable;
}

/** An open store database (or a transaction on one: `Transaction<StoreSchema>` is one too). */
export type StoreDb = Kysely<StoreSchema>;
