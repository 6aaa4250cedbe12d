/**
 * What every PKCS#11-backend operation works with: the logged-in token session, the key objects on
 * it, the custodian registry (records in a KeyRecordStore, as for the software backend), and the
 * optional KCV trace of intermediate keys.
 */
import type { CustodianRegistry } from '../shared/custodians.ts';
import type { KcvTrace } from '../shared/key-check.ts';
import type { TokenKeys } from './key-objects.ts';
import type { Token } from './token.ts';

export interface Pkcs11Core {
  readonly token: Token;
  readonly keys: TokenKeys;
  readonly custodians: CustodianRegistry;
  readonly trace: KcvTrace | undefined;
  /** Exportable keys carry CKA_WRAP_WITH_TRUSTED (options.ts). */
  readonly wrapWithTrusted: boolean;
}
