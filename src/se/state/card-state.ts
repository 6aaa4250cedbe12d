/**
 * The persistent state of a virtual Secure Element: everything a real card keeps in non-volatile
 * memory (GPC 2.3.1 §6.5 GlobalPlatform Registry and card-wide data, §7.5 Security Domain keys).
 * Values are immutable: a command builds a new state from the old one, and the card commits it
 * only when the command completes (see CardModel), so a refused command changes nothing.
 *
 * Volatile state (selected applications, secure-channel sessions, a LOAD in progress) lives in the
 * runtime objects, never here: a power cut forgets it, as on a real card.
 */
import type { ImplicitSelection } from '../../gp/index.ts';

/** One key of a key set (GPC 2.3.1 §7.5.1; key types of Table 11-16). */
export interface KeyState {
  /** Key identifier within the key set. */
  readonly id: number;
  /** Key type: 80 DES, 88 AES, 85 TLS PSK, A0/A1 RSA public, … (GPC 2.3.1 Table 11-16). */
  readonly type: number;
  /** The key value (the card's own memory; keys never leave the card). */
  readonly value: Uint8Array;
  /** Key usage qualifier and access condition from an extended-format PUT KEY, when given. */
  readonly usage?: Uint8Array | undefined;
  readonly access?: number | undefined;
  /**
   * Every component of a key made of several (RSA, ECC: GPC 2.3.1 Tables 11-72..11-77), in the order
   * received; `type` and `value` are then the first one. Undefined for a one-component key.
   */
  readonly components?: readonly { readonly type: number; readonly value: Uint8Array }[] | undefined;
}

/** A key set: keys sharing a key version number (KVN). */
export interface KeySetState {
  readonly kvn: number;
  readonly keys: readonly KeyState[];
  /**
   * Sequence counter of the secure channel for this key set: SCP02 (2 bytes, GPC 2.3.1 §E.4.1) or
   * SCP03 pseudo-random challenge counter (3 bytes, GPC Amd D v1.1.1 §6.2.2.1). Reset when the key
   * set is replaced.
   */
  readonly counter: number;
}

/** The secure channel protocol a Security Domain offers (GPC 2.3.1 Table H-? / Card Recognition Data). */
export interface ScpConfig {
  readonly protocol: 2 | 3;
  /** The "i" parameter (SCP02: GPC 2.3.1 Table E-1; SCP03: Amd D Table 5-1). */
  readonly i: number;
}

/** What a Security Domain holds besides being an application (GPC 2.3.1 §7). */
export interface SecurityDomainState {
  readonly scp: ScpConfig;
  readonly keySets: readonly KeySetState[];
  /** Consecutive failed EXTERNAL AUTHENTICATE; at the profile's limit the SD answers 6983. */
  readonly authFailures: number;
  /** Key diversification data returned in INITIALIZE UPDATE (10 bytes). */
  readonly kdd: Uint8Array;
  /** SIN / IIN (tag 42) and image number / CIN (tag 45), set by STORE DATA (GPC 2.3.1 §7.4). */
  readonly iin?: Uint8Array | undefined;
  readonly cin?: Uint8Array | undefined;
  /** Card Data / SD Management Data (tag 66, whole object) stored by STORE DATA (GPC 2.3.1 §11.11.2.3); GET DATA 66 answers it. */
  readonly cardData?: Uint8Array | undefined;
}

/** An Executable Module of a load file: its AID and the TypeScript applet it binds to, if any. */
export interface ModuleState {
  readonly aid: Uint8Array;
}

/** An Executable Load File (GPC 2.3.1 §5.2, §6.5.1). */
export interface LoadFileState {
  readonly aid: Uint8Array;
  /** Associated Security Domain. */
  readonly sdAid: Uint8Array;
  readonly modules: readonly ModuleState[];
  /** Load file version (CE), e.g. the CAP package major.minor. */
  readonly version?: Uint8Array | undefined;
  /** The Load File Data Block as received (kept, never executed), or undefined for preloaded files. */
  readonly lfdb?: Uint8Array | undefined;
  /** Non-volatile bytes the load file takes (counted against the memory quota). */
  readonly size: number;
}

/** An application or Security Domain instance in the GlobalPlatform Registry (GPC 2.3.1 §6.5.1). */
export interface ApplicationState {
  readonly aid: Uint8Array;
  readonly loadFileAid: Uint8Array;
  readonly moduleAid: Uint8Array;
  /** Life cycle (Table 11-4 for applications, 11-5 for SDs; the ISD uses the card's). */
  readonly lifecycle: number;
  /** 3-byte privileges (Tables 11-7..11-9). */
  readonly privileges: Uint8Array;
  /** Associated Security Domain (the ISD is associated with itself). */
  readonly sdAid: Uint8Array;
  readonly implicitSelection: readonly ImplicitSelection[];
  /** Application-specific install parameters (the value of C9). */
  readonly installParameters: Uint8Array;
  /** Present when the application is a Security Domain. */
  readonly sd?: SecurityDomainState | undefined;
  /** The applet's own persistent data (JSON-compatible values and Uint8Arrays). */
  readonly data?: unknown;
}

/**
 * One SCP80 key set (ETSI TS 102 225 §5.1; ota.md §1.1): KIc and KID share the key version number
 * 01–0F that the high nibble of the KIc/KID bytes names, and a 5-byte counter CNTR.
 */
export interface Scp80KeySetState {
  readonly kvn: number;
  /** KIc/KID algorithm: 3DES two-key outer CBC (`x5`), three-key (`x9`), or AES (`x2`, CBC / CMAC). */
  readonly algorithm: 'tdes-2key' | 'tdes-3key' | 'aes';
  readonly kic: Uint8Array;
  readonly kid: Uint8Array;
  /** CNTR, 0 at issuance; at most 2^40 − 1. The OTA receiver stores each accepted CNTR here before it executes anything. */
  readonly counter: number;
  /**
   * The Security Domain this key set belongs to (its OTA keys, reached through the SD's TARs);
   * absent: the ISD's. A packet for a TAR of one SD never uses another SD's key set.
   */
  readonly sdAid?: Uint8Array | undefined;
}

/** The SCP81 TLS pre-shared key (GPC Amendment B; key type 85, KVN 40–4F). */
export interface Scp81PskState {
  readonly kvn: number;
  /** PSK identity as sent in the TLS handshake (bytes; typically ASCII). */
  readonly identity: Uint8Array;
  readonly key: Uint8Array;
}

/** Which Security Domain a Toolkit Application Reference addresses (RAM, ETSI TS 101 220 Annex D). */
export interface OtaTarState {
  readonly tar: Uint8Array;
  readonly sdAid: Uint8Array;
  /**
   * Minimum Security Level for packets to this TAR (ETSI TS 102 226 MSL [M]), coded as SPI byte 1
   * (b2b1 RC/CC/DS, b3 ciphering, b5b4 counter mode): a packet below it gets PoR 0A. Absent: none.
   */
  readonly msl?: number | undefined;
}

/** What a UICC needs for remote management over the air: identity, SCP80 key sets, TARs, SCP81 PSK. */
export interface OtaState {
  /** EF ICCID content (10 bytes, BCD with swapped nibbles, ITU-T E.118): OTA platforms address the card by it. */
  readonly iccid?: Uint8Array | undefined;
  readonly scp80: readonly Scp80KeySetState[];
  readonly tars: readonly OtaTarState[];
  readonly scp81?: Scp81PskState | undefined;
}

/** The whole card. `format` versions the file layout. */
export interface CardState {
  readonly format: 'opentsm-se/1';
  /** Card profile id (data, not flags: see profiles/). */
  readonly profile: string;
  /** Card life cycle (Table 11-6), inherited by the ISD. */
  readonly lifecycle: number;
  readonly isdAid: Uint8Array;
  /** Card Production Life Cycle data (GET DATA 9F7F), 42 bytes. */
  readonly cplc: Uint8Array;
  readonly loadFiles: readonly LoadFileState[];
  /** Registry order: the ISD first, then installation order. */
  readonly applications: readonly ApplicationState[];
  /** Non-volatile memory available to load files and applications, in bytes. */
  readonly memoryQuota: number;
  /** Over-the-air identity and keys (UICCs from the card factory); absent on cards without OTA. */
  readonly ota?: OtaState | undefined;
}
