/**
 * se/: the virtual Secure Element — a card OS with logical channels, a GlobalPlatform card manager,
 * TypeScript applets, persistence and a PC/SC bridge. It never imports hsm/, store/ or tsm/: a card
 * keeps its own keys and meets the TSM only through APDUs (ARCHITECTURE.md §2).
 */
export { CardException, cardCheck } from './runtime/card-exception.ts';
export { decodeCla, withChannel, type ClassByte } from './runtime/cla.ts';
export type { Applet, AppletContext, AppletDirectory, CardTransactions, PersonalizationContext, SelectableEntry } from './runtime/applet.ts';
export type { CardPort } from './runtime/card-port.ts';
export { CardOs, type CardOsOptions, type CardOsStats } from './runtime/card-os.ts';
export { SeError, SE_ERROR_CODES, type SeErrorCode } from './errors.ts';
export type { CardState, ApplicationState, LoadFileState, SecurityDomainState, KeySetState, KeyState, ScpConfig } from './state/card-state.ts';
export type { OtaState, Scp80KeySetState, Scp81PskState, OtaTarState } from './state/card-state.ts';
export { encodeCardState, decodeCardState } from './state/codec.ts';
export { MemoryCardStore, FileCardStore, type CardStore, type CardFs } from './state/store.ts';
export { CardModel } from './state/card-model.ts';
export { newCardState, scpKeySet, SD_LOAD_FILE_AID, SD_MODULE_AID, type NewCardInput, type KeySetInput } from './state/new-card.ts';
export type { CardProfile, CardQuirks, SecureElementKind } from './profiles/card-profile.ts';
export { NO_QUIRKS } from './profiles/card-profile.ts';
export { PROFILES, STRICT_ESE, STRICT_UICC, LEGACY_UICC } from './profiles/catalog.ts';
export { AppletLibrary, type AppletImplementation, type AppletFactory } from './gp/applet-library.ts';
export { CardManager } from './gp/card-manager.ts';
export { VirtualSecureElement, type VirtualSecureElementOptions } from './virtual-se.ts';
export { OtaReceiver, securityDomainRunner, continuesScript, resolveTar, meetsMsl, findKeySet, OTA_CHANNEL, type OtaReceipt, type OtaReceiverOptions, type OtaScriptRunner } from './ota/index.ts';
export { SmsPpDownload, isClass2, type SmsReceipt } from './ota/index.ts';
export { ADMIN_CHANNEL, type AdminDefaults, type AdminSessionRequest, type CardAdminSessionOptions } from './ota/index.ts';
export { AraMApplet, ARA_M_AID } from './applets/ara-m/ara-m-applet.ts';
export { ARA_M_LOAD_FILE_AID, ARA_M_MODULE_AID, ARA_C_MODULE_AID, araMLoadFile, araMInstance } from './applets/ara-m/ara-m-package.ts';
export { AraCApplet } from './applets/ara-m/ara-c-applet.ts';
export { ARA_TAG, type StoredRule } from './applets/ara-m/data-objects.ts';
export { ARA_COMMAND } from './applets/ara-m/store-commands.ts';
export { ARA_LIMITS, type AraState } from './applets/ara-m/ara-state.ts';
export { UiccFileSystem, UICC_FS_ID } from './applets/uicc/uicc-file-system.ts';
export { PaymentApplet } from './applets/payment/payment-applet.ts';
export {
  PAYMENT_LOAD_FILE_AID,
  PAYMENT_MODULE_AID,
  PPSE_MODULE_AID,
  PPSE_AID,
  VISA_STYLE_AID,
  MASTERCARD_STYLE_AID,
  paymentLoadFile,
  ppseInstance,
  withPaymentPackage,
} from './applets/payment/payment-package.ts';
export { type PaymentState, type StoredDgi, type LastCryptogram } from './applets/payment/payment-state.ts';
export { CID, cardCvr, cardIad, acSessionKey as cardAcSessionKey, cryptogramInput, cardCryptogram, checkArpc, checkScriptMac, smSessionKey as cardSmSessionKey, decipherScriptData as cardDecipherScriptData, type CardTransaction } from './applets/payment/profile-crypto.ts';
export { newPinBlock as cardNewPinBlock } from './applets/payment/pin-commands.ts';
export { PpseApplet } from './applets/ppse/ppse-applet.ts';
export { PPSE_ENTRIES_DGI, PPSE_MAX_ENTRIES, type PpseState, type PpseEntry } from './applets/ppse/ppse-entries.ts';
export { DEFAULT_APPLET_LIBRARY } from './applets/default-library.ts';
export { manufactureBatch, cardFileName, type ManufactureBatchOptions, type ManufacturedBatch, type ManufacturedCard, type OtaKeyOptions } from './factory/batch.ts';
export { KEY_FILE_FORMAT, KEY_BLOCK_USAGES, encodeKeyFile, type KeyFile, type KeyFileCard, type CheckValue } from './factory/key-file.ts';
export { exportKey, pskCheckValue, kcvMethodOf, keyBlockVersion, type TransportKek, type ExportedKey, type KeyRole } from './factory/key-blocks.ts';
export { encodeIccid, luhnDigit, buildCplc, kddFromCplc } from './factory/identifiers.ts';
export { VpcdBridge, VPCD_DEFAULT_PORT, type VpcdBridgeOptions, type VpcdBridgeStats } from './pcsc/vpcd-bridge.ts';
export { formatVpcdEvent, logVpcdEvent, type VpcdBridgeEvent, type VpcdFault } from './pcsc/vpcd-events.ts';
