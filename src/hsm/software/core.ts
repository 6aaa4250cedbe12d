/**
 * What every software-HSM operation works with: the key vault, the custodian registry, and the
 * optional KCV trace of intermediate keys.
 */
import type { CustodianRegistry } from './custodians.ts';
import type { KeyVault } from './key-vault.ts';

/**
 * Receives the KCV of each intermediate key an operation derives (ICC master key, session keys),
 * by step name, e.g. ('icc-mk-ac', '6C6B43'). For key-ceremony checks and tests: KCVs only, never a
 * key. Unset, no KCV is computed.
 */
export type KcvTrace = (step: string, kcv: string) => void;

export interface SoftwareCore {
  readonly vault: KeyVault;
  readonly custodians: CustodianRegistry;
  readonly trace: KcvTrace | undefined;
}
