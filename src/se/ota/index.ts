/**
 * se/ota/: the virtual SE's SCP80 OTA receiver (ETSI TS 102 225 / 102 226 over SMS-PP): TAR
 * resolution and MSL, the SD's OTA key sets and their durable counters, script execution on the SD,
 * the PoR; SMS-PP data download (SMS-DELIVER in, PoR SMS-SUBMIT out).
 */
export { OtaReceiver, type OtaReceipt, type OtaReceiverOptions } from './receiver.ts';
export { securityDomainRunner, continuesScript, OTA_CHANNEL, type OtaScriptRunner } from './execute.ts';
export { resolveTar, meetsMsl, type TarTarget } from './tar.ts';
export { findKeySet, counterBytes, counterValue, type KeySetLookup } from './key-sets.ts';
export { SmsPpDownload, isClass2, type SmsReceipt } from './sms-pp.ts';
export {
  adminTriggerRunner,
  runCardAdminSession,
  ADMIN_CHANNEL,
  type AdminDefaults,
  type AdminSessionRequest,
  type CardAdminSessionOptions,
} from './admin-agent.ts';
