/**
 * crypto/: pure symmetric primitives over node:crypto, key bytes in (ARCHITECTURE.md §2). Every
 * parameter is explicit: padding, IV, MAC length (CONVENTIONS.md §9).
 */
export { CryptoError, CRYPTO_ERROR_CODES, type CryptoErrorCode } from './errors.ts';
export {
  tdesEcbEncrypt,
  tdesEcbDecrypt,
  tdesCbcEncrypt,
  tdesCbcDecrypt,
  desEcbEncrypt,
  desEcbDecrypt,
  desCbcEncrypt,
  TdesEcbEncryptor,
} from './des.ts';
export {
  aesEcbEncrypt,
  aesEcbDecrypt,
  aesCbcEncrypt,
  aesCbcDecrypt,
  aesCbcEncryptWithEncryptedIv,
  aesCbcDecryptWithEncryptedIv,
} from './aes.ts';
export { pad, padMethod1, padMethod2, padMethod3, unpadMethod2, type PaddingMethod } from './padding.ts';
export { cbcMacDes, retailMac, RetailMac, type MacOptions } from './iso9797-mac.ts';
export { AesCmac, aesCmac, tdesCmac } from './cmac.ts';
export { kdfCounterCmac, scp03Kdf, type CounterKdfInput } from './kdf.ts';
export {
  isHeldKey,
  assertKeyOrHeld,
  tdesEcbEncryptWith,
  tdesCbcEncryptWith,
  aesEcbEncryptWith,
  aesEcbDecryptWith,
  aesCmacWith,
  tdesCmacWith,
  type HeldKey,
  type HeldKeyCipherMode,
} from './held-key.ts';
export { kcv, KCV_METHODS, type KcvMethod } from './kcv.ts';
export { randomBytes } from './random.ts';
export * from './tr31/index.ts';
