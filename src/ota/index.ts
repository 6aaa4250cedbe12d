/**
 * ota/: SCP80 secured packets (ETSI TS 102 225) in their SMS-PP form: SPI, KIc/KID, the command
 * packet (host builds, card verifies) and the PoR (card builds, host verifies).
 */
export { OtaError, OTA_ERROR_CODES, type OtaErrorCode } from './errors.ts';
export { parseSpi, encodeSpi, spi, RC_CC_DS, COUNTER_MODES, POR_MODES, POR_VIA, type Spi, type RcCcDs, type CounterMode, type PorMode, type PorVia } from './spi.ts';
export {
  parseKeyId,
  encodeKeyId,
  otaKeyId,
  otaEncrypt,
  otaDecrypt,
  otaCc,
  blockSize,
  isCcAlgorithm,
  OTA_ALGORITHMS,
  type OtaAlgorithm,
  type OtaKeyId,
  type OtaKeys,
} from './keys.ts';
export { plainOtaHostKeys, type OtaHostKeys, type OtaKeySpec } from './host-keys.ts';
export { checkCounter } from './counter.ts';
export { crc16Iso13239, crc32Iso13239, redundancyCheck, parseRcKid, RC_KINDS, RC_LENGTH, type RcKind } from './redundancy-check.ts';
export { POR_STATUS, POR, porStatusName } from './por-status.ts';
export {
  buildCommandPacket,
  sealCommandPacket,
  unwrapCommandPacket,
  parseCommandHeader,
  commandPacketUserData,
  type CommandPacket,
  type CommandPacketFields,
  type CommandHeader,
} from './command-packet.ts';
export { porWanted, buildResponsePacket, responsePacketUserData, unwrapResponsePacket, openResponsePacket, type ResponsePacket, type ResponsePacketFields, type ExpectedResponse } from './response-packet.ts';
export { parseCompactResponse, type CompactResponse } from './compact-response.ts';
export {
  REMOTE_TAG,
  encodeCommandScript,
  parseCommandScript,
  encodeResponseScript,
  parseResponseScript,
  isExpandedFormat,
  splitCompactCommands,
  encodeCompactCommands,
  encodeCompactResponse,
  type TemplateLength,
  type CommandScriptItem,
  type CommandScript,
  type ResponseScript,
} from './remote-apdu.ts';
export { smsDeliverTpdu, parseSmsDeliver, isEightBitCoding, MAX_USER_DATA, PID_DATA_DOWNLOAD, DCS_8BIT_CLASS_2, type SmsDeliverFields, type SmsDeliver } from './sms-deliver.ts';
export { smsSubmitTpdu, parseSmsSubmit, type SmsSubmitFields, type SmsSubmit } from './sms-submit.ts';
export { type SmsAddress } from './sms-address.ts';
export { IEI, encodeUserDataHeader, parseUserData, concatInfo, type InformationElement, type ConcatInfo, type UserData } from './user-data-header.ts';
export {
  splitCommandPacket,
  splitResponsePacket,
  PacketReassembler,
  CommandPacketReassembler,
  ResponsePacketReassembler,
  MAX_CONCAT_PARTS,
  type PacketKind,
  type SplitOptions,
  type ReassemblyResult,
} from './concatenation.ts';
export * from './scp81/index.ts';
