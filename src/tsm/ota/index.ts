/**
 * tsm/ota: the TSM's over-the-air bearers. The SMS bearer submits SCP80 secured packets through an
 * operator's SMSC over SMPP 3.4 (docs/sms-bearer.md).
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
