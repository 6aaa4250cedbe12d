/**
 * What every software-HSM operation works with: the key vault, the custodian registry, and the
 * optional KCV trace of intermediate keys.
 */
import type { CustodianRegistry } from '../shared/custodians.ts';
import type { KcvTrace } from '../shared/key-check.ts';
import type { KeyVault } from './key-vault.ts';

export type { KcvTrace };

export interface SoftwareCore {
  readonly vault: KeyVault;
  readonly custodians: CustodianRegistry;
  readonly trace: KcvTrace | undefined;
}
