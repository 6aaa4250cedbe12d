/**
 * ota/scp81: GPC Amd B remote administration over HTTP/1.1 on TLS-PSK — the admin protocol's
 * messages and codecs, the PSK store, the TLS-PSK options, the admin server (TSM side), the admin
 * agent (card side) and a scripted dialog with resume.
 */
export {
  ADMIN_PROTOCOL,
  SCRIPT_CONTENT_TYPE,
  RESPONSE_CONTENT_TYPE,
  SCRIPT_STATUSES,
  ADMIN_HEADERS,
  DEFAULT_ADMIN_LIMITS,
  agentPost,
  adminAnswer,
  encodeAgentPost,
  parseAgentPost,
  encodeAdminAnswer,
  parseAdminAnswer,
  headerFields,
  type ScriptStatus,
  type ScriptReport,
  type AgentPost,
  type AdminAnswer,
  type AdminLimits,
  type HeaderFields,
  type HeaderList,
  type RequestParts,
  type ResponseParts,
} from './admin-protocol.ts';
export { formatTargetedApplication, parseTargetedApplication } from './header-values.ts';
export { MemoryPskStore, checkPskIdentity, PSK_LENGTHS, MAX_PSK_IDENTITY_LENGTH, MAX_PSK_TTL_MS, type PskStore } from './psk-store.ts';
export {
  SCP81_CIPHERS,
  HANDSHAKE_FAILED,
  PskIdentities,
  pskServerOptions,
  pskClientOptions,
  createPskServer,
  connectPsk,
  handshakeError,
  type Scp81Cipher,
  type PskServerConfig,
  type PskClientConfig,
  type PskServer,
} from './tls-psk.ts';
export { startAdminServer, type AdminServer, type AdminServerOptions, type AdminPeer } from './admin-server.ts';
export { runAdminSession, type AdminAgentOptions, type AdminScript, type AdminSessionResult } from './admin-agent.ts';
export { ScriptDialog, type DialogOptions, type DialogState } from './dialog.ts';
export {
  ADMIN_TRIGGER,
  ADMIN_TRIGGER_TAG,
  adminTrigger,
  encodeAdminTriggerData,
  buildAdminTriggerCommand,
  isAdminTrigger,
  parseAdminTriggerData,
  type AdminTrigger,
} from './trigger.ts';
