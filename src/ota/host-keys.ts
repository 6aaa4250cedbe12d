/**
 * The host side's keyed operations on one KIc/KID key set, behind an interface so an HSM can hold
 * the keys (ARCHITECTURE.md §2: ota/ declares it, hsm/ implements it). `plainOtaHostKeys` is the
 * clear-key implementation for tests and HSM-less deployments; it prints as KCVs only.
 */
import { inspect } from 'node:util';
import { copy, toHex, wipe } from '../bytes/index.ts';
import { kcv } from '../crypto/index.ts';
import { OtaError } from './errors.ts';
import { assertOtaKey, otaCc, otaDecrypt, otaEncrypt, type OtaAlgorithm } from './keys.ts';

/** Keyed operations of ETSI TS 102 225 §5.1.2/§5.1.3 on one key set; the algorithm is the one the KIc/KID byte names. */
export interface OtaHostKeys {
  /** CBC encryption, zero IV, under the KIc key (block-aligned data). */
  encrypt(data: Uint8Array, options: { algorithm: OtaAlgorithm }): Promise<Uint8Array>;
  /** CBC decryption, zero IV, under the KIc key (block-aligned data). */
  decrypt(data: Uint8Array, options: { algorithm: OtaAlgorithm }): Promise<Uint8Array>;
  /** The 8-byte cryptographic checksum under the KID key. */
  cc(data: Uint8Array, options: { algorithm: OtaAlgorithm }): Promise<Uint8Array>;
  /** A description naming keys by KCV or handle only, never by their bytes (CONVENTIONS.md §8). */
  toString(): string;
}

/** One clear key and the algorithm it is for. */
export interface OtaKeySpec {
  readonly key: Uint8Array;
  readonly algorithm: OtaAlgorithm;
}

const kcvOf = (s: OtaKeySpec): string => toHex(kcv(s.key, s.algorithm === 'aes' ? 'aes-cmac' : 'tdes-zeros'));

class PlainOtaHostKeys implements OtaHostKeys {
  readonly #kic: OtaKeySpec;
  readonly #kid: OtaKeySpec;
  readonly #description: string;
  #closed = false;

  constructor(kic: OtaKeySpec, kid: OtaKeySpec) {
    assertOtaKey(kic.key, kic.algorithm, 'KIc key');
    assertOtaKey(kid.key, kid.algorithm, 'KID key');
    this.#kic = { key: copy(kic.key), algorithm: kic.algorithm };
    this.#kid = { key: copy(kid.key), algorithm: kid.algorithm };
    this.#description = `OtaHostKeys(KIc ${kic.algorithm} KCV ${kcvOf(kic)}, KID ${kid.algorithm} KCV ${kcvOf(kid)})`;
  }

  #use(spec: OtaKeySpec, algorithm: OtaAlgorithm, role: string): Uint8Array {
    if (this.#closed) throw new OtaError('ERR_OTA_KEY', `${role} key: used after close()`);
    if (spec.algorithm !== algorithm) throw new OtaError('ERR_OTA_KEY', `${role} key is for ${spec.algorithm}, the packet names ${algorithm}`);
    return spec.key;
  }

  encrypt(data: Uint8Array, options: { algorithm: OtaAlgorithm }): Promise<Uint8Array> {
    return Promise.resolve().then(() => otaEncrypt(this.#use(this.#kic, options.algorithm, 'KIc'), data, options));
  }

  decrypt(data: Uint8Array, options: { algorithm: OtaAlgorithm }): Promise<Uint8Array> {
    return Promise.resolve().then(() => otaDecrypt(this.#use(this.#kic, options.algorithm, 'KIc'), data, options));
  }

  cc(data: Uint8Array, options: { algorithm: OtaAlgorithm }): Promise<Uint8Array> {
    return Promise.resolve().then(() => otaCc(this.#use(this.#kid, options.algorithm, 'KID'), data, options));
  }

  /** Wipes the key copies; the object cannot be used afterwards. */
  close(): void {
    this.#closed = true;
    wipe(this.#kic.key, this.#kid.key);
  }

  toString(): string {
    return this.#closed ? 'OtaHostKeys(closed)' : this.#description;
  }

  toJSON(): string {
    return this.toString();
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/**
 * Clear-key host keys for one key set (the keys are copied; `close()` wipes the copies).
 * @example plainOtaHostKeys({ key: kicKey, algorithm: 'aes' }, { key: kidKey, algorithm: 'aes' })
 */
export function plainOtaHostKeys(kic: OtaKeySpec, kid: OtaKeySpec): OtaHostKeys & { close(): void } {
  return new PlainOtaHostKeys(kic, kid);
}
