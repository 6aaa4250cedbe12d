/**
 * emv/: EMV issuer and card cryptography as pure functions over key bytes (ARCHITECTURE.md §2):
 * ICC master key and session key derivation (EMV Book 2 Annex A1.3/A1.4), application cryptograms
 * and ARPCs (§8), issuer script secure messaging (§9), ISO 9564-1 PIN blocks, and CVN profiles as
 * data. An HSM calls these inside its boundary; the card applet calls them with its own keys.
 */
export { EmvError, EMV_ERROR_CODES, type EmvErrorCode } from './errors.ts';
export { deriveIccMasterKeyOptionA, deriveIccMasterKeyOptionB, UDK_PAN_DIGITS } from './icc-master-key.ts';
export {
  deriveCommonSessionKey,
  deriveCommonSessionKeyAes,
  atcDiversifier,
  arqcDiversifier,
  mastercardDiversifier,
} from './session-key-common.ts';
export { deriveVisaSmSessionKey } from './session-key-visa.ts';
export { deriveEmv2000TreeSessionKey, type Emv2000TreeOptions } from './session-key-emv2000.ts';
export { withOddParity } from './key-parity.ts';
export { generateAc, verifyAc, AC_LENGTH, type AcAlgorithm } from './cryptogram.ts';
export {
  generateArpcMethod1,
  verifyArpcMethod1,
  generateArpcMethod2,
  verifyArpcMethod2,
  ARPC_METHOD_2_LENGTH,
} from './arpc.ts';
export {
  scriptMacInput,
  generateScriptMac,
  verifyScriptMac,
  buildScriptCommand,
  type ScriptMacInput,
  type ScriptTransactionData,
} from './script-mac.ts';
export { encryptScriptData, decryptScriptData, SCRIPT_ENCIPHERMENTS, type ScriptEncipherment } from './script-encryption.ts';
export { encodeVisPinBlock } from './pin-change.ts';
export { PIN_DIGITS } from './pin.ts';
export {
  encodePinBlock,
  decodePinBlock,
  panField,
  PIN_BLOCK_FORMATS,
  PIN_BLOCK_PAN_DIGITS,
  type PinBlockFormat,
  type PinBlockOptions,
  type PinBlockDecodeOptions,
} from './pin-block.ts';
export {
  encodePinFieldIso4,
  decodePinFieldIso4,
  encodePanFieldIso4,
  decodePanFieldIso4,
  encipherPinBlockIso4,
  decipherPinBlockIso4,
  ISO4_PAN_DIGITS,
} from './pin-block-iso4.ts';
export { csprng, type RandomSource } from './random.ts';
export { CVN_PROFILES, type CvnProfile, type CvnProfileId, type AcDataElement } from './cvn-profiles.ts';
export { assembleAcData } from './ac-data.ts';
export { parseDol, buildDolData, splitDolData, dolDataLength, type DolEntry } from './dol.ts';
export { buildIad, iadElements, iadKeyDerivationIndex, initialCvr, type IadFields } from './iad.ts';
export { PAYMENT_DGI, PAYMENT_INTERNAL_TAG, PAYMENT_FLOW, PERSO_STATUS_TAG, PAYMENT_PERSONALIZED_STATE, recordDgi, isEncryptedDgi } from './cps-dgis.ts';
export type { AuthorizationRequest, AuthorizationResponse, Authorizer, DeclineReason } from './authorization.ts';
