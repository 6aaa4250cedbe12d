/**
 * SCP03 key holders (GPC Amd D v1.1.1 §6.1–6.2): the interfaces an HSM implements on the host side,
 * and the plain-bytes implementation used in tests, by the virtual card, and for GPPro-style keys.
 * Static keys never leave a key holder; session keys zero themselves on `close()`.
 */
import { concat, wipe } from '../../bytes/index.ts';
import { AesCmac, aesCbcDecryptWithEncryptedIv, aesCbcEncrypt, aesCbcEncryptWithEncryptedIv, type HeldKey } from '../../crypto/index.ts';
import { GpError } from '../errors.ts';
import { assertGpBytes, assertGpInt, assertGpKey, hex2 } from './assert.ts';
import { diversifyKdf3, type KeyType } from './diversification.ts';
import { inspectSymbol, kcvHex } from './key-print.ts';
import type { ScpKeyContext } from './key-context.ts';
import { SCP03_DERIVATION, scp03CardChallenge, scp03Cryptogram, scp03SessionKey } from './scp03-crypto.ts';

/** The session-key derivation input (GPC Amd D v1.1.1 §6.2.1): the card's key set, "i" and both challenges. */
export interface Scp03SessionContext extends ScpKeyContext {
  /** The card's "i" parameter; S-RMAC is derived only when it announces R-MAC support. */
  readonly i: number;
  readonly hostChallenge: Uint8Array;
  readonly cardChallenge: Uint8Array;
}

/** Input for verifying a pseudo-random card challenge (GPC Amd D v1.1.1 §6.2.2.1). */
export interface Scp03ChallengeContext extends ScpKeyContext {
  readonly sequenceCounter: number;
  readonly sdAid: Uint8Array;
  readonly length: 8 | 16;
}

/**
 * SCP03 session keys (GPC Amd D v1.1.1 §6.2.1): synchronous operations under S-ENC, S-MAC and
 * S-RMAC, plus the cryptograms of the session's challenges. `close()` wipes them; any later call
 * throws `ERR_GP_SESSION_STATE`.
 */
export interface Scp03SessionKeys {
  readonly keyLength: 16 | 24 | 32;
  /** Amd D §6.2.2.2: the card cryptogram (8 or 16 bytes, as long as the challenges). */
  cardCryptogram(): Uint8Array;
  /** Amd D §6.2.2.3: the host cryptogram. */
  hostCryptogram(): Uint8Array;
  /** Amd D §6.2.4: the full 16-byte CMAC under S-MAC of the concatenated parts (the next MAC chaining value). */
  cMac(parts: readonly Uint8Array[]): Uint8Array;
  /** Amd D §6.2.5: the full 16-byte CMAC under S-RMAC of the concatenated parts. */
  rMac(parts: readonly Uint8Array[]): Uint8Array;
  /**
   * Amd D §6.2.6–7: AES-CBC under S-ENC of block-aligned `data` with ICV = AES-ECB(S-ENC,
   * `counterBlock`). (One CBC pass over counterBlock ‖ data with a zero IV computes both: its first
   * output block is the ICV.)
   */
  encrypt(data: Uint8Array, counterBlock: Uint8Array): Uint8Array;
  /** The inverse of {@link Scp03SessionKeys.encrypt} for the same counter block. */
  decrypt(data: Uint8Array, counterBlock: Uint8Array): Uint8Array;
  close(): void;
  /** A description naming keys by KCV or handle only, never by their bytes (CONVENTIONS.md §8). */
  toString(): string;
}

/** The host side's SCP03 key holder. Static keys stay behind it (an HSM never hands them out). */
export interface Scp03HostKeys {
  readonly scp: 3;
  /** The KVN sent in INITIALIZE UPDATE P1 (00 = the card's first available key set). */
  readonly keyVersion: number;
  readonly keyLength: 16 | 24 | 32;
  deriveSession(context: Scp03SessionContext): Promise<Scp03SessionKeys>;
  /** Amd D §6.2.2.1: the pseudo-random challenge the card must have produced. */
  cardChallenge(context: Scp03ChallengeContext): Promise<Uint8Array>;
  /** Amd D §6.2.8: AES-CBC under the static DEK with a zero ICV (block-aligned data). */
  encryptSensitive(data: Uint8Array, context: ScpKeyContext): Promise<Uint8Array>;
  /** A description naming keys by KCV or handle only, never by their bytes (CONVENTIONS.md §8). */
  toString(): string;
}

/** A card's static SCP03 key set: three AES keys of one length (GPC Amd D v1.1.1 Table 6-1). */
export interface Scp03StaticKeys {
  readonly keyVersion: number;
  readonly enc: Uint8Array;
  readonly mac: Uint8Array;
  readonly dek: Uint8Array;
}

function blockAligned(data: Uint8Array, name: string): void {
  assertGpBytes(data, undefined, name);
  if (data.length === 0 || data.length % 16 !== 0) {
    throw new GpError('ERR_GP_LENGTH', `${name}: expected a non-empty multiple of 16 bytes, got ${data.length} (no implicit padding)`);
  }
}

class PlainScp03SessionKeys implements Scp03SessionKeys {
  readonly keyLength: 16 | 24 | 32;
  readonly #sEnc: Uint8Array;
  readonly #sMac: AesCmac;
  readonly #sRmac: AesCmac | undefined;
  readonly #cardCryptogram: Uint8Array;
  readonly #hostCryptogram: Uint8Array;
  readonly #kcvs: string;
  #closed = false;

  constructor(keys: Scp03ChannelKeys, context: Scp03SessionContext) {
    this.keyLength = keys.enc.length as 16 | 24 | 32;
    const ctx = concat(context.hostChallenge, context.cardChallenge); // Amd D §6.2.1: host ‖ card challenge
    this.#sEnc = scp03SessionKey(keys.enc, SCP03_DERIVATION.S_ENC, ctx);
    const sMac = scp03SessionKey(keys.mac, SCP03_DERIVATION.S_MAC, ctx);
    // Amd D §6.2.1: S-RMAC only "if the i parameter indicates R-MAC support"
    const sRmac = (context.i & 0x20) !== 0 ? scp03SessionKey(keys.mac, SCP03_DERIVATION.S_RMAC, ctx) : undefined;
    try {
      this.#cardCryptogram = scp03Cryptogram(sMac, SCP03_DERIVATION.CARD_CRYPTOGRAM, context.hostChallenge, context.cardChallenge);
      this.#hostCryptogram = scp03Cryptogram(sMac, SCP03_DERIVATION.HOST_CRYPTOGRAM, context.hostChallenge, context.cardChallenge);
      this.#sMac = new AesCmac(sMac);
      this.#sRmac = sRmac === undefined ? undefined : new AesCmac(sRmac);
      const k = (key: Uint8Array): string => kcvHex(key, 'aes-ones');
      this.#kcvs = `S-ENC KCV ${k(this.#sEnc)}, S-MAC KCV ${k(sMac)}${sRmac === undefined ? '' : `, S-RMAC KCV ${k(sRmac)}`}`;
    } finally {
      wipe(sMac, ...(sRmac === undefined ? [] : [sRmac]));
    }
  }

  #open(): void {
    if (this.#closed) throw new GpError('ERR_GP_SESSION_STATE', 'SCP03 session keys are closed');
  }

  cardCryptogram(): Uint8Array {
    this.#open();
    return this.#cardCryptogram.slice();
  }

  hostCryptogram(): Uint8Array {
    this.#open();
    return this.#hostCryptogram.slice();
  }

  cMac(parts: readonly Uint8Array[]): Uint8Array {
    this.#open();
    return this.#sMac.macOf(parts, 16);
  }

  rMac(parts: readonly Uint8Array[]): Uint8Array {
    this.#open();
    if (this.#sRmac === undefined) throw new GpError('ERR_GP_SECURITY_LEVEL', 'no S-RMAC: the card\'s "i" parameter does not support R-MAC');
    return this.#sRmac.macOf(parts, 16);
  }

  encrypt(data: Uint8Array, counterBlock: Uint8Array): Uint8Array {
    this.#open();
    blockAligned(data, 'SCP03 data to encrypt');
    assertGpBytes(counterBlock, [16], 'SCP03 counter block');
    return aesCbcEncryptWithEncryptedIv(this.#sEnc, data, { ivInput: counterBlock });
  }

  decrypt(data: Uint8Array, counterBlock: Uint8Array): Uint8Array {
    this.#open();
    blockAligned(data, 'SCP03 data to decrypt');
    assertGpBytes(counterBlock, [16], 'SCP03 counter block');
    return aesCbcDecryptWithEncryptedIv(this.#sEnc, data, { ivInput: counterBlock });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#sMac.destroy();
    this.#sRmac?.destroy();
    wipe(this.#sEnc, this.#cardCryptogram, this.#hostCryptogram);
  }

  toString(): string {
    return this.#closed ? 'Scp03SessionKeys(closed)' : `Scp03SessionKeys(AES-${this.keyLength * 8}, ${this.#kcvs})`;
  }

  toJSON(): string {
    return this.toString();
  }

  [inspectSymbol](): string {
    return this.toString();
  }
}

/** Checks a static SCP03 key set: three AES keys of one length (16, 24 or 32) and a KVN in 0..FF. */
export function assertScp03StaticKeys(keys: Scp03StaticKeys, name = 'SCP03 key set'): void {
  if (typeof keys !== 'object' || keys === null) throw new GpError('ERR_GP_KEY', `${name}: expected { keyVersion, enc, mac, dek }`);
  assertGpInt(keys.keyVersion, 0, 0xff, `${name} key version`, 'ERR_GP_KEY');
  assertGpBytes(keys.enc, [16, 24, 32], `${name} ENC key`, 'ERR_GP_KEY');
  // Amd D v1.1.1 §6.1: "a Key-ENC, a Key-MAC, and a Key-DEK key having the same length"
  assertGpBytes(keys.mac, [keys.enc.length], `${name} MAC key`, 'ERR_GP_KEY');
  assertGpBytes(keys.dek, [keys.enc.length], `${name} DEK key`, 'ERR_GP_KEY');
}

/**
 * The two static keys session keys derive from (Amd D v1.1.1 Table 6-2: S-ENC from ENC, S-MAC and
 * S-RMAC from MAC), as bytes or held by an HSM (which then computes each KDF block as a CMAC).
 */
export interface Scp03ChannelKeys {
  readonly enc: Uint8Array | HeldKey;
  readonly mac: Uint8Array | HeldKey;
}

/**
 * Derives SCP03 session keys from plain static keys (GPC Amd D v1.1.1 §6.2.1), synchronously: the
 * card side's key holder and the base of {@link plainScp03Keys}.
 */
export function deriveScp03SessionKeys(keys: Scp03ChannelKeys, context: Scp03SessionContext): Scp03SessionKeys {
  assertGpKey(keys.enc, 'aes', [16, 24, 32], 'SCP03 ENC key');
  assertGpKey(keys.mac, 'aes', [keys.enc.length], 'SCP03 MAC key');
  assertGpInt(context.i, 0, 0x7f, 'SCP03 "i" parameter');
  assertGpBytes(context.hostChallenge, [8, 16], 'SCP03 host challenge');
  assertGpBytes(context.cardChallenge, [context.hostChallenge.length], 'SCP03 card challenge');
  return new PlainScp03SessionKeys(keys, context);
}

/** Options of {@link plainScp03Keys}: the static keys, or master keys diversified per card with KDF3. */
export interface PlainScp03KeyOptions extends Scp03StaticKeys {
  /** When set, `enc`/`mac`/`dek` are master keys diversified per card with the KDD (gp.md §5.5). */
  readonly diversification?: 'kdf3';
}

class PlainScp03Keys implements Scp03HostKeys {
  readonly scp = 3 as const;
  readonly keyVersion: number;
  readonly keyLength: 16 | 24 | 32;
  readonly #keys: Scp03StaticKeys;
  readonly #diversify: boolean;

  constructor(options: PlainScp03KeyOptions) {
    this.keyVersion = options.keyVersion;
    this.keyLength = options.enc.length as 16 | 24 | 32;
    this.#keys = { keyVersion: options.keyVersion, enc: options.enc.slice(), mac: options.mac.slice(), dek: options.dek.slice() };
    this.#diversify = options.diversification === 'kdf3';
  }

  /** The card's static key of `type`: the stored key, or a fresh KDF3 diversification the caller wipes. */
  #cardKey(type: KeyType, context: ScpKeyContext): Uint8Array {
    const master = type === 'ENC' ? this.#keys.enc : type === 'MAC' ? this.#keys.mac : this.#keys.dek;
    return this.#diversify ? diversifyKdf3(master, context.kdd, type) : master.slice();
  }

  deriveSession(context: Scp03SessionContext): Promise<Scp03SessionKeys> {
    return Promise.resolve().then(() => {
      const card = { enc: this.#cardKey('ENC', context), mac: this.#cardKey('MAC', context) };
      try {
        return deriveScp03SessionKeys(card, context);
      } finally {
        wipe(card.enc, card.mac);
      }
    });
  }

  cardChallenge(context: Scp03ChallengeContext): Promise<Uint8Array> {
    return Promise.resolve().then(() => {
      const enc = this.#cardKey('ENC', context);
      try {
        return scp03CardChallenge(enc, context.sequenceCounter, context.sdAid, context.length);
      } finally {
        wipe(enc);
      }
    });
  }

  encryptSensitive(data: Uint8Array, context: ScpKeyContext): Promise<Uint8Array> {
    return Promise.resolve().then(() => {
      blockAligned(data, 'SCP03 sensitive data');
      const dek = this.#cardKey('DEK', context);
      try {
        return aesCbcEncrypt(dek, data, { iv: new Uint8Array(16) }); // Amd D §6.2.8: static DEK, ICV zero
      } finally {
        wipe(dek);
      }
    });
  }

  toString(): string {
    const k = (key: Uint8Array): string => kcvHex(key, 'aes-ones');
    const what = this.#diversify ? 'KDF3-diversified master ' : '';
    return `Scp03Keys(KVN ${hex2(this.keyVersion)}, AES-${this.keyLength * 8}, ${what}ENC KCV ${k(this.#keys.enc)}, MAC KCV ${k(this.#keys.mac)}, DEK KCV ${k(this.#keys.dek)})`;
  }

  toJSON(): string {
    return this.toString();
  }

  [inspectSymbol](): string {
    return this.toString();
  }
}

/**
 * SCP03 host keys from plain key bytes (tests, development cards), optionally diversified per card
 * from master keys with KDF3. The bytes are copied; the object prints as KCVs only.
 * @example plainScp03Keys({ keyVersion: 0x30, enc, mac, dek })
 */
export function plainScp03Keys(options: PlainScp03KeyOptions): Scp03HostKeys {
  assertScp03StaticKeys(options, 'plainScp03Keys');
  if (options.diversification !== undefined && options.diversification !== 'kdf3') {
    throw new GpError('ERR_GP_PARAM', `SCP03 diversification must be kdf3, got ${String(options.diversification)}`);
  }
  return new PlainScp03Keys(options);
}
