/**
 * gp/scp/: GlobalPlatform secure channels SCP02 (GPC 2.3.1 Appendix E, legacy) and SCP03 (GPC Amd D
 * v1.1.1, S16 from v1.2) on both sides: host sessions over an `ApduTransport` with keys behind
 * HSM-ready interfaces, card sessions for the virtual Secure Element, the pure protocol math they
 * share, and GPPro-style key diversification.
 */
export { SECURITY_LEVEL, ALLOWED_SECURITY_LEVELS, securityLevel, type SecurityLevel, type ResponseProtection } from './security-level.ts';
export { SCP02_I_BITS, SCP02_SUPPORTED_I, scp02Options, type Scp02Options } from './scp02-options.ts';
export { SCP03_I_BITS, SCP03_I_VALUES, scp03Options, type Scp03Options } from './scp03-options.ts';
export { isValidCla, logicalChannel, hasSecureMessaging, withSecureMessaging, withoutSecureMessaging, macCla, gpCla } from './cla.ts';
export {
  KEY_TYPE,
  DIVERSIFICATION_METHODS,
  diversifyKey,
  diversifyEmv,
  diversifyVisa2,
  diversifyKdf3,
  type KeyType,
  type Diversifier,
  type DiversificationMethod,
} from './diversification.ts';
export type { ScpKeyContext } from './key-context.ts';
export {
  SCP02_DERIVATION,
  scp02SessionKey,
  scp02SessionKeyInput,
  scp02CardCryptogram,
  scp02HostCryptogram,
  scp02CardChallenge,
  scp02MacInput,
  scp02EncryptIcv,
  scp02PadData,
} from './scp02-crypto.ts';
export {
  SCP03_DERIVATION,
  SCP03_MAX_SEQUENCE_COUNTER,
  scp03SessionKey,
  scp03Cryptogram,
  scp03CardChallenge,
  scp03CounterBlock,
  scp03LcField,
  scp03CommandMacInput,
  scp03ResponseMacInput,
  scp03IsProtectedStatus,
} from './scp03-crypto.ts';
export {
  plainScp02Keys,
  deriveScp02SessionKeys,
  assertScp02StaticKeys,
  type Scp02HostKeys,
  type Scp02SessionKeys,
  type Scp02SessionContext,
  type Scp02StaticKeys,
  type Scp02ChannelKeys,
  type PlainScp02KeyOptions,
} from './scp02-keys.ts';
export {
  plainScp03Keys,
  deriveScp03SessionKeys,
  assertScp03StaticKeys,
  type Scp03HostKeys,
  type Scp03SessionKeys,
  type Scp03SessionContext,
  type Scp03ChallengeContext,
  type Scp03StaticKeys,
  type Scp03ChannelKeys,
  type PlainScp03KeyOptions,
} from './scp03-keys.ts';
export {
  INS_INITIALIZE_UPDATE,
  INS_EXTERNAL_AUTHENTICATE,
  initializeUpdateCommand,
  parseInitializeUpdateResponse,
  encodeScp02InitializeUpdateResponse,
  encodeScp03InitializeUpdateResponse,
  type InitializeUpdateResponse,
  type Scp02InitializeUpdateResponse,
  type Scp03InitializeUpdateResponse,
} from './initialize-update.ts';
export {
  SCP02_INITIAL_CHAIN,
  scp02ProtectCommand,
  scp02VerifyCommand,
  scp02WrappedDataLength,
  scp02MaxPlainDataLength,
  type Scp02Chain,
  type Scp02Protection,
} from './scp02-messaging.ts';
export {
  SCP03_INITIAL_CHAIN,
  scp03ProtectCommand,
  scp03VerifyCommand,
  scp03ProtectResponse,
  scp03VerifyResponse,
  scp03WrappedDataLength,
  scp03MaxPlainDataLength,
  type Scp03Chain,
  type Scp03Protection,
} from './scp03-messaging.ts';
export type { SecureChannelSession } from './host-session.ts';
export type { OpenOptionsBase } from './open-steps.ts';
export { openScp02, Scp02HostSession, type Scp02OpenOptions } from './scp02-host.ts';
export { openScp03, Scp03HostSession, type Scp03OpenOptions } from './scp03-host.ts';
export { openSecureChannel, type ScpHostKeys, type SecureChannelOptions } from './open.ts';
export type { CardChannelState } from './card-state.ts';
export { Scp02CardSession, SCP02_MAX_SEQUENCE_COUNTER, type Scp02CardSessionOptions } from './scp02-card.ts';
export { Scp03CardSession, type Scp03CardSessionOptions } from './scp03-card.ts';
