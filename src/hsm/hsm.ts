/**
 * The HSM interface (ARCHITECTURE.md §2–3): key custody and every keyed operation OpenTSM needs,
 * over key *handles*. No method returns a secret key's value — the one documented exception is
 * `revealProtocolKey` for keys of class `protocol-memory` (the SCP81 TLS-PSK). Every method checks
 * the key's owner against `ctx.tenant` and its usage/mode against the operation (usage-policy.ts),
 * and emits one audit event. Implementations: software/ (LMK + TR-31 blocks in a KeyRecordStore)
 * and pkcs11/ (token objects), run against one conformance suite.
 */
import type { DiversificationMethod, Scp02HostKeys, Scp03HostKeys, WrappedKey } from '../gp/index.ts';
import type { CvnProfileId } from '../emv/index.ts';
import type { CustodianCredential, KeyComponentInput, OperationContext } from './context.ts';
import type { KeyHandle, KeyImportMeta, KeySpec } from './key-attributes.ts';

/** EMV transaction data the issuer's HSM verifies an ARQC with (EMV Book 2 §8.1). */
export interface ArqcRequest {
  /** The IMK-AC (usage E0). */
  readonly imk: string;
  readonly profile: CvnProfileId;
  readonly pan: string;
  /** PAN sequence number, two digits ("00" when absent). */
  readonly psn: string;
  /** Application Transaction Counter (2 bytes). */
  readonly atc: Uint8Array;
  /** Unpredictable number (4 bytes), for profiles whose session key uses it. */
  readonly unpredictableNumber?: Uint8Array;
  /** The CDOL1 data the card MACed, assembled per the profile. */
  readonly data: Uint8Array;
  readonly arqc: Uint8Array;
}

/** The issuer's answer data (EMV Book 2 §8.2): method 1 (ARC) or method 2 (CSU + proprietary data), per profile. */
export type ArpcInput =
  | { readonly method: 1; readonly arc: Uint8Array }
  | { readonly method: 2; readonly csu: Uint8Array; readonly proprietaryData?: Uint8Array };

export interface ArqcResult {
  /** Whether the ARQC verified (constant-time compare inside the HSM). */
  readonly valid: boolean;
  /** The ARPC, when requested and the ARQC verified. */
  readonly arpc?: Uint8Array;
}

/** A PIN block under a key (ISO 9564-1 format 0–4), and the PAN the format binds it to. */
export interface EncryptedPinBlock {
  /** The PIN encryption key (usage P0). */
  readonly key: string;
  readonly format: 0 | 1 | 2 | 3 | 4;
  readonly block: Uint8Array;
  /** Formats 0, 3, 4 bind the PAN. */
  readonly pan?: string;
}

/** Keys a card personalization needs, derived per card and encrypted for the card (EMV CPS DGI 8000/9000). */
export interface CardKeyExport {
  /** Derivation: EMV ICC master key from an IMK (EMV Book 2 A1.4), or GP diversification of a master. */
  readonly derive:
    | { readonly kind: 'emv-icc'; readonly imk: string; readonly pan: string; readonly psn: string; readonly option: 'A' | 'B' }
    | { readonly kind: 'gp'; readonly master: string; readonly kdd: Uint8Array; readonly method: DiversificationMethod; readonly keyType: 1 | 2 | 3 };
  /** The Security Domain DEK (GP-DEK) the derived key is encrypted under, and the SCP of its channel. */
  readonly dek: string;
  readonly scp: 2 | 3;
  /** SCP02 only: the session's sequence counter (the session DEK is derived from it, GPC 2.3.1 §E.4.1). */
  readonly sequenceCounter?: number;
}

/** What to certify (EMV Book 2 §5.3 Table 13 issuer, §6.4 Table 14 ICC). `serialNumber` is 3 bytes; `expiry` is 'MMYY'. */
export type EmvCertificateRequest =
  | {
    readonly kind: 'issuer';
    /** The leftmost 3 to 8 digits of the PANs of this issuer key (Book 2 Table 13, Issuer Identifier). */
    readonly issuerIdentifier: string;
    readonly expiry: string;
    readonly serialNumber: Uint8Array;
    /** The key to certify, SPKI DER (RSA, exponent 3 or 65537, at most 1984 bits and the signer's length). */
    readonly subjectPublicKey: Uint8Array;
  }
  | {
    readonly kind: 'icc';
    /** The card's PAN (Application PAN, 5A). */
    readonly pan: string;
    readonly expiry: string;
    readonly serialNumber: Uint8Array;
    readonly subjectPublicKey: Uint8Array;
    /** The static data to be authenticated (Book 2 §6.4, from the AFL records and 9F4A). */
    readonly staticData: Uint8Array;
  };

/** An EMV public-key certificate and what travels beside it. */
export interface EmvCertificate {
  /** The certificate (tag 90 issuer / 9F46 ICC), N bytes for a signer of N bytes. */
  readonly certificate: Uint8Array;
  /** The public key remainder (tag 92 / 9F48); empty when the key fits in the certificate. */
  readonly remainder: Uint8Array;
  /** The public key exponent (tag 9F32 / 9F47): 03 or 010001. */
  readonly exponent: Uint8Array;
}

/**
 * The Security Domain key that encrypts sensitive DGIs for the card (EMV CPS; docs/payment-application.md §4):
 * SCP03 — AES-CBC, IV zero, under the static DEK; SCP02 — 3DES-ECB under the session DEK of the
 * channel's sequence counter (GPC 2.3.1 §E.4.1). The DEK is a GP-DEK (K0, usage `card-wrap`).
 */
export interface CardDataEncryption {
  readonly dek: string;
  readonly scp: 2 | 3;
  /** SCP02 only: the session's sequence counter. */
  readonly sequenceCounter?: number;
}

/** One card's ICC key pair for fDDA (EMV Book 2 §6.1), certified by the issuer key as Table 14 says. */
export interface IccKeyPairRequest extends CardDataEncryption {
  /** The issuer private key (RSA, usage S1) that signs the ICC public key certificate. */
  readonly issuer: string;
  readonly pan: string;
  /** 'MMYY'. */
  readonly expiry: string;
  /** Certificate serial number, 3 bytes. */
  readonly serialNumber: Uint8Array;
  /** The static data to be authenticated (Book 2 §6.4). */
  readonly staticData: Uint8Array;
  /** RSA modulus bits: a multiple of 8, 1024 (default) to 1984, not longer than the issuer key. */
  readonly keySize?: number;
  /** Public exponent: 3 (default) or 65537 (Book 2 §6.1). */
  readonly exponent?: 3 | 65537;
}

/**
 * The ICC private key as CRT components for DGIs 8201–8205 (EMV CPS [M]): each left-padded to half
 * the modulus length, padded 80 00… only when not a whole cipher block, and encrypted on its own
 * under the card's DEK (CardDataEncryption).
 */
export interface EncryptedIccPrivateKey {
  /** DGI 8201: q⁻¹ mod p. */
  readonly qInv: Uint8Array;
  /** DGI 8202: d mod (q − 1). */
  readonly dq: Uint8Array;
  /** DGI 8203: d mod (p − 1). */
  readonly dp: Uint8Array;
  /** DGI 8204: q. */
  readonly q: Uint8Array;
  /** DGI 8205: p. */
  readonly p: Uint8Array;
}

/** A generated ICC key pair: its certificate (9F46, 9F48, 9F47), public key and encrypted private key. */
export interface IccKeyPairForCard extends EmvCertificate {
  /** The ICC public key, SPKI DER (so a terminal's recovery can be checked against it). */
  readonly publicKey: Uint8Array;
  readonly privateKey: EncryptedIccPrivateKey;
}

/** An offline PIN for the card (DGI 8010): the PIN as the SP sent it, and the card's DEK. */
export interface CardPinRequest extends CardDataEncryption {
  /** The PIN block under the SP's PIN key (P0), ISO 9564-1 format 0, 1, 3 or 4. */
  readonly pin: EncryptedPinBlock;
}

export interface Hsm {
  readonly backend: 'software' | 'pkcs11';

  // — custody —
  /** Generates a key inside the HSM. */
  generateKey(spec: KeySpec, ctx: OperationContext): Promise<KeyHandle>;
  /** Forms a key from 2 or 3 clear components, each from a different authenticated custodian and checked by its KCV (dual control). */
  importComponents(spec: KeySpec, components: readonly KeyComponentInput[], ctx: OperationContext): Promise<KeyHandle>;
  /**
   * Imports a TR-31 key block (versions A–D) under a key-block protection key (usage K1) held by this HSM.
   * `meta.class` (default `hsm`): `transient` for keys their owner destroys right after use without
   * custodians and that never leave by exportKeyBlock (docs/hsm.md §11); an unknown class is ERR_HSM_PARAM.
   */
  importKeyBlock(kbpk: string, block: string, meta: KeyImportMeta, ctx: OperationContext): Promise<KeyHandle>;
  /**
   * Generates a key and returns it also as a TR-31 block under a KBPK (K1, usable by the caller for
   * 'kbpk-wrap'): "generate and export under a KEK" (payShield A0 mode 1). No custodians: the key
   * is fresh, so nobody else has used it. The spec's exportability must be E or S; the block's
   * header is exportKeyBlock's. For a Security Domain's initial keys handed to another tenant
   * (docs/hsm.md §11), usually with class `transient`.
   * @example const { key, block } = await hsm.generateKeyForExport({ ...GP_KEY_ROLES['GP-ENC'], algorithm: 'A', length: 16, exportability: 'S', owner, label: 'GP-ENC', class: 'transient' }, kbpk, ctx)
   */
  generateKeyForExport(spec: KeySpec, kbpk: string, ctx: OperationContext): Promise<{ readonly key: KeyHandle; readonly block: string }>;
  /** Exports a key as a TR-31 block (version B for TDES KBPKs, D for AES) under a KBPK; only exportable, non-transient keys; two custodians. */
  exportKeyBlock(kbpk: string, key: string, approvals: readonly CustodianCredential[], ctx: OperationContext): Promise<string>;
  getKey(id: string, ctx: OperationContext): Promise<KeyHandle>;
  listKeys(filter: { readonly usage?: string; readonly label?: string }, ctx: OperationContext): Promise<readonly KeyHandle[]>;
  /** A new version of the key (same attributes, version + 1); the old one becomes `retired`. */
  rotateKey(id: string, ctx: OperationContext): Promise<KeyHandle>;
  /** Destroys a key irrecoverably; two custodians — none for a `transient` key destroyed by its owner (approvals may be empty). */
  destroyKey(id: string, approvals: readonly CustodianCredential[], ctx: OperationContext): Promise<void>;
  /** Reads a `protocol-memory` key (the SCP81 PSK) for the protocol stack that needs it in clear; refused for every other key class. */
  revealProtocolKey(id: string, ctx: OperationContext): Promise<Uint8Array>;

  // — derivation —
  /** GP diversification (EMV CPG 2.04, VISA2, KDF3) of a batch's ENC/MAC/DEK masters into a Security Domain's stored per-SE keys. */
  diversifyGpKeys(
    masters: { readonly enc: string; readonly mac: string; readonly dek: string },
    kdd: Uint8Array,
    method: DiversificationMethod,
    target: { readonly owner: string; readonly label?: string },
    ctx: OperationContext,
  ): Promise<{ readonly enc: KeyHandle; readonly mac: KeyHandle; readonly dek: KeyHandle }>;

  // — GlobalPlatform secure channels —
  /** The gp/ keyed-operation interface over a stored SCP03 key set: static keys never leave the HSM. */
  scp03HostKeys(set: { readonly enc: string; readonly mac: string; readonly dek: string }, keyVersion: number, ctx: OperationContext): Promise<Scp03HostKeys>;
  scp02HostKeys(set: { readonly enc: string; readonly mac: string; readonly dek: string }, keyVersion: number, ctx: OperationContext): Promise<Scp02HostKeys>;
  /**
   * PUT KEY / encrypted STORE DATA: translates a stored key from under the LMK to under a card's DEK
   * (SCP03: AES-CBC with the static DEK; SCP02: 3DES-ECB with the session DEK) and returns it with
   * its KCV — the clear key never reaches the caller.
   */
  wrapKeyForCard(key: string, dek: string, options: { readonly scp: 2 | 3; readonly sequenceCounter?: number }, ctx: OperationContext): Promise<WrappedKey>;
  /** Derives a per-card key (ICC master key, per-SE GP key) and returns it encrypted for the card, never stored, never in clear outside. */
  exportDerivedKeyForCard(request: CardKeyExport, ctx: OperationContext): Promise<WrappedKey>;

  // — EMV issuer —
  /** Verifies an ARQC and, when `arpc` is given and it verifies, generates the ARPC (EMV Book 2 §8). */
  verifyArqc(request: ArqcRequest, arpc: ArpcInput | undefined, ctx: OperationContext): Promise<ArqcResult>;
  /** Issuer-script MAC (EMV Book 2 §9.2.1) with the IMK-SMI (E2) session key of this transaction. */
  issuerScriptMac(request: Omit<ArqcRequest, 'imk' | 'data'> & { readonly imkSmi: string; readonly macInput: Uint8Array }, ctx: OperationContext): Promise<Uint8Array>;
  /** Issuer-script data encryption (EMV Book 2 §9.2.2) with the IMK-SMC (E1) session key. */
  issuerScriptEncrypt(request: Omit<ArqcRequest, 'imk' | 'data'> & { readonly imkSmc: string; readonly plaintext: Uint8Array }, ctx: OperationContext): Promise<Uint8Array>;
  /** Re-encrypts a PIN block from one key/format to another; the clear PIN never leaves the HSM. */
  translatePinBlock(from: EncryptedPinBlock, to: Omit<EncryptedPinBlock, 'block'>, ctx: OperationContext): Promise<Uint8Array>;
  /** Turns an encrypted PIN block into the enciphered PIN data of an EMV PIN CHANGE issuer script (EMV Book 2 §9.2.2, per the profile). */
  pinChangeScriptData(
    request: Omit<ArqcRequest, 'imk' | 'data'> & { readonly pin: EncryptedPinBlock; readonly imkSmc: string; readonly imkAc: string },
    ctx: OperationContext,
  ): Promise<Uint8Array>;

  // — EMV personalization —
  /**
   * An EMV issuer (format 02, Book 2 §5.3 Table 13) or ICC (format 04, §6.4 Table 14) public-key
   * certificate, signed with ISO/IEC 9796-2 scheme 1 by `signer` (RSA, usage S1).
   * @example const { certificate, remainder, exponent } = await hsm.issueEmvCertificate(caKey, { kind: 'issuer', issuerIdentifier: '476173', expiry: '1230', serialNumber, subjectPublicKey }, ctx)
   */
  issueEmvCertificate(signer: string, request: EmvCertificateRequest, ctx: OperationContext): Promise<EmvCertificate>;
  /**
   * Generates one card's ICC RSA key pair, certifies its public key with `request.issuer` (as
   * `issueEmvCertificate` kind 'icc') and returns the private key only as CRT components encrypted
   * under the card's DEK (DGIs 8201–8205). The clear private key exists for this call only (docs/hsm.md §8).
   */
  generateIccKeyPairForCard(request: IccKeyPairRequest, ctx: OperationContext): Promise<IccKeyPairForCard>;
  /**
   * Turns an SP's encrypted PIN block into the card's offline PIN (DGI 8010): the ISO 9564-1 format 2
   * block, padded 80 00… to 16 bytes for SCP03 (8 bytes for SCP02, no pad), encrypted under the card's DEK.
   * The clear PIN never leaves the HSM.
   */
  pinBlockForCard(request: CardPinRequest, ctx: OperationContext): Promise<Uint8Array>;

  // — general —
  /**
   * The MAC of `data` under a MAC key whose usage the algorithm names (MAC_USAGE). A bare
   * MacAlgorithm runs with its fixed parameters (the DES MACs: ISO 9797-1 padding method 2);
   * MacParameters name the padding of a DES MAC.
   * @example await hsm.generateMac(kid, covered, { algorithm: 'iso9797-1-alg1', padding: 'iso9797-m1' }, ctx) // an SCP80 3DES CC
   */
  generateMac(key: string, data: Uint8Array, algorithm: MacMechanism, ctx: OperationContext): Promise<Uint8Array>;
  /** Recomputes the MAC (as generateMac) and compares in constant time; a MAC truncated to its leftmost bytes, down to a floor per algorithm, verifies. */
  verifyMac(key: string, data: Uint8Array, mac: Uint8Array, algorithm: MacMechanism, ctx: OperationContext): Promise<boolean>;
  encryptData(key: string, data: Uint8Array, options: DataCipherOptions, ctx: OperationContext): Promise<Uint8Array>;
  decryptData(key: string, data: Uint8Array, options: DataCipherOptions, ctx: OperationContext): Promise<Uint8Array>;
  random(length: number, ctx: OperationContext): Promise<Uint8Array>;

  // — asymmetric —
  /** RSA (2048+; 1024+ for EMV certification keys, usage S1) or EC P-256 key pair; the private key stays in the HSM. */
  generateKeyPair(spec: AsymmetricKeySpec, ctx: OperationContext): Promise<KeyHandle>;
  sign(key: string, data: Uint8Array, scheme: SignatureScheme, ctx: OperationContext): Promise<Uint8Array>;
  verify(key: string, data: Uint8Array, signature: Uint8Array, scheme: SignatureScheme, ctx: OperationContext): Promise<boolean>;
  /** The public key as SubjectPublicKeyInfo DER. */
  exportPublicKey(key: string, ctx: OperationContext): Promise<Uint8Array>;
}

/** MAC algorithms (ISO 9797-1 alg 1/3, CMAC, HMAC-SHA-256), each tied to its usage code. */
export type MacAlgorithm = 'iso9797-1-alg1' | 'retail-mac' | 'cmac' | 'hmac-sha256';

/**
 * ISO/IEC 9797-1:2011 §6.3 padding of the DES MACs: method 1 appends zero bytes up to the block
 * (none when the data is block-aligned; an empty message becomes one zero block), method 2 appends
 * 80 then zeros (always at least one byte). Method 1 gives `m` and `m ‖ 00` the same MAC: use it
 * only where a protocol asks for it (ETSI TS 102 225 §5.1.3, the SCP80 DES/3DES CC), with a key
 * kept for that protocol.
 */
export type MacPadding = 'iso9797-m1' | 'iso9797-m2';

/** A DES MAC with its padding named (CONVENTIONS.md §9: padding is an argument, not a default). */
export interface MacParameters {
  readonly algorithm: 'iso9797-1-alg1' | 'retail-mac';
  readonly padding: MacPadding;
}

/** What generateMac / verifyMac take: a MacAlgorithm with its fixed parameters, or MacParameters. */
export type MacMechanism = MacAlgorithm | MacParameters;

export interface DataCipherOptions {
  readonly mode: 'ecb' | 'cbc';
  /** CBC only; explicit (no default IV). */
  readonly iv?: Uint8Array;
}

export interface AsymmetricKeySpec {
  readonly algorithm: 'R' | 'E';
  /** RSA modulus bits (≥ 2048; ≥ 1024 for usage S1, EMV Book 2 §5.1) or the EC curve size (256). */
  readonly size: number;
  readonly usage: 'S0' | 'S1' | 'S2';
  readonly owner: string;
  readonly label?: string;
}

/** Signature schemes: GP tokens/DAP (RSA PKCS#1 v1.5 SHA-1 scheme 1, PSS SHA-256 scheme 2, ECDSA), EMV certificates (ISO 9796-2 recovery). */
export type SignatureScheme = 'rsa-pkcs1-sha1' | 'rsa-pkcs1-sha256' | 'rsa-pss-sha256' | 'ecdsa-sha256' | 'iso9796-2-sha1';
