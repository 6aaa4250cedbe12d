/**
 * tsm/relay/: the wallet relay bearer (docs/relay.md) — phones' agents keep a WebSocket to the TSM,
 * which sends APDU batches (inside the SD's SCP03 channel, opened above the transport) and receives
 * the responses.
 */
export { RelayHub, type RelayHubOptions, type RelayTransport } from './hub.ts';
export { attachRelay, RELAY_PATH, type AttachRelayOptions, type RelayAttachment } from './attach.ts';
export { RelayTokens, RELAY_KEY_LABEL, parseRelayAuthorization } from './tokens.ts';
export { RELAY_CLOSE, type RelayLogger } from './connection.ts';
