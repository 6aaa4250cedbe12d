/**
 * The Data Grouping Identifiers of the OpenTSM payment application's personalization (EMV CPS v1.1
 * §4.3 and Annex A conventions; the full table with contents is docs/payment-application.md §4):
 * the host's data preparation and the applet both name DGIs through this table.
 */
export const PAYMENT_DGI = {
  /** SELECT response: the content of the FCI proprietary template A5. */
  FCI: 0x9102,
  /** GPO response data: 82 AIP ‖ 94 AFL. */
  GPO: 0x9104,
  /** Card internal data: DF01 profile id, DF02 flow, DF03 key derivation index, 8C CDOL1. */
  INTERNAL: 0x0d01,
  /** ICC master keys AC ‖ SMI ‖ SMC, encrypted under the SD's DEK. */
  ICC_KEYS: 0x8000,
  /** The KCVs of DGI 8000's keys, 3 × 3 bytes. */
  ICC_KEY_KCVS: 0x9000,
  /** Offline PIN, ISO 9564-1 format 2 block, encrypted. */
  PIN: 0x8010,
  /** PIN try counter ‖ PIN try limit. */
  PIN_COUNTERS: 0x9010,
  /** ICC private key CRT components, encrypted: q⁻¹ mod p, d mod (q−1), d mod (p−1), q, p. */
  ICC_PRIVATE_QINV: 0x8201,
  ICC_PRIVATE_DQ: 0x8202,
  ICC_PRIVATE_DP: 0x8203,
  ICC_PRIVATE_Q: 0x8204,
  ICC_PRIVATE_P: 0x8205,
} as const;

/** The record DGI of SFI `sfi` (1..30) record `record` (1..255): SFI ‖ record number (CPS v1.1 §4.3). */
export function recordDgi(sfi: number, record: number): number {
  return (sfi << 8) | record;
}

/** True when the DGI's value travels encrypted (CPS: the 8xxx range holds secrets). */
export function isEncryptedDgi(dgi: number): boolean {
  return (dgi & 0xf000) === 0x8000;
}

/** Card internal data tags (DGI 0D01; proprietary DF tags of OpenTSM's applet). */
export const PAYMENT_INTERNAL_TAG = {
  PROFILE: 0xdf01,
  FLOW: 0xdf02,
  KEY_DERIVATION_INDEX: 0xdf03,
  CDOL1: 0x8c,
} as const;

/** The transaction flows (docs/payment-application.md §2). */
export const PAYMENT_FLOW = { GPO: 0x01, GENERATE_AC: 0x02 } as const;

/** GET DATA tag of the personalization status (docs/payment-application.md §4.3). */
export const PERSO_STATUS_TAG = 0xdf70;

/**
 * The application-specific GP life cycle state (GPC 2.3.1 §5.3.1.5, `0xxxx111`) a payment instance
 * takes when its personalization completes (docs/payment-application.md §4.2): 0F, the value GP
 * gives a personalized Security Domain, as payment applets commonly use.
 */
export const PAYMENT_PERSONALIZED_STATE = 0x0f;
