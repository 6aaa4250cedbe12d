/**
 * Key attributes in TR-31 / ANSI X9.143 terms (usage, algorithm, mode of use, exportability,
 * version) plus what an HSM needs to hold many tenants' keys: an owner, a label, a key class.
 * A key is known outside the HSM only as a `KeyHandle`: id, attributes, KCV — never its value.
 */
import type { Exportability, KeyAlgorithm, KeyUsage, ModeOfUse } from '../crypto/index.ts';

/**
 * Where a key may live and how long. `hsm`: only inside the HSM (every key but two classes).
 * `protocol-memory`: a key a protocol stack needs in clear in its own memory — the SCP81 TLS-PSK,
 * which node:tls reads synchronously during the handshake. Only such keys can be read out
 * (`revealProtocolKey`). `transient`: a key that lives for one record or one handover — a
 * per-record data key (D0), a Supplementary Security Domain's initial keys — which its owner
 * destroys without custodians and which never leaves by `exportKeyBlock` (only at birth, through
 * `generateKeyForExport`). Docs: docs/hsm.md §11.
 */
export const KEY_CLASSES = ['hsm', 'protocol-memory', 'transient'] as const;
export type KeyClass = (typeof KEY_CLASSES)[number];

/** Whether `value` is a key class (for stores and token metadata read back). */
export function isKeyClass(value: unknown): value is KeyClass {
  return typeof value === 'string' && (KEY_CLASSES as readonly string[]).includes(value);
}

export interface KeyAttributes {
  /** X9.143 key usage (see GP_KEY_ROLES for GlobalPlatform keys, which have no code of their own). */
  readonly usage: KeyUsage;
  /** X9.143 algorithm: T (TDES), A (AES), H (HMAC), R (RSA), E (EC). */
  readonly algorithm: KeyAlgorithm;
  /** X9.143 mode of use. */
  readonly modeOfUse: ModeOfUse;
  /** X9.143 exportability: E (under a trusted KEK), N (never), S (sensitive: only under a KBPK). */
  readonly exportability: Exportability;
  /** Key length in bytes (symmetric) or modulus/curve size in bits (asymmetric). */
  readonly length: number;
  /** Key version (rotation): 0–99, as in the TR-31 header. */
  readonly version: number;
  /** The tenant the key belongs to; every operation checks it. */
  readonly owner: string;
  /** A readable label (TR-31 optional block LB), e.g. "GP-ENC", "IMK-AC 2026". */
  readonly label?: string | undefined;
  readonly class: KeyClass;
}

/** What the world sees of a key. Frozen; no key material. */
export interface KeyHandle {
  readonly kind: 'key-handle';
  readonly id: string;
  readonly attributes: KeyAttributes;
  /** Key check value, hex (3 bytes: X9.24 for TDES, CMAC for AES, the public-key hash prefix for asymmetric). */
  readonly kcv: string;
  /** Key status: active, or retired by rotation (still usable to verify, not to create). */
  readonly status: 'active' | 'retired';
}

/** GlobalPlatform secure-channel key roles. */
export type GpKeyRole = 'GP-ENC' | 'GP-MAC' | 'GP-DEK';

/**
 * GlobalPlatform keys have no X9.143 usage code, so OpenTSM maps them (docs/key-usage.md):
 * - master keys per SE batch, only ever diversified: B3 (key derivation key, non-X9.24), mode X;
 * - a Security Domain's static ENC and MAC, used only to derive session keys and cryptograms
 *   (GPC Amd D §6.2.1; GPC 2.3.1 §E.4.1): E5 (EMV/chip issuer master key: card personalization), mode X;
 * - its DEK, which only encrypts keys and sensitive data sent to the card (PUT KEY, STORE DATA): K0
 *   (key encryption key), mode E (encrypt/wrap only).
 * The role itself is bound in the TR-31 header as the label (optional block LB).
 */
export const GP_KEY_ROLES = {
  master: { usage: 'B3', modeOfUse: 'X' },
  'GP-ENC': { usage: 'E5', modeOfUse: 'X' },
  'GP-MAC': { usage: 'E5', modeOfUse: 'X' },
  'GP-DEK': { usage: 'K0', modeOfUse: 'E' },
} as const satisfies Record<string, { usage: KeyUsage; modeOfUse: ModeOfUse }>;

/**
 * What `importKeyBlock` takes besides the block (whose authenticated header gives the rest): the
 * owner, a label, and the key class (default `hsm`; `transient` for keys destroyed right after
 * use, e.g. a Security Domain's initial keys received at a handover — docs/hsm.md §11).
 */
export interface KeyImportMeta {
  readonly owner: string;
  readonly label?: string;
  readonly class?: KeyClass;
}

/** What to create: attributes without the derived fields. */
export type KeySpec = Omit<KeyAttributes, 'class' | 'length' | 'version'> & {
  readonly length: number;
  readonly version?: number;
  readonly class?: KeyClass;
};
