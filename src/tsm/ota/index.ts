/**
 * tsm/ota: the TSM's over-the-air bearers. The SMS bearer submits SCP80 secured packets through an
 * operator's SMSC over SMPP 3.4 (docs/sms-bearer.md); the SCP81 bearer runs the GPC Amd B admin
 * server as a CardBearer (docs/scp81.md, "The TSM side").
 */
export {
  SmppBearer,
  type SmppBearerOptions,
  type SmppBearerState,
  type SmppBearerEvents,
  type MoSms,
  type DeliveryReceipt,
  type SmsSubmitted,
} from './smpp-bearer.ts';
export { ESM_CLASS, SMPP_STATUS, smppStatusName, shortMessageOctets, shortMessageText } from './short-message.ts';
export { Scp81Bearer, type Scp81BearerOptions, type Scp81Registration, type Scp81Trigger, type Scp81Transport } from './scp81-bearer.ts';
export { Scp81Session, END_SESSION, type Scp81EndReason, type Scp81SessionTiming } from './scp81-session.ts';
export { hsmOtaHostKeys, type HsmOtaKeyIds } from './hsm-ota-keys.ts';
export { MoReassembly, type MoReassemblyOptions } from './mo-reassembly.ts';
export { SmsScp81Trigger, DEFAULT_TRIGGER_SPI, counterBytes, type SmsScp81Target, type SmsScp81TriggerOptions, type SmsTriggerSent, type SmsStrayPor, type Scp81TriggerSource, type Scp81Address } from './sms-scp81-trigger.ts';
