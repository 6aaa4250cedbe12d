/**
 * KIc and KID (ETSI TS 102 225 §5.1.2, §5.1.3): key index (high nibble) and algorithm (low nibble),
 * and the ciphering and cryptographic-checksum operations they select. All crypto comes from
 * crypto/; IVs are zero as §5.1.2/§5.1.3 require. LEGACY: single DES and 2-key 3DES are offered
 * because deployed UICCs still use them.
 */
import { assertBytes, assertInt } from '../bytes/index.ts';
import {
  aesCbcDecrypt,
  aesCbcEncrypt,
  aesCmac,
  cbcMacDes,
  desCbcEncrypt,
  desEcbDecrypt,
  desEcbEncrypt,
  tdesCbcDecrypt,
  tdesCbcEncrypt,
} from '../crypto/index.ts';
import { OtaError } from './errors.ts';

/** The algorithms a KIc/KID low nibble can select here. */
export const OTA_ALGORITHMS = ['des-cbc', '3des-2key', '3des-3key', 'aes', 'des-ecb'] as const;
export type OtaAlgorithm = (typeof OTA_ALGORITHMS)[number];

/** Per algorithm: low-nibble code, key lengths, cipher block size (variants as data, CONVENTIONS.md §10). */
const ALGORITHM: Readonly<Record<OtaAlgorithm, { nibble: number; keyLengths: readonly number[]; block: number; kicOnly: boolean }>> = {
  // §5.1.2/§5.1.3: b2b1 = 01 DES family, b4b3 = 00 DES-CBC, 01 3DES outer-CBC 2 keys, 10 3 keys
  'des-cbc': { nibble: 0x1, keyLengths: [8], block: 8, kicOnly: false },
  '3des-2key': { nibble: 0x5, keyLengths: [16], block: 8, kicOnly: false },
  '3des-3key': { nibble: 0x9, keyLengths: [24], block: 8, kicOnly: false },
  // b2b1 = 10 AES, b4b3 = 00: AES-CBC for KIc, AES-CMAC for KID
  aes: { nibble: 0x2, keyLengths: [16, 24, 32], block: 16, kicOnly: false },
  // §5.1.2 (KIc only): b2b1 = 01, b4b3 = 11 DES in ECB mode; for a KID (§5.1.3) b4b3 = 11 is reserved
  'des-ecb': { nibble: 0xd, keyLengths: [8], block: 8, kicOnly: true },
};

/** A decoded KIc or KID byte. */
export interface OtaKeyId {
  readonly kind: 'ota-key-id';
  /** Key index 0..15 (high nibble). */
  readonly index: number;
  readonly algorithm: OtaAlgorithm;
}

/** Clear KIc and KID key bytes (card side, or a host without an HSM). */
export interface OtaKeys {
  readonly kic: Uint8Array;
  readonly kid: Uint8Array;
}

/** Builds a frozen KIc/KID value. */
export function otaKeyId(index: number, algorithm: OtaAlgorithm): OtaKeyId {
  assertInt(index, 0, 15, 'OTA key index');
  if (!(algorithm in ALGORITHM)) throw new OtaError('ERR_OTA_PARAM', `OTA algorithm: expected one of ${OTA_ALGORITHMS.join(', ')}`);
  return Object.freeze({ kind: 'ota-key-id', index, algorithm });
}

/**
 * Decodes a KIc or KID byte for ciphering / CC. Implicit (b2b1 = 00) and proprietary (11)
 * algorithms and the reserved b4b3 codings are refused: nothing here can run them.
 */
export function parseKeyId(byte: number, role: 'KIc' | 'KID'): OtaKeyId {
  assertInt(byte, 0, 0xff, role);
  const low = byte & 0x0f;
  for (const [algorithm, { nibble, kicOnly }] of Object.entries(ALGORITHM)) {
    if (nibble === low && !(kicOnly && role === 'KID')) return otaKeyId(byte >> 4, algorithm as OtaAlgorithm);
  }
  const family = low & 0x03;
  const what = family === 0 ? 'implicit algorithm' : family === 3 ? 'proprietary algorithm' : 'reserved mode';
  throw new OtaError('ERR_OTA_UNSUPPORTED', `${role} ${byte.toString(16).padStart(2, '0')}: ${what} not supported`);
}

/** Encodes a KIc or KID byte. */
export function encodeKeyId(id: OtaKeyId): number {
  return (id.index << 4) | ALGORITHM[id.algorithm].nibble;
}

/** The cipher block size of an algorithm (8 for DES/3DES, 16 for AES). */
export function blockSize(algorithm: OtaAlgorithm): number {
  return ALGORITHM[algorithm].block;
}

/** Asserts that `key` fits `algorithm` (a 2-key 3DES KIc is 16 bytes, and so on). */
export function assertOtaKey(key: Uint8Array, algorithm: OtaAlgorithm, name: string): void {
  assertBytes(key, undefined, name);
  if (!ALGORITHM[algorithm].keyLengths.includes(key.length)) {
    throw new OtaError('ERR_OTA_KEY', `${name}: ${algorithm} takes ${ALGORITHM[algorithm].keyLengths.join(' or ')} bytes, got ${key.length}`);
  }
}

const zeroIv = (algorithm: OtaAlgorithm): Uint8Array => new Uint8Array(ALGORITHM[algorithm].block);

/** Whether an algorithm can serve as a KID (the CC); DES-ECB is a KIc coding only (§5.1.2). */
export function isCcAlgorithm(algorithm: OtaAlgorithm): boolean {
  return !ALGORITHM[algorithm].kicOnly;
}

/** §5.1.2: encrypts block-aligned data in CBC mode with a zero IV (or single DES in ECB mode) under the KIc key. */
export function otaEncrypt(key: Uint8Array, data: Uint8Array, options: { algorithm: OtaAlgorithm }): Uint8Array {
  const { algorithm } = options;
  assertOtaKey(key, algorithm, 'KIc key');
  if (algorithm === 'des-ecb') return desEcbEncrypt(key, data);
  const iv = zeroIv(algorithm);
  if (algorithm === 'aes') return aesCbcEncrypt(key, data, { iv });
  return algorithm === 'des-cbc' ? desCbcEncrypt(key, data, { iv }) : tdesCbcEncrypt(key, data, { iv });
}

/** §5.1.2: CBC decryption with a zero IV under the KIc key. */
export function otaDecrypt(key: Uint8Array, data: Uint8Array, options: { algorithm: OtaAlgorithm }): Uint8Array {
  const { algorithm } = options;
  assertOtaKey(key, algorithm, 'KIc key');
  if (algorithm === 'des-ecb') return desEcbDecrypt(key, data);
  const iv = zeroIv(algorithm);
  if (algorithm === 'aes') return aesCbcDecrypt(key, data, { iv });
  // an 8-byte key is single DES in crypto/'s 3DES (K1 = K2 = K3)
  return tdesCbcDecrypt(key, data, { iv });
}

/**
 * §5.1.3: the 8-byte cryptographic checksum under the KID key. DES/3DES: ISO 9797-1 MAC
 * algorithm 1 (CBC-MAC, zero IV) with padding method 1 (zeros); AES: CMAC (RFC 4493) truncated to
 * 8 bytes.
 */
export function otaCc(key: Uint8Array, data: Uint8Array, options: { algorithm: OtaAlgorithm }): Uint8Array {
  const { algorithm } = options;
  assertOtaKey(key, algorithm, 'KID key');
  if (!isCcAlgorithm(algorithm)) throw new OtaError('ERR_OTA_UNSUPPORTED', `KID: ${algorithm} is a ciphering mode only, not a CC algorithm`);
  if (algorithm === 'aes') return aesCmac(key, data, { length: 8 });
  return cbcMacDes(key, data, { padding: 1, length: 8 });
}
