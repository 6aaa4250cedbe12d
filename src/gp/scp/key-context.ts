/** What identifies a card's key set to a key holder (an HSM, or plain keys in tests and the card). */

/**
 * The card's key set as its INITIALIZE UPDATE response names it (GPC 2.3.1 Table E-8; GPC Amd D
 * v1.1.1 Table 7-2): a key holder that diversifies per card uses `kdd`; `keyVersion` is the KVN
 * the card used.
 */
export interface ScpKeyContext {
  /** Key diversification data: the first 10 bytes of the INITIALIZE UPDATE response. */
  readonly kdd: Uint8Array;
  /** The key version number of the key set the card used. */
  readonly keyVersion: number;
}
