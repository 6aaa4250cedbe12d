/**
 * SCP02 key holders (GPC 2.3.1 §E.2, §E.4): the interfaces an HSM implements on the host side, and
 * the plain-bytes implementation used in tests, by the virtual card, and for GPPro-style keys.
 * Static keys never leave a key holder; session keys zero themselves on `close()`.
 *
 * LEGACY: SCP02 is deprecated and built on (3)DES; see scp02-crypto.ts.
 */
import { wipe } from '../../bytes/index.ts';
import { RetailMac, tdesCbcDecrypt, tdesCbcEncrypt, tdesEcbDecrypt, tdesEcbEncrypt, type HeldKey } from '../../crypto/index.ts';
import { GpError } from '../errors.ts';
import { assertGpBytes, assertGpInt, assertGpKey, hex2 } from './assert.ts';
import { diversifyKey, type KeyType } from './diversification.ts';
import { inspectSymbol, kcvHex } from './key-print.ts';
import type { ScpKeyContext } from './key-context.ts';
import {
  SCP02_DERIVATION,
  scp02CardChallenge,
  scp02CardCryptogram,
  scp02EncryptIcv,
  scp02HostCryptogram,
  scp02SessionKey,
} from './scp02-crypto.ts';

/** The session-key derivation input (GPC 2.3.1 §E.4.1): the card's key set and its sequence counter. */
export interface Scp02SessionContext extends ScpKeyContext {
  readonly sequenceCounter: number;
}

/**
 * SCP02 session keys (GPC 2.3.1 §E.4.1): synchronous operations under S-ENC, C-MAC and the session
 * DEK. `close()` wipes them; any later call throws `ERR_GP_SESSION_STATE`.
 */
export interface Scp02SessionKeys {
  readonly sequenceCounter: number;
  /** GPC 2.3.1 §E.4.2.1. */
  cardCryptogram(hostChallenge: Uint8Array, cardChallenge: Uint8Array): Uint8Array;
  /** GPC 2.3.1 §E.4.2.2. */
  hostCryptogram(hostChallenge: Uint8Array, cardChallenge: Uint8Array): Uint8Array;
  /** GPC 2.3.1 §E.4.2.3: the pseudo-random card challenge for `sdAid` ("i" = 55). */
  pseudoRandomChallenge(sdAid: Uint8Array): Uint8Array;
  /** GPC 2.3.1 §B.1.2.2: the 8-byte retail MAC under the C-MAC key with `icv`, padding method 2. */
  cMac(data: Uint8Array, icv: Uint8Array): Uint8Array;
  /** GPC 2.3.1 §E.3.4: ICV encryption, single DES under the C-MAC key's left half. */
  encryptIcv(icv: Uint8Array): Uint8Array;
  /** GPC 2.3.1 §E.4.6: 3DES-CBC under S-ENC with a zero ICV (block-aligned data). */
  encrypt(data: Uint8Array): Uint8Array;
  decrypt(data: Uint8Array): Uint8Array;
  /** GPC 2.3.1 §E.4.7: 3DES-ECB under the session DEK (block-aligned data). */
  encryptSensitive(data: Uint8Array): Uint8Array;
  decryptSensitive(data: Uint8Array): Uint8Array;
  close(): void;
  /** A description naming keys by KCV or handle only, never by their bytes (CONVENTIONS.md §8). */
  toString(): string;
}

/** The host side's SCP02 key holder. Static keys stay behind it (an HSM never hands them out). */
export interface Scp02HostKeys {
  readonly scp: 2;
  /** The KVN sent in INITIALIZE UPDATE P1 (00 = the card's first available key set). */
  readonly keyVersion: number;
  deriveSession(context: Scp02SessionContext): Promise<Scp02SessionKeys>;
  /** A description naming keys by KCV or handle only, never by their bytes (CONVENTIONS.md §8). */
  toString(): string;
}

/** A card's static SCP02 key set: three double-length 3DES keys (GPC 2.3.1 Table E-3). */
export interface Scp02StaticKeys {
  readonly keyVersion: number;
  readonly enc: Uint8Array;
  readonly mac: Uint8Array;
  readonly dek: Uint8Array;
}

function blockAligned(data: Uint8Array, name: string): void {
  assertGpBytes(data, undefined, name);
  if (data.length === 0 || data.length % 8 !== 0) {
    throw new GpError('ERR_GP_LENGTH', `${name}: expected a non-empty multiple of 8 bytes, got ${data.length} (no implicit padding)`);
  }
}

class PlainScp02SessionKeys implements Scp02SessionKeys {
  readonly sequenceCounter: number;
  readonly #sEnc: Uint8Array;
  readonly #cMacKey: Uint8Array;
  readonly #dek: Uint8Array;
  readonly #cMac: RetailMac;
  readonly #kcvs: string;
  #closed = false;

  constructor(keys: Scp02ChannelKeys, sequenceCounter: number) {
    this.sequenceCounter = sequenceCounter;
    this.#sEnc = scp02SessionKey(keys.enc, SCP02_DERIVATION.S_ENC, sequenceCounter);
    this.#cMacKey = scp02SessionKey(keys.mac, SCP02_DERIVATION.C_MAC, sequenceCounter);
    this.#dek = scp02SessionKey(keys.dek, SCP02_DERIVATION.DEK, sequenceCounter);
    this.#cMac = new RetailMac(this.#cMacKey);
    const k = (key: Uint8Array): string => kcvHex(key, 'tdes-zeros');
    this.#kcvs = `S-ENC KCV ${k(this.#sEnc)}, C-MAC KCV ${k(this.#cMacKey)}, DEK KCV ${k(this.#dek)}`;
  }

  #open(): void {
    if (this.#closed) throw new GpError('ERR_GP_SESSION_STATE', 'SCP02 session keys are closed');
  }

  cardCryptogram(hostChallenge: Uint8Array, cardChallenge: Uint8Array): Uint8Array {
    this.#open();
    return scp02CardCryptogram(this.#sEnc, hostChallenge, this.sequenceCounter, cardChallenge);
  }

  hostCryptogram(hostChallenge: Uint8Array, cardChallenge: Uint8Array): Uint8Array {
    this.#open();
    return scp02HostCryptogram(this.#sEnc, hostChallenge, this.sequenceCounter, cardChallenge);
  }

  pseudoRandomChallenge(sdAid: Uint8Array): Uint8Array {
    this.#open();
    return scp02CardChallenge(this.#cMacKey, sdAid);
  }

  cMac(data: Uint8Array, icv: Uint8Array): Uint8Array {
    this.#open();
    assertGpBytes(icv, [8], 'SCP02 ICV');
    return this.#cMac.mac(data, { padding: 2, length: 8, iv: icv });
  }

  encryptIcv(icv: Uint8Array): Uint8Array {
    this.#open();
    assertGpBytes(icv, [8], 'SCP02 ICV');
    return scp02EncryptIcv(this.#cMacKey, icv);
  }

  encrypt(data: Uint8Array): Uint8Array {
    this.#open();
    blockAligned(data, 'SCP02 command data');
    return tdesCbcEncrypt(this.#sEnc, data, { iv: new Uint8Array(8) });
  }

  decrypt(data: Uint8Array): Uint8Array {
    this.#open();
    blockAligned(data, 'SCP02 command data');
    return tdesCbcDecrypt(this.#sEnc, data, { iv: new Uint8Array(8) });
  }

  encryptSensitive(data: Uint8Array): Uint8Array {
    this.#open();
    blockAligned(data, 'SCP02 sensitive data');
    return tdesEcbEncrypt(this.#dek, data);
  }

  decryptSensitive(data: Uint8Array): Uint8Array {
    this.#open();
    blockAligned(data, 'SCP02 sensitive data');
    return tdesEcbDecrypt(this.#dek, data);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#cMac.destroy();
    wipe(this.#sEnc, this.#cMacKey, this.#dek);
  }

  toString(): string {
    return this.#closed ? 'Scp02SessionKeys(closed)' : `Scp02SessionKeys(counter ${this.sequenceCounter}, ${this.#kcvs})`;
  }

  toJSON(): string {
    return this.toString();
  }

  [inspectSymbol](): string {
    return this.toString();
  }
}

/** Checks a static SCP02 key set: three 16-byte keys and a KVN in 0..FF. */
export function assertScp02StaticKeys(keys: Scp02StaticKeys, name = 'SCP02 key set'): void {
  if (typeof keys !== 'object' || keys === null) throw new GpError('ERR_GP_KEY', `${name}: expected { keyVersion, enc, mac, dek }`);
  assertGpInt(keys.keyVersion, 0, 0xff, `${name} key version`, 'ERR_GP_KEY');
  for (const part of ['enc', 'mac', 'dek'] as const) assertGpBytes(keys[part], [16], `${name} ${part.toUpperCase()} key`, 'ERR_GP_KEY');
}

/**
 * The three static keys SCP02 session keys derive from (GPC 2.3.1 §E.4.1), as bytes or held by an
 * HSM (which then runs each 3DES-CBC derivation pass).
 */
export interface Scp02ChannelKeys {
  /** Not used by the derivation; allowed so that a {@link Scp02StaticKeys} value fits. */
  readonly keyVersion?: number;
  readonly enc: Uint8Array | HeldKey;
  readonly mac: Uint8Array | HeldKey;
  readonly dek: Uint8Array | HeldKey;
}

/**
 * Derives SCP02 session keys from static keys (GPC 2.3.1 §E.4.1), synchronously: the card side's
 * key holder, the base of {@link plainScp02Keys}, and an HSM's with held static keys.
 */
export function deriveScp02SessionKeys(keys: Scp02ChannelKeys, sequenceCounter: number): Scp02SessionKeys {
  if (typeof keys !== 'object' || keys === null) throw new GpError('ERR_GP_KEY', 'SCP02 key set: expected { enc, mac, dek }');
  for (const part of ['enc', 'mac', 'dek'] as const) assertGpKey(keys[part], 'tdes', [16], `SCP02 ${part.toUpperCase()} key`);
  assertGpInt(sequenceCounter, 0, 0xffff, 'SCP02 sequence counter', 'ERR_GP_COUNTER');
  return new PlainScp02SessionKeys(keys, sequenceCounter);
}

/** Options of {@link plainScp02Keys}: the static keys, or master keys with a diversification method. */
export interface PlainScp02KeyOptions extends Scp02StaticKeys {
  /** When set, `enc`/`mac`/`dek` are master keys diversified per card with the KDD (gp.md §5.5). */
  readonly diversification?: 'emv' | 'visa2';
}

class PlainScp02Keys implements Scp02HostKeys {
  readonly scp = 2 as const;
  readonly keyVersion: number;
  readonly #keys: Scp02StaticKeys;
  readonly #diversification: 'emv' | 'visa2' | undefined;

  constructor(options: PlainScp02KeyOptions) {
    this.keyVersion = options.keyVersion;
    this.#keys = { keyVersion: options.keyVersion, enc: options.enc.slice(), mac: options.mac.slice(), dek: options.dek.slice() };
    this.#diversification = options.diversification;
  }

  deriveSession(context: Scp02SessionContext): Promise<Scp02SessionKeys> {
    return Promise.resolve().then(() => {
      if (this.#diversification === undefined) return deriveScp02SessionKeys(this.#keys, context.sequenceCounter);
      const method = this.#diversification;
      const div = (key: Uint8Array, type: KeyType): Uint8Array => diversifyKey(method, key, context.kdd, type);
      const card = { keyVersion: this.keyVersion, enc: div(this.#keys.enc, 'ENC'), mac: div(this.#keys.mac, 'MAC'), dek: div(this.#keys.dek, 'DEK') };
      try {
        return deriveScp02SessionKeys(card, context.sequenceCounter);
      } finally {
        wipe(card.enc, card.mac, card.dek);
      }
    });
  }

  toString(): string {
    const k = (key: Uint8Array): string => kcvHex(key, 'tdes-zeros');
    const what = this.#diversification === undefined ? '' : `${this.#diversification.toUpperCase()}-diversified master `;
    return `Scp02Keys(KVN ${hex2(this.keyVersion)}, 3DES, ${what}ENC KCV ${k(this.#keys.enc)}, MAC KCV ${k(this.#keys.mac)}, DEK KCV ${k(this.#keys.dek)})`;
  }

  toJSON(): string {
    return this.toString();
  }

  [inspectSymbol](): string {
    return this.toString();
  }
}

/**
 * SCP02 host keys from plain key bytes (tests, development cards), optionally diversified per card
 * from master keys. The bytes are copied; the object prints as KCVs only.
 * @example plainScp02Keys({ keyVersion: 0x20, enc, mac, dek })
 */
export function plainScp02Keys(options: PlainScp02KeyOptions): Scp02HostKeys {
  assertScp02StaticKeys(options, 'plainScp02Keys');
  const d = options.diversification;
  if (d !== undefined && d !== 'emv' && d !== 'visa2') {
    throw new GpError('ERR_GP_PARAM', `SCP02 diversification must be emv or visa2, got ${String(d)}`);
  }
  return new PlainScp02Keys(options);
}
