/**
 * tsm/provisioning/card: the card operations of a deploy (docs/provisioning.md §"Card operations"),
 * each over an `ApduTransport` or an open secure channel, each with a read function that tells a
 * resumed job whether it happened. SEI role (MNO tenant, through the ISD): open the ISD, create the
 * SP's SSD with handover keys, extradite, PPSE entry, ARA-M rule, lock for lost/stolen. SP role (SP
 * tenant, through its SSD): take the SSD over, install, load, personalize, lock, delete.
 */
export { DEPLOY_SECURITY_LEVEL, openIsd, openSsd, sessionDek, type SdKeyIds } from './channel.ts';
export { DEFAULT_INITIAL_KVN, PPSE_AID, SD_MODULE_AID, SD_PACKAGE_AID } from './commands.ts';
export { findHandoverKbpk, handoverKbpkLabel } from './handover-kbpk.ts';
export {
  findApplication,
  findLoadFile,
  isLockedEntry,
  isPersonalizedSd,
  isSecurityDomainEntry,
  readApplication,
  readCardContent,
  readKeyVersions,
  readSdKeyVersions,
  type CardContent,
} from './registry.ts';
export { SSD_PRIVILEGES, createSsd, type CreateSsdOptions, type HandoverBlocks, type SsdHandover } from './ssd.ts';
export { takeOverSsd, type TakeOverRequest, type TakenOverSsd } from './takeover.ts';
export {
  deleteInstance,
  extraditeToSsd,
  installInstance,
  loadPackage,
  lockApplication,
  unlockApplication,
  type InstallInstanceRequest,
} from './content.ts';
export {
  isPersonalized,
  personalizationStatus,
  personalizePayment,
  preparePaymentCommands,
  readPpseEntries,
  removePpseEntry,
  writePpseEntry,
  type PaymentPersonalization,
  type PersonalizationStatus,
} from './personalize.ts';
export {
  ARA_C_MODULE_AID, ARA_LOAD_FILE_AID, araCAidFor, deleteAccessRule, deleteAraCRule, ensureAraC, readAccessRules, readAraClients, registerAraC, unregisterAraC, writeAccessRule,
  type AccessRule, type AccessRuleTarget, type AraCSessions,
} from './access-rules.ts';
