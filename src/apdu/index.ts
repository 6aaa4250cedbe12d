/**
 * apdu/: ISO/IEC 7816-4 command and response APDUs, status words, and the host side of T=0
 * transport handling over a bytes-in/bytes-out {@link ApduTransport}.
 */
export { ApduError, APDU_ERROR_CODES, type ApduErrorCode } from './errors.ts';
export {
  commandApdu,
  encodeCommand,
  parseCommand,
  apduCase,
  type CommandApdu,
  type CommandApduFields,
  type ApduCase,
} from './command.ts';
export { responseApdu, parseResponse, encodeResponse, isSuccess, type ResponseApdu } from './response.ts';
export { SW, STATUS_WORDS, describeSw, swFamily, type StatusWordEntry } from './status-words.ts';
export { transmit, checkSw, getResponseCla, type ApduTransport, type TransmitOptions } from './transport.ts';
export {
  RELAY_LIMITS,
  continuesBatch,
  relayApdusFrame,
  relayResponsesFrame,
  encodeRelayFrame,
  decodeRelayFrame,
  checkRelayAnswer,
  runRelayBatch,
  type RelayFrame,
  type RelayApdusFrame,
  type RelayResponsesFrame,
} from './relay-batch.ts';
