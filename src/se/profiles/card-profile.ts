/**
 * Card profiles: how one card product behaves, as data (CONVENTIONS.md §10 — never a global quirk
 * switch). The strict profile follows GPC 2.3.1 and Amd D to the letter; the others carry the
 * documented deviations of real cards (gp.md §4.12, §8.1) so the TSM can be tested against them.
 */
import type { ScpConfig } from '../state/card-state.ts';

/** Where the card lives in the handset. */
export type SecureElementKind = 'uicc' | 'ese';

export interface CardProfile {
  readonly id: string;
  readonly description: string;
  readonly kind: SecureElementKind;
  /** Answer to reset (ISO/IEC 7816-3 §8). */
  readonly atr: Uint8Array;
  /** Logical channels supported, the basic channel included (ISO/IEC 7816-4 §5.4.2: up to 20). */
  readonly channels: number;
  /** The Issuer Security Domain's AID. */
  readonly isdAid: Uint8Array;
  /** Secure channel protocol of the ISD and, by default, of new SSDs. */
  readonly scp: ScpConfig;
  /** Non-volatile memory for load files and applications, in bytes. */
  readonly memoryQuota: number;
  /** Consecutive failed EXTERNAL AUTHENTICATE before the SD answers 6983 (card policy; GPC 2.3.1 §E.5.2 leaves it open). */
  readonly authFailureLimit: number;
  /** How a new SSD gets its first keys: PUT KEY through its parent SD after INSTALL [for personalization], or a copy of the ISD's. */
  readonly ssdInitialKeys: 'put-key-via-parent' | 'copy-isd-keys';
  /** Key sets one Security Domain may hold; PUT KEY adding another gets 6A84 (GPC 2.3.1 Table 11-78). Default {@link DEFAULT_MAX_KEY_SETS}. */
  readonly maxKeySets?: number | undefined;
  readonly quirks: CardQuirks;
}

/** Documented deviations from GPC 2.3.1 seen on real cards. All false/standard in the strict profile. */
export interface CardQuirks {
  /** GET STATUS answers only the legacy GP 2.1.1 format; the tag format (P2 b2 = 1) gets 6A86 (gp.md §4.4). */
  readonly legacyGetStatusOnly: boolean;
  /** Status word for SELECT of a locked application: 6A82 (strict, GPC 2.3.1 §11.9.2.3) or 6999 (many cards). */
  readonly lockedSelectSw: number;
  /** GET DATA 9F7F is not supported (6A88), as on some cards (gp.md §4.5). */
  readonly noCplc: boolean;
  /** Key Information Template reports AES keys as type 80 (gp.md §8.1 item 6, GPPro #66/#79). */
  readonly keyInfoReportsAesAsDes: boolean;
  /** PUT KEY with a wrong key check value: 6982 (GPC 2.3.1 Table 11-78, the default) or the deprecated 9485 of older cards (GPC 2.2). */
  readonly putKeyKcvMismatchSw?: number | undefined;
}

/** Key sets per Security Domain when the profile does not say (a common card limit). */
export const DEFAULT_MAX_KEY_SETS = 8;

/** The strict profile's quirks: none. */
export const NO_QUIRKS: CardQuirks = Object.freeze({
  legacyGetStatusOnly: false,
  lockedSelectSw: 0x6a82,
  noCplc: false,
  keyInfoReportsAesAsDes: false,
});
