/**
 * The TSM's SCP80 host keys held by the HSM (ETSI TS 102 225 §5.1.2/§5.1.3): an `OtaHostKeys` over
 * two HSM key handles, built from the Hsm interface's generic operations only (hsm/ may not import
 * ota/, so the adapter lives here). What maps:
 * - KIc AES ('aes'): `encryptData` CBC with a zero IV under a D0 AES key;
 * - KIc 3DES ('3des-2key', '3des-3key'): `encryptData` CBC with a zero IV under a D0 TDES key of 16 / 24 bytes;
 * - KID AES ('aes'): `generateMac` 'cmac' under an M6 AES key, the 16-byte CMAC truncated to its leftmost 8 (RFC 4493 / SP 800-38B);
 * - KID 3DES ('3des-2key', '3des-3key'): `generateMac` ISO 9797-1 MAC algorithm 1 with padding
 *   method 1 (MacParameters `{ algorithm: 'iso9797-1-alg1', padding: 'iso9797-m1' }`) under an M1
 *   TDES key of 16 / 24 bytes: the CBC-MAC with the full 3DES, zero IV, the data zero-padded to the
 *   block — what the pySim and asterix vectors hold (a retail MAC would not give them);
 * What the HSM refuses by policy is refused here with ERR_OTA_UNSUPPORTED:
 * - single DES ('des-cbc', 'des-ecb'): the HSM holds no single-length DES keys (X9.24-1, PCI HSM),
 *   and no published SCP80 vector needs one.
 * toString names the keys by handle and (once looked up) KCV, never by value.
 */
import { inspect } from 'node:util';
import type { Hsm, KeyHandle, MacMechanism, OperationContext } from '../../hsm/index.ts';
import { OtaError, type OtaAlgorithm, type OtaHostKeys } from '../../ota/index.ts';

/** The HSM key ids of one OTA key set: `kic` the ciphering key (usage D0), `kid` the CC key (usage M6 for AES, M1 for 3DES). */
export interface HsmOtaKeyIds {
  readonly kic: string;
  readonly kid: string;
}

const CC_BYTES = 8;
const AES_BLOCK = 16;
const TDES_BLOCK = 8;

/** What an OTA algorithm needs of the HSM: the key algorithm and lengths, the cipher block, the CC mechanism. */
interface HsmNeeds {
  readonly algorithm: 'A' | 'T';
  readonly lengths: readonly number[];
  readonly block: number;
  /** TS 102 225 §5.1.3: AES CMAC (RFC 4493); DES family ISO 9797-1 MAC algorithm 1, padding method 1. */
  readonly cc: MacMechanism;
}

const DES_CC: MacMechanism = { algorithm: 'iso9797-1-alg1', padding: 'iso9797-m1' };

const NEEDS: Readonly<Partial<Record<OtaAlgorithm, HsmNeeds>>> = {
  aes: { algorithm: 'A', lengths: [16, 24, 32], block: AES_BLOCK, cc: 'cmac' },
  '3des-2key': { algorithm: 'T', lengths: [16], block: TDES_BLOCK, cc: DES_CC },
  '3des-3key': { algorithm: 'T', lengths: [24], block: TDES_BLOCK, cc: DES_CC },
};

/** The HSM key algorithm, lengths and mechanisms an OTA algorithm needs, or why it cannot run. */
function needsOf(algorithm: OtaAlgorithm, role: 'KIc' | 'KID'): HsmNeeds {
  const needs = Object.hasOwn(NEEDS, algorithm) ? NEEDS[algorithm] : undefined;
  if (needs === undefined) throw new OtaError('ERR_OTA_UNSUPPORTED', `${role} ${String(algorithm)}: single DES is not offered by the HSM (no single-length DES keys)`);
  return needs;
}

class HsmOtaHostKeys implements OtaHostKeys {
  readonly #hsm: Hsm;
  readonly #ctx: OperationContext;
  readonly #ids: HsmOtaKeyIds;
  readonly #handles = new Map<string, Promise<KeyHandle>>();
  readonly #kcvs = new Map<string, string>();

  constructor(hsm: Hsm, ctx: OperationContext, ids: HsmOtaKeyIds) {
    if (typeof ids?.kic !== 'string' || ids.kic === '' || typeof ids.kid !== 'string' || ids.kid === '') {
      throw new OtaError('ERR_OTA_PARAM', 'HSM OTA keys: { kic, kid } must be HSM key ids');
    }
    this.#hsm = hsm;
    this.#ctx = ctx;
    this.#ids = { kic: ids.kic, kid: ids.kid };
  }

  /** The key's handle (looked up once), checked against the algorithm the packet names. */
  async #key(id: string, role: 'KIc' | 'KID', algorithm: 'A' | 'T', lengths: readonly number[], packetAlgorithm: OtaAlgorithm): Promise<KeyHandle> {
    let pending = this.#handles.get(id);
    if (pending === undefined) {
      pending = this.#hsm.getKey(id, this.#ctx);
      this.#handles.set(id, pending);
      pending.catch(() => this.#handles.delete(id));
    }
    const handle = await pending;
    this.#kcvs.set(id, handle.kcv);
    const { algorithm: keyAlgorithm, length } = handle.attributes;
    if (keyAlgorithm !== algorithm || !lengths.includes(length)) {
      throw new OtaError('ERR_OTA_KEY', `${role} key ${id} (KCV ${handle.kcv}, algorithm ${keyAlgorithm}, ${length} bytes) does not fit the packet's ${packetAlgorithm}`);
    }
    return handle;
  }

  async #cipher(data: Uint8Array, algorithm: OtaAlgorithm, direction: 'encrypt' | 'decrypt'): Promise<Uint8Array> {
    const needs = needsOf(algorithm, 'KIc');
    const key = await this.#key(this.#ids.kic, 'KIc', needs.algorithm, needs.lengths, algorithm);
    const options = { mode: 'cbc', iv: new Uint8Array(needs.block) } as const;
    return direction === 'encrypt' ? this.#hsm.encryptData(key.id, data, options, this.#ctx) : this.#hsm.decryptData(key.id, data, options, this.#ctx);
  }

  encrypt(data: Uint8Array, options: { algorithm: OtaAlgorithm }): Promise<Uint8Array> {
    return this.#cipher(data, options.algorithm, 'encrypt');
  }

  decrypt(data: Uint8Array, options: { algorithm: OtaAlgorithm }): Promise<Uint8Array> {
    return this.#cipher(data, options.algorithm, 'decrypt');
  }

  /** TS 102 225 §5.1.3: the 8-byte CC — AES-CMAC truncated, or the 3DES CBC-MAC of the zero-padded data. */
  async cc(data: Uint8Array, options: { algorithm: OtaAlgorithm }): Promise<Uint8Array> {
    const { algorithm } = options;
    const needs = needsOf(algorithm, 'KID');
    const key = await this.#key(this.#ids.kid, 'KID', needs.algorithm, needs.lengths, algorithm);
    const mac = await this.#hsm.generateMac(key.id, data, needs.cc, this.#ctx);
    return mac.slice(0, CC_BYTES);
  }

  #name(id: string): string {
    const kcv = this.#kcvs.get(id);
    return kcv === undefined ? `HSM key ${id}` : `HSM key ${id} KCV ${kcv}`;
  }

  toString(): string {
    return `OtaHostKeys(KIc ${this.#name(this.#ids.kic)}, KID ${this.#name(this.#ids.kid)})`;
  }

  toJSON(): string {
    return this.toString();
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/**
 * SCP80 host keys whose KIc (D0) and KID (M6 AES, M1 3DES) keys stay in the HSM; every operation runs as `ctx`.
 * @example await sealCommandPacket(hsmOtaHostKeys(hsm, ctx, { kic: kicHandle.id, kid: kidHandle.id }), fields)
 */
export function hsmOtaHostKeys(hsm: Hsm, ctx: OperationContext, keys: HsmOtaKeyIds): OtaHostKeys {
  return new HsmOtaHostKeys(hsm, ctx, keys);
}
