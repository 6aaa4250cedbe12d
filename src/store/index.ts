/**
 * store/: persistence (docs/architecture.md §2). Kysely over SQLite (the embedded default) or
 * PostgreSQL (scale-out), one schema and one set of repositories for both. Holds key references and
 * wrapped key blocks, never clear keys; logs nothing. Schema decisions: docs/store.md.
 *
 * @example
 * const db = await openDatabase('sqlite:opentsm.db');
 * await migrateToLatest(db);
 * await putKey(db, record);
 * await closeDatabase(db);
 */
export { StoreError, STORE_ERROR_CODES, type StoreErrorCode } from './errors.ts';
export type { StoreDb, StoreSchema, KeyRecordsTable, CustodiansTable, AuditEventsTable, AuditEventKeysTable, IssuerCardsTable, ApiClientsTable, AuditLogsTable, AuditChainTable, JobsTable, JobStepsTable, SeLocksTable } from './schema.ts';
export {
  openDatabase,
  closeDatabase,
  parseDatabaseUrl,
  dialectOf,
  type OpenDatabaseOptions,
  type DatabaseLocation,
  type StoreDialect,
} from './database.ts';
export { migrateToLatest, MIGRATION_NAMES } from './migrate.ts';
export { binaryColumnType, bigintColumnType, addSerialPrimaryKey, bytesFromColumn } from './column-types.ts';
export { MAX_KEY_TEXT, MAX_TEXT } from './validate.ts';
export {
  getKey,
  putKey,
  listKeys,
  listKeysNotUnder,
  assertKeyRecord,
  KEY_STATUSES,
  MAX_KEY_PAGE,
  type KeyStatus,
  type StoredKeyAttributes,
  type StoredKeyRecord,
  type KeyRecordFilter,
} from './key-records.ts';
export { getCustodian, putCustodian, listCustodians, assertCustodianRecord, type StoredCustodianRecord } from './custodians.ts';
export {
  appendAuditEvent,
  queryAuditEvents,
  assertAuditEvent,
  MAX_AUDIT_PAGE,
  MAX_AUDIT_KEYS,
  type AuditEventRecord,
  type AuditKeyRef,
  type StoredAuditEvent,
  type AuditEventQuery,
} from './audit-events.ts';
export { keyRecordStore, type KeyRecordRepository, type NarrowKeyAttributes } from './key-record-store.ts';
export {
  insertIssuerCard,
  getIssuerCard,
  findIssuerCard,
  advanceIssuerCardAtc,
  updateIssuerCard,
  assertIssuerCard,
  type StoredIssuerCard,
} from './issuer-cards.ts';
export {
  insertApiClient,
  getApiClient,
  listApiClients,
  setApiClientDisabled,
  assertApiClient,
  type StoredApiClient,
} from './api-clients.ts';
export {
  createAuditLog,
  listAuditLogs,
  insertAuditChainRecord,
  getAuditChainHead,
  readAuditChain,
  assertAuditChainRecord,
  MAX_AUDIT_CHAIN_PAGE,
  type StoredAuditChainRecord,
  type StoredAuditLog,
} from './audit-chain.ts';
export {
  insertJob,
  getJob,
  findJobByKey,
  findJobByWaitToken,
  listJobs,
  updateJob,
  assertJob,
  MAX_JOB_PAGE,
  type StoredJob,
  type JobChange,
  type JobGuard,
  type JobFilter,
} from './jobs.ts';
export { appendJobStep, listJobSteps, assertJobStep, type JobStepRecord, type StoredJobStep } from './job-steps.ts';
export { acquireSeLock, releaseSeLocks, releaseSeLocksOfJobsIn, getSeLock, listSeLocks, type SeLock } from './se-locks.ts';
export { nextOtaCounter, getOtaCounter, MAX_OTA_COUNTER } from './ota-counters.ts';
export {
  insertServiceInstance, getServiceInstance, listServiceInstances, updateServiceInstanceState, assertServiceInstance, type StoredServiceInstance,
} from './service-instances.ts';
export { putSpSecurityDomain, getSpSecurityDomain, assertSpSecurityDomain, type StoredSpSecurityDomain } from './sp-security-domains.ts';
export { replaceSecureElementOta } from './se-ota.ts';
export { replaceRegistryMirror, getRegistryMirror, MIRROR_KINDS, type MirrorKind, type MirrorEntry } from './registry-mirror.ts';
export {
  insertWebhookEndpoint,
  getWebhookEndpoint,
  listWebhookEndpoints,
  deleteWebhookEndpoint,
  insertWebhookDeliveries,
  getWebhookDelivery,
  listWebhookDeliveries,
  listDueWebhookDeliveries,
  nextWebhookDeliveryAt,
  claimWebhookDelivery,
  finishWebhookDelivery,
  assertWebhookEndpoint,
  assertWebhookDelivery,
  MAX_WEBHOOK_PAGE,
  type StoredWebhookEndpoint,
  type StoredWebhookDelivery,
  type WebhookDeliveryChange,
  type WebhookTables,
  type WebhookEndpointsTable,
  type WebhookDeliveriesTable,
} from './webhooks.ts';
export type { SecureElementsTable, SeBatchesTable, SubscriptionsTable, SeNotificationsTable, ServicesTable } from './registry-tables.ts';
export {
  insertSeBatch,
  getSeBatch,
  insertSecureElement,
  getSecureElement,
  updateSecureElementStatus,
  insertSubscription,
  getSubscription,
  liveSubscriptionsOf,
  updateSubscription,
  insertSeNotification,
  listSeNotifications,
  inRegistryTransaction,
  type StoredSecureElement,
  type StoredSeBatch,
  type StoredSubscription,
  type StoredSeNotification,
  type SubscriptionKey,
} from './registry.ts';
export { insertService, getService, listServices, updateServiceRecord, type StoredService } from './services.ts';
