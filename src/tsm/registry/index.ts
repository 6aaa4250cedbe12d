/**
 * tsm/registry: the MNO side (ARCHITECTURE.md §1) — card batches, the SE registry, subscriptions
 * (MSISDN only as a keyed hash, an alias for the SP) and notifications with their hooks.
 */
export type { RegistryContext } from './context.ts';
export { importBatch, batchOf, BATCH_METHODS, type BatchImport, type DeliveredKey, type SeBatch } from './batches.ts';
export {
  registerSecureElements, getMnoSecureElement, findSecureElement, secureElementFromRow, MAX_SE_REGISTRATION,
  type SeRegistration, type SeRegistrationResult, type IsdKeysInput,
} from './secure-elements.ts';
export {
  checkSeOta, registerSeOta, openSeMsisdn, changeSeMsisdn, SE_MSISDN_LABEL, MAX_SCP80_KEY_SETS,
  type SeOtaInput, type Scp80KeySetInput, type Scp81Input, type KeyFileKey,
} from './se-ota.ts';
export {
  createSubscription, insertLiveSubscription, endSubscription, mnoSubscription, resolveSubscription, msisdnHash, MSISDN_INDEX_LABEL,
  type CreatedSubscription, type ResolvedSubscription, type SubscriptionStatus,
} from './subscriptions.ts';
export { handleNotification, GP_REASONS, NOTIFICATION_KINDS, type MnoNotification, type NotificationKind, type NotificationOutcome } from './notifications.ts';
export type { RegistryHooks, SeStatusChange, SeReplacement, DeviceChange } from './hooks.ts';
