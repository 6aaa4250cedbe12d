/**
 * hsm/: key custody (ARCHITECTURE.md §2–3). Keys are handles; every stored key is a TR-31 key block
 * under the LMK (software backend) or a token object (PKCS#11).
 */
export { HsmError, HSM_ERROR_CODES, type HsmErrorCode } from './errors.ts';
export { GP_KEY_ROLES, KEY_CLASSES, isKeyClass, type GpKeyRole, type KeyAttributes, type KeyClass, type KeyHandle, type KeyImportMeta, type KeySpec } from './key-attributes.ts';
export type { OperationContext, CustodianCredential, KeyComponentInput } from './context.ts';
export { MemoryAuditSink, type AuditEvent, type AuditSink } from './audit.ts';
export type { KeyRecord, CustodianRecord, KeyRecordStore } from './key-record-store.ts';
export type {
  Hsm,
  ArqcRequest,
  ArpcInput,
  ArqcResult,
  EncryptedPinBlock,
  CardKeyExport,
  MacAlgorithm,
  MacMechanism,
  MacPadding,
  MacParameters,
  DataCipherOptions,
  AsymmetricKeySpec,
  SignatureScheme,
  EmvCertificate,
  EmvCertificateRequest,
  CardDataEncryption,
  IccKeyPairRequest,
  IccKeyPairForCard,
  EncryptedIccPrivateKey,
  CardPinRequest,
} from './hsm.ts';
export { USAGE_POLICY, MAC_USAGE, assertUsable, type KeyOperation } from './usage-policy.ts';
export * from './software/index.ts';
export { Pkcs11Hsm, DEFAULT_MODULE_PATH as PKCS11_DEFAULT_MODULE, PKCS11_INSTALL_HINT, type PinSource, type Pkcs11HsmOptions } from './pkcs11/index.ts';
