/**
 * What the software HSM persists: key records whose secret is a TR-31 version D key block under
 * the LMK — never a clear key — plus custodian records. `store/` implements this interface
 * structurally (it does not import `hsm/`); `tsm/` and `cli/` wire the two together.
 */
import type { KeyAttributes } from './key-attributes.ts';

export interface KeyRecord {
  readonly id: string;
  readonly attributes: KeyAttributes;
  readonly kcv: string;
  readonly status: 'active' | 'retired' | 'destroyed';
  /** TR-31 key block (version D) under the LMK; empty once destroyed. Asymmetric keys: the private key, wrapped. */
  readonly keyBlock: string;
  /** KCV of the LMK the block is wrapped under (LMK rotation re-wraps every record). */
  readonly lmkKcv: string;
  /** Public key (SPKI DER, hex) of an asymmetric key pair. */
  readonly publicKey?: string | undefined;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface CustodianRecord {
  readonly name: string;
  /** scrypt hash of the passphrase: `scrypt$N$r$p$salt$hash` (hex). */
  readonly passphraseHash: string;
  readonly createdAt: string;
}

/** Persistence the software HSM needs. Implementations must make `putKey` atomic per record. */
export interface KeyRecordStore {
  getKey(id: string): Promise<KeyRecord | undefined>;
  putKey(record: KeyRecord): Promise<void>;
  listKeys(filter: { readonly owner?: string; readonly usage?: string; readonly label?: string; readonly status?: KeyRecord['status'] }): Promise<readonly KeyRecord[]>;
  /** Every record wrapped under an LMK other than `lmkKcv` (for re-wrapping after LMK rotation). */
  listKeysNotUnder(lmkKcv: string, limit: number): Promise<readonly KeyRecord[]>;
  getCustodian(name: string): Promise<CustodianRecord | undefined>;
  putCustodian(record: CustodianRecord): Promise<void>;
  listCustodians(): Promise<readonly CustodianRecord[]>;
}
