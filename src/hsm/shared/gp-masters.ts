/**
 * What both backends check before diversifying GlobalPlatform batch masters (gp/ diversification:
 * EMV CPG 2.04 and VISA2 take double-length TDES masters, KDF3 AES ones) and how the GP key roles
 * map to gp/'s key types (GPC 2.3.1 §11.8.2.3: key type numbers 1 ENC, 2 MAC, 3 DEK).
 */
import { DIVERSIFICATION_METHODS, type DiversificationMethod, type KeyType } from '../../gp/index.ts';
import { HsmError } from '../errors.ts';
import type { GpKeyRole, KeyAttributes } from '../key-attributes.ts';

export const ROLE_TYPES: readonly [GpKeyRole, KeyType][] = [['GP-ENC', 'ENC'], ['GP-MAC', 'MAC'], ['GP-DEK', 'DEK']];
export const KEY_TYPE_BY_NUMBER: Readonly<Record<number, KeyType>> = { 1: 'ENC', 2: 'MAC', 3: 'DEK' };

/** The master algorithm a diversification method takes (T for EMV/VISA2, A for KDF3). */
function methodAlgorithm(method: DiversificationMethod): 'T' | 'A' {
  if (typeof method !== 'string' || !Object.hasOwn(DIVERSIFICATION_METHODS, method)) throw new HsmError('ERR_HSM_PARAM', 'diversification method: emv, visa2 or kdf3');
  return DIVERSIFICATION_METHODS[method].algorithm === 'aes' ? 'A' : 'T';
}

/** Refuses a master whose algorithm or length `method` does not diversify (ERR_HSM_USAGE). */
export function checkMaster(master: { readonly id: string; readonly kcv: string; readonly attributes: KeyAttributes }, method: DiversificationMethod): void {
  const want = methodAlgorithm(method);
  const a = master.attributes;
  if (a.algorithm !== want || (want === 'T' && a.length !== 16)) {
    throw new HsmError('ERR_HSM_USAGE', `key ${master.id} (KCV ${master.kcv}): ${method} diversifies ${want === 'T' ? 'double-length TDES' : 'AES'} masters`);
  }
}
