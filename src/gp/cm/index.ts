/**
 * gp/cm: GlobalPlatform card content management (GPC 2.3.1 chapters 5, 6, 9, 11; Appendix C):
 * registry data tables, command builders for the TSM and strict parsers for the card, GET STATUS /
 * GET DATA response parsers, CAP → Load File Data Block, Delegated Management token input.
 * Card-side parsers refuse bad input with a `GpError` carrying the status word to answer.
 */
export { CM_SW } from './fail.ts';
export { AID_MIN_LENGTH, AID_MAX_LENGTH, GP_RID, GP_ISD_AID, isAid, assertAid, aidFromHex, aidToHex, aidRid } from './aid.ts';
export { encodeGpLength, readGpLength, GP_LENGTH_MAX } from './gp-length.ts';
export { INS, CLA_GP, CLA_ISO, MAX_SHORT_DATA, isGpCla, isIsoCla } from './header.ts';
export {
  CARD_LIFECYCLE,
  APPLICATION_LIFECYCLE,
  SECURITY_DOMAIN_LIFECYCLE,
  LOAD_FILE_LIFECYCLE,
  CARD_TRANSITIONS,
  SECURITY_DOMAIN_TRANSITIONS,
  LOCKED_BIT,
  describeLifecycle,
  isApplicationSpecificState,
  cardTransitionAllowed,
  applicationTransitionAllowed,
  type CardLifecycleName,
  type ApplicationLifecycleName,
  type SecurityDomainLifecycleName,
  type LifecycleKind,
  type LifecycleInfo,
} from './lifecycle.ts';
export { PRIVILEGES, PRIVILEGE_NAMES, encodePrivileges, decodePrivileges, hasPrivilege, type PrivilegeName } from './privileges.ts';
export { encodeImplicitSelection, decodeImplicitSelection, type ImplicitSelection } from './implicit-selection.ts';
export { KEY_TYPES, KEY_USAGE, KEY_ACCESS, KVN_RANGES, CLEAR_KEY_COMPONENTS, keyTypeName, type KeyTypeName } from './key-types.ts';
export { splitGpChain, GpChainAssembler, P1_MORE_COMMANDS } from './chain.ts';
export { MAX_BLOCKS, maxPlainBlockSize, splitBlocks, BlockAssembler } from './blocks.ts';
export { encodeTagList, decodeTagList } from './tag-list.ts';
export { GP_OID, decodeOid, encodeOid } from './oid.ts';
export { buildSelect, parseSelectCommand, SELECT_BY_NAME, SELECT_OCCURRENCE, type SelectCommand } from './select.ts';
export { parseFci, encodeFci, type Fci, type FciFields } from './fci.ts';
export {
  parseCardData,
  parseCardRecognitionData,
  encodeCardData,
  encodeCardRecognitionData,
  type CardRecognitionData,
  type CardDataFields,
  type ScpOption,
} from './card-data.ts';
export {
  GET_STATUS_SCOPE,
  GET_STATUS_P2,
  buildGetStatus,
  parseGetStatusCommand,
  type GetStatusScope,
  type GetStatusFormat,
  type GetStatusQuery,
  type GetStatusCommand,
} from './get-status.ts';
export {
  parseGetStatusResponse,
  encodeRegistryEntries,
  encodeLegacyRegistryEntries,
  type RegistryEntry,
  type RegistryEntryFields,
} from './registry.ts';
export { getStatusAll, paginateRegistry, type CommandSender } from './get-status-pages.ts';
export { GET_DATA_TAGS, buildGetData, parseGetDataCommand, getDataValue, parseSequenceCounter, type GetDataCommand } from './get-data.ts';
export { CPLC_FIELDS, CPLC_LENGTH, parseCplc, decodeCplcDate, encodeCplcDate, type Cplc, type CplcFieldName, type CplcDate } from './cplc.ts';
export { parseKeyInformationTemplate, encodeKeyInformationTemplate, type KeyInfo, type KeyComponentInfo } from './key-info.ts';
export { RESTRICT, encodeInstallParameters, parseInstallParameters, type InstallParameters, type SystemParameters } from './install-params.ts';
export { INSTALL_P1, INSTALL_P2, buildInstall, installP1P2, installDataWithoutToken, installTokenData, type InstallRequest } from './install.ts';
export { parseInstallCommand } from './install-parse.ts';
export {
  LOAD_LAST_BLOCK,
  buildLoadFile,
  buildLoadCommands,
  parseLoadCommand,
  parseLoadFile,
  type LoadFile,
  type DapBlock,
  type LoadCommand,
} from './load.ts';
export { DELETE_RELATED, buildDelete, deleteTokenData, parseDeleteCommand, type DeleteRequest } from './delete.ts';
export {
  PUT_KEY_MULTIPLE,
  KEY_BLOCK_LAYOUT,
  buildPutKey,
  buildPutKeyWith,
  wrappedKeyEntry,
  isClearComponent,
  type PutKeyRequest,
  type PutKeyEntry,
  type KeyComponent,
  type WrappedKey,
  type KeyWrapper,
} from './put-key.ts';
export {
  parsePutKeyCommand,
  encodePutKeyResponse,
  parsePutKeyResponse,
  checkPutKeyResponse,
  type PutKeyCommand,
  type PutKeyResponse,
} from './put-key-parse.ts';
export {
  STORE_DATA_LAST,
  STORE_DATA_ENCRYPTION,
  STORE_DATA_FORMAT,
  STORE_DATA_CASE4,
  splitStoreData,
  buildStoreData,
  parseStoreDataCommand,
  type StoreDataOptions,
  type StoreDataCommand,
  type StoreDataEncryption,
  type StoreDataFormat,
} from './store-data.ts';
export {
  SET_STATUS_SCOPE,
  SET_STATUS_LOCK,
  SET_STATUS_UNLOCK,
  buildSetStatus,
  parseSetStatusCommand,
  type SetStatusRequest,
  type SetStatusCommand,
  type SetStatusScope,
} from './set-status.ts';
export { dmTokenData } from './token.ts';
export { CAP_LOAD_ORDER, CAP_EXCLUDED, MAX_COMPONENT_LENGTH, parseCapHeader, parseCapApplets, type CapHeader, type CapComponentName } from './cap-components.ts';
export { CAP_MAX_SIZE, parseCapFile, lfdbHash, type CapFile, type LfdbHashAlgorithm } from './cap.ts';
