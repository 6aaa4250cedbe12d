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
