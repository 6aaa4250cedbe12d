/**
 * General keyed operations: MACs (each algorithm tied to its X9.143 usage by MAC_USAGE), data
 * encryption under D0 keys with an explicit mode and IV, and random bytes.
 *
 * Fixed parameters, as the interface takes none (CONVENTIONS.md §9 asks them explicit: they are
 * stated here and in the report):
 * - 'iso9797-1-alg1' (M1) and 'retail-mac' (M3): 8-byte MAC, zero IV, ISO 9797-1 padding method 2
 *   unless the caller names method 1 (MacParameters, shared/mac-mechanism.ts); MAC algorithm 1 is
 *   the CBC-MAC with the key's full TDES (2 or 3 keys); the retail MAC takes a double-length key;
 * - 'cmac' (M6): AES-CMAC (16 bytes, RFC 4493) or TDES-CMAC (8 bytes, SP 800-38B);
 * - 'hmac-sha256' (M7): HMAC-SHA-256 (RFC 2104, FIPS 180-4), 32 bytes.
 * `verifyMac` accepts a MAC truncated to its leftmost bytes down to a floor per algorithm (4 bytes
 * for the DES MACs, 8 for CMAC, 16 for HMAC) and compares in constant time.
 */
import { createHmac } from 'node:crypto';
import { equalCt } from '../../bytes/index.ts';
import {
  aesCbcDecrypt,
  aesCbcEncrypt,
  aesCmac,
  aesEcbDecrypt,
  aesEcbEncrypt,
  cbcMacDes,
  randomBytes,
  retailMac,
  tdesCbcDecrypt,
  tdesCbcEncrypt,
  tdesCmac,
  tdesEcbDecrypt,
  tdesEcbEncrypt,
} from '../../crypto/index.ts';
import type { OperationContext } from '../context.ts';
import { HsmError } from '../errors.ts';
import type { DataCipherOptions, MacAlgorithm, MacMechanism } from '../hsm.ts';
import { desMacPadding, resolveMac, type ResolvedMac } from '../shared/mac-mechanism.ts';
import { MAC_USAGE } from '../usage-policy.ts';
import type { Trail } from '../shared/audit-trail.ts';
import type { SoftwareCore } from './core.ts';
import type { LoadedKey } from './key-vault.ts';

/** The largest message or data the HSM takes in one call. */
export const MAX_DATA_BYTES = 1 << 20;

/** The shortest truncated MAC `verifyMac` accepts, per algorithm. */
export const MIN_MAC_BYTES: Readonly<Record<MacAlgorithm, number>> = { 'iso9797-1-alg1': 4, 'retail-mac': 4, cmac: 8, 'hmac-sha256': 16 };

function checkData(data: unknown, what: string): asserts data is Uint8Array {
  if (!(data instanceof Uint8Array) || data.length > MAX_DATA_BYTES) throw new HsmError('ERR_HSM_PARAM', `${what}: a Uint8Array of at most ${MAX_DATA_BYTES} bytes`);
}

async function macKey(core: SoftwareCore, id: string, algorithm: MacAlgorithm, verifying: boolean, ctx: OperationContext, trail: Trail): Promise<LoadedKey> {
  const key = await core.vault.usable(id, verifying ? 'mac-verify' : 'mac-generate', ctx, trail);
  if (key.record.attributes.usage !== MAC_USAGE[algorithm]) {
    throw new HsmError('ERR_HSM_USAGE', `key ${key.record.id} (KCV ${key.record.kcv}, usage ${key.record.attributes.usage}) is not a ${MAC_USAGE[algorithm]} key, which ${algorithm} needs`);
  }
  if (algorithm === 'retail-mac' && key.record.attributes.length !== 16) throw new HsmError('ERR_HSM_UNSUPPORTED', 'the retail MAC takes a double-length TDES key');
  return key;
}

function computeMac(key: Uint8Array, mac: ResolvedMac, keyAlgorithm: string, data: Uint8Array): Uint8Array {
  switch (mac.algorithm) {
    case 'iso9797-1-alg1':
      return cbcMacDes(key, data, { padding: desMacPadding(mac), length: 8 });
    case 'retail-mac':
      return retailMac(key, data, { padding: desMacPadding(mac), length: 8 });
    case 'cmac':
      return keyAlgorithm === 'A' ? aesCmac(key, data, { length: 16 }) : tdesCmac(key, data, { length: 8 });
    case 'hmac-sha256':
      return new Uint8Array(createHmac('sha256', key).update(data).digest());
  }
}

export async function generateMac(core: SoftwareCore, id: string, data: Uint8Array, mechanism: MacMechanism, ctx: OperationContext, trail: Trail): Promise<Uint8Array> {
  checkData(data, 'MAC data');
  const mac = resolveMac(mechanism);
  const key = await macKey(core, id, mac.algorithm, false, ctx, trail);
  return core.vault.withKey(key.record, (k) => computeMac(k, mac, key.record.attributes.algorithm, data));
}

export async function verifyMac(core: SoftwareCore, id: string, data: Uint8Array, mac: Uint8Array, mechanism: MacMechanism, ctx: OperationContext, trail: Trail): Promise<boolean> {
  checkData(data, 'MAC data');
  if (!(mac instanceof Uint8Array)) throw new HsmError('ERR_HSM_PARAM', 'MAC: expected a Uint8Array');
  const resolved = resolveMac(mechanism);
  const key = await macKey(core, id, resolved.algorithm, true, ctx, trail);
  const full = core.vault.withKey(key.record, (k) => computeMac(k, resolved, key.record.attributes.algorithm, data));
  const usable = mac.length >= MIN_MAC_BYTES[resolved.algorithm] && mac.length <= full.length;
  const ok = equalCt(usable ? full.subarray(0, mac.length) : full, mac) && usable;
  trail.detail = ok ? 'MAC verified' : 'MAC did not verify';
  return ok;
}

type Direction = 'encrypt' | 'decrypt';

const CIPHERS = {
  T: { block: 8, ecb: { encrypt: tdesEcbEncrypt, decrypt: tdesEcbDecrypt }, cbc: { encrypt: tdesCbcEncrypt, decrypt: tdesCbcDecrypt } },
  A: { block: 16, ecb: { encrypt: aesEcbEncrypt, decrypt: aesEcbDecrypt }, cbc: { encrypt: aesCbcEncrypt, decrypt: aesCbcDecrypt } },
} as const;

/** D0 data encryption or decryption, ECB or CBC with an explicit IV, no padding (block-aligned data). */
export async function cipherData(core: SoftwareCore, id: string, data: Uint8Array, options: DataCipherOptions, direction: Direction, ctx: OperationContext, trail: Trail): Promise<Uint8Array> {
  checkData(data, 'data');
  if (options?.mode !== 'ecb' && options?.mode !== 'cbc') throw new HsmError('ERR_HSM_PARAM', "mode: 'ecb' or 'cbc'");
  const key = await core.vault.usable(id, direction === 'encrypt' ? 'data-encrypt' : 'data-decrypt', ctx, trail);
  const algorithm = key.record.attributes.algorithm;
  if (algorithm !== 'T' && algorithm !== 'A') throw new HsmError('ERR_HSM_UNSUPPORTED', `algorithm ${algorithm} data keys are not supported`);
  const c = CIPHERS[algorithm];
  if (data.length === 0 || data.length % c.block !== 0) throw new HsmError('ERR_HSM_PARAM', `data: a non-empty multiple of ${c.block} bytes (no implicit padding)`);
  if (options.mode === 'ecb' && options.iv !== undefined) throw new HsmError('ERR_HSM_PARAM', 'ECB takes no IV');
  if (options.mode === 'cbc' && (!(options.iv instanceof Uint8Array) || options.iv.length !== c.block)) {
    throw new HsmError('ERR_HSM_PARAM', `CBC needs an explicit ${c.block}-byte IV`);
  }
  return core.vault.withKey(key.record, (k) => (options.mode === 'ecb' ? c.ecb[direction](k, data) : c.cbc[direction](k, data, { iv: options.iv! })));
}

/** `length` random bytes (1 to 65 536) from the operating system's CSPRNG. */
export function random(length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 1 || length > 65536) throw new HsmError('ERR_HSM_PARAM', 'random length: 1 to 65536 bytes');
  return randomBytes(length);
}
