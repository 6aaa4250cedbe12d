/**
 * The rules of a TR-31 export that both backends share (X9.143:2021 §6.2 header; table 6
 * exportability): which keys may leave by `exportKeyBlock` or at birth by `generateKeyForExport`,
 * and the header their block carries — version B under a TDES KBPK, D under an AES one, the key's
 * usage, algorithm, mode of use, version and exportability, no optional blocks (labels and owners
 * stay inside).
 */
import { CryptoError, wrapKeyBlock, type HeldKey, type KeyBlockHeaderInput, type KeyBlockVersion } from '../../crypto/index.ts';
import { HsmError } from '../errors.ts';
import type { KeyAttributes } from '../key-attributes.ts';

/** The exchange header of a block carrying a key of `attributes` under a KBPK of `kbpkAlgorithm`. */
export function exportHeader(kbpkAlgorithm: string, a: KeyAttributes): KeyBlockHeaderInput {
  const version: KeyBlockVersion = kbpkAlgorithm === 'A' ? 'D' : 'B';
  return { version, usage: a.usage, algorithm: a.algorithm, modeOfUse: a.modeOfUse, keyVersion: String(a.version).padStart(2, '0'), exportability: a.exportability };
}

/**
 * Refuses `exportKeyBlock` of a stored key: exportability N (X9.143 table 6), and class
 * `transient` (its one way out is `generateKeyForExport`, at birth).
 */
export function assertExportable(id: string, kcv: string, a: KeyAttributes): void {
  if (a.exportability === 'N') throw new HsmError('ERR_HSM_NOT_EXPORTABLE', `key ${id} (KCV ${kcv}) is not exportable`);
  if (a.class === 'transient') throw new HsmError('ERR_HSM_NOT_EXPORTABLE', `key ${id} (KCV ${kcv}) is transient: it leaves only at birth (generateKeyForExport)`);
}

/** Refuses a `generateKeyForExport` spec whose exportability is not E or S. */
export function assertExportableSpec(a: KeyAttributes): void {
  if (a.exportability !== 'E' && a.exportability !== 'S') {
    throw new HsmError('ERR_HSM_NOT_EXPORTABLE', `a key generated for export must have exportability E or S, not ${a.exportability}`);
  }
}

/** `wrapKeyBlock` with crypto/'s errors turned into ERR_HSM_KEY_BLOCK. */
export function wrapForExport(kbpk: Uint8Array | HeldKey, clear: Uint8Array, header: KeyBlockHeaderInput): string {
  try {
    return wrapKeyBlock(kbpk, clear, { header });
  } catch (e) {
    if (e instanceof CryptoError) throw new HsmError('ERR_HSM_KEY_BLOCK', e.message, { cause: e });
    throw e;
  }
}
