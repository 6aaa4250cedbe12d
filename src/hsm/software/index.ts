/**
 * hsm/software/: the software HSM — an AES-256 LMK in memory, every key a TR-31 version D block
 * under it in a KeyRecordStore (ARCHITECTURE.md §3). The LMK's bytes and the vault internals are
 * not exported.
 */
export { SoftwareHsm, type SoftwareHsmOptions } from './software-hsm.ts';
export { Lmk, LMK_LENGTH, generateLmk } from './lmk.ts';
export { createLmkFile, loadLmkFile, writeLmkFile } from './lmk-file.ts';
export { assembleLmk, type AssembleLmkOptions } from './lmk-components.ts';
export { MemoryKeyRecordStore } from '../shared/memory-key-record-store.ts';
export { DEFAULT_SCRYPT, type ScryptParams } from '../shared/passphrase-hash.ts';
export { MIN_PASSPHRASE_LENGTH } from '../shared/custodians.ts';
export type { KeyCacheOptions } from './key-cache.ts';
export type { KcvTrace } from './core.ts';
