/**
 * The operator's key file of a card batch (JSON, versioned `opentsm-keyfile/1`): identifiers of
 * every card in the clear, secrets only as TR-31 key blocks under the transport KEK (key-blocks.ts),
 * and check values so the import can be verified. Keys the operator can re-derive (per-card ISD keys
 * from the batch masters and the KDD) appear as check values only.
 */
import type { DiversificationMethod } from '../../gp/index.ts';
import type { KcvMethod } from '../../crypto/index.ts';
import type { ExportedKey } from './key-blocks.ts';

export const KEY_FILE_FORMAT = 'opentsm-keyfile/1';

/** A check value without its key. */
export interface CheckValue {
  readonly kcv: string;
  readonly kcvMethod: KcvMethod;
}

/** One card's entry: identifiers, KCVs of its diversified ISD keys, wrapped OTA keys. */
export interface KeyFileCard {
  /** The card state file written for this card (relative to the key file). */
  readonly stateFile: string;
  readonly iccid?: string;
  /** Card profile, ISD and secure channel (repeated per card so each entry stands alone in an SE registry). */
  readonly profile: string;
  readonly isdAid: string;
  readonly scp: string;
  readonly i: string;
  readonly isdKvn: string;
  readonly diversification: DiversificationMethod;
  /** GP IIN (tag 42) and CIN (tag 45), hex. */
  readonly iin?: string;
  readonly cin: string;
  /** Key diversification data (INITIALIZE UPDATE bytes 0–9), hex. */
  readonly kdd: string;
  readonly icSerial: string;
  readonly cplc: string;
  readonly isdKeys: { readonly enc: CheckValue; readonly mac: CheckValue; readonly dek: CheckValue };
  /** TARs (hex) and the SD AID each addresses. */
  readonly tars: readonly { readonly tar: string; readonly sdAid: string }[];
  readonly araM: boolean;
  readonly scp80: readonly {
    readonly kvn: string;
    readonly algorithm: 'tdes-2key' | 'tdes-3key' | 'aes';
    /** The KIc / KID bytes of a command packet for this key set (ota.md §1.1): KVN nibble ‖ algorithm. */
    readonly kicByte: string;
    readonly kidByte: string;
    readonly counter: number;
    readonly kic: ExportedKey;
    readonly kid: ExportedKey;
  }[];
  readonly scp81?: { readonly kvn: string; readonly identity: string; readonly psk: ExportedKey };
}

/** The whole key file. */
export interface KeyFile {
  readonly format: typeof KEY_FILE_FORMAT;
  readonly created: string;
  readonly profile: { readonly id: string; readonly kind: 'uicc' | 'ese' };
  readonly batch: { readonly id: string; readonly count: number };
  /** The transport KEK: its algorithm and KCV (the key itself is never here). */
  readonly transportKek: { readonly algorithm: 'aes' | 'tdes'; readonly length: number; readonly kcv: string; readonly kcvMethod: KcvMethod };
  /** TR-31 version of every block and the usage mapping (documentation for the importer). */
  readonly keyBlocks: { readonly version: 'B' | 'D'; readonly usages: Readonly<Record<string, string>> };
  readonly isd: {
    readonly aid: string;
    readonly scp: string;
    readonly i: string;
    readonly kvn: string;
    readonly diversification: DiversificationMethod;
    readonly masterKeys: { readonly enc: ExportedKey; readonly mac: ExportedKey; readonly dek: ExportedKey };
  };
  readonly cards: readonly KeyFileCard[];
}

/** The usage table printed into every key file (see key-blocks.ts). */
export const KEY_BLOCK_USAGES: Readonly<Record<string, string>> = Object.freeze({
  'GP-ISD-MK-ENC/MAC/DEK': 'B3 key derivation (non-X9.24), mode X, not exportable, key version = ISD KVN',
  'SCP80-KIC': 'D0 data encryption, mode B, not exportable, key version = OTA KVN',
  'SCP80-KID': 'M1 CBC-MAC (3DES) or M6 CMAC (AES), mode C, not exportable, key version = OTA KVN',
  'SCP81-PSK': 'M7 HMAC (HM 21, SHA-256), mode C, exportable under a trusted key, key version = PSK KVN',
});

/** The key file as text (two-space JSON, trailing newline). */
export function encodeKeyFile(file: KeyFile): string {
  return `${JSON.stringify(file, null, 2)}\n`;
}
