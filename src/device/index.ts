/**
 * device/: the phone and the point of sale (ARCHITECTURE.md §2): the POS terminal's contactless kernel
 * (EMV Book A/B entry point, a kernel shaped like Books C-2/C-3 with fDDA) and the wallet's issuer
 * update after a tap. Talks to cards only through an ApduTransport and to the issuer only through an
 * emv/ Authorizer.
 */
export { DeviceError, DEVICE_ERROR_CODES, type DeviceErrorCode } from './errors.ts';
export { PosTerminal, DEFAULT_TTQ, DEFAULT_TAC_DENIAL, type PosTerminalOptions } from './pos/terminal.ts';
export type {
  TerminalOutcome,
  ApprovedOutcome,
  DeclinedOutcome,
  DeclinedOfflineOutcome,
  ErrorOutcome,
  TransactionFacts,
  CryptogramSummary,
} from './pos/outcome.ts';
export type { Transaction } from './pos/transaction.ts';
export { transactionData } from './pos/transaction.ts';
export { caKeyFromSpki, findCaKey, type CaPublicKey } from './pos/oda/ca-keys.ts';
export type { RsaPublicKey } from './pos/oda/rsa-recover.ts';
export type { OdaResult } from './pos/oda/fdda.ts';
export { retrieveIssuerKey, type IssuerCertificateInput, type KeyRetrieval, type CertificateFailure } from './pos/oda/issuer-key.ts';
export { retrieveIccKey, type IccCertificateInput } from './pos/oda/icc-key.ts';
export { verifySdad } from './pos/oda/sdad.ts';
export { TVR, TVR_LENGTH, hasTvr, type TvrBitName } from './pos/tvr.ts';
export { PPSE_NAME, candidateList, type Candidate } from './pos/entry-point.ts';
export { parseAfl, type AflEntry } from './pos/afl.ts';
export { deliverIssuerUpdate, type IssuerUpdateReport, type IssuerUpdateStep } from './wallet/issuer-update.ts';
export { RelayAgent, type RelayAgentOptions, type RelayAgentEvents, type RelayReconnectOptions } from './wallet/relay-agent.ts';
export { SigningIdentity, type SigningIdentityOptions } from './wallet/signing-identity.ts';
export {
  WalletApp,
  type WalletAppOptions,
  type CardView,
  type WalletCardState,
  type WalletTransaction,
  type CryptogramKind,
  type PinEntry,
  type EncryptedPin,
  type IssuerLink,
  type WalletSeService,
  type WalletReader,
  type WalletSession,
  type WalletChannel,
} from './wallet/wallet-app.ts';
export { virtualSeTerminal, claOnChannel, channelOfCla, type SeTerminal } from './terminal.ts';
export { apduAllowed, type AccessDecision, type AccessControlEnforcer, type ApduAccess, type ApduFilter, type DeviceApp } from './access-control/access-decision.ts';
export { SEService, type SEServiceOptions } from './omapi/se-service.ts';
export { Reader } from './omapi/reader.ts';
export { Session, type SessionInit } from './omapi/session.ts';
export { Channel, type ChannelInit } from './omapi/channel.ts';
export { SUPPORTED_P2 } from './omapi/checks.ts';
export { AraEnforcer, type AraEnforcerOptions } from './access-control/enforcer.ts';
export { AccessRuleCache, type CachedRules } from './access-control/rule-cache.ts';
export { ARA_M_AID, ARA_READER_DEFAULTS, withAraChannel, type AraChannel, type AraReaderOptions } from './access-control/ara-reader.ts';
export { parseAllRefArDo, parseRefArDoList, SEAC_TAG, type AccessRule, type AidRef } from './access-control/rules.ts';
export { findAccessRule, indexRules, type PrecedenceCase, type RuleMatch, type RuleIndex } from './access-control/precedence.ts';
export { appIdentity, type AppIdentity } from './access-control/app-identity.ts';
export * from './tee/index.ts';
