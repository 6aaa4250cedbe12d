/**
 * crypto/tr31/: TR-31 / ANSI X9.143 key blocks as pure functions, key bytes in (ARCHITECTURE.md §2,
 * §3). Import versions A, B, C, D; export versions B and D. A and C are legacy, import only.
 */
export {
  KEY_USAGES,
  KEY_ALGORITHMS,
  MODES_OF_USE,
  EXPORTABILITY,
  KEY_CONTEXTS,
  type KeyUsage,
  type KeyAlgorithm,
  type ModeOfUse,
  type Exportability,
  type KeyContext,
} from './codes.ts';
export { KEY_BLOCK_VERSIONS, KEY_LENGTHS, type KeyBlockVersion, type KeyBlockVersionParams } from './versions.ts';
export type { OptionalBlock } from './optional-blocks.ts';
export {
  keyBlockHeader,
  parseKeyBlockHeader,
  encodeKeyBlockHeader,
  MAX_KEY_BLOCK_LENGTH,
  type KeyBlockHeader,
  type KeyBlockHeaderInput,
} from './header.ts';
export { deriveKeyBlockKeys, type BindingKeys } from './binding.ts';
export { UnwrappedKey } from './unwrapped-key.ts';
export { unwrapKeyBlock } from './unwrap.ts';
export { wrapKeyBlock, type WrapKeyBlockOptions } from './wrap.ts';
