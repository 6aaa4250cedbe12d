/**
 * What command and response packets share (ETSI TS 102 225 §5.1, §5.2): which algorithms an SPI
 * and KIc/KID select, the padding count, and the fixed-message CC check.
 */
import { equalCt } from '../bytes/index.ts';
import { OtaError } from './errors.ts';
import { blockSize, otaCc, otaDecrypt, parseKeyId, type OtaAlgorithm } from './keys.ts';
import { POR } from './por-status.ts';
import { parseRcKid, RC_LENGTH, redundancyCheck, type RcKind } from './redundancy-check.ts';
import type { RcCcDs } from './spi.ts';

/**
 * The security one packet carries: the KID algorithm when a CC is present, the CRC when an RC is,
 * the KIc algorithm when ciphered.
 */
export interface PacketSecurity {
  readonly cc: OtaAlgorithm | undefined;
  readonly rc?: RcKind | undefined;
  readonly cipher: OtaAlgorithm | undefined;
}

/** CC length: 8 bytes (§5.1.3; DES/3DES MAC and AES-CMAC truncated to 8). */
export const CC_LENGTH = 8;

/**
 * Resolves the algorithms of a packet. DS is refused: its algorithm is proprietary in §5.1.1.
 */
export function packetSecurity(check: RcCcDs, ciphered: boolean, kic: number, kid: number): PacketSecurity {
  if (check === 'ds') {
    throw new OtaError('ERR_OTA_UNSUPPORTED', 'SPI: digital signature (DS) is proprietary (ETSI TS 102 225 §5.1.1), not supported', {
      porStatus: POR.UNIDENTIFIED_SECURITY_ERROR,
    });
  }
  try {
    return {
      cc: check === 'cc' ? parseKeyId(kid, 'KID').algorithm : undefined,
      rc: check === 'rc' ? parseRcKid(kid) : undefined,
      cipher: ciphered ? parseKeyId(kic, 'KIc').algorithm : undefined,
    };
  } catch (e) {
    if (e instanceof OtaError) throw new OtaError(e.code, e.message, { porStatus: POR.UNIDENTIFIED_SECURITY_ERROR });
    throw e;
  }
}

/** Length of the RC/CC/DS field: 0, the RC's 2 or 4, or the CC's 8. */
export function checkLength(sec: PacketSecurity): number {
  if (sec.cc !== undefined) return CC_LENGTH;
  return sec.rc === undefined ? 0 : RC_LENGTH[sec.rc];
}

/** Computes the RC or CC over `covered` (empty when the packet carries neither); the KID key serves the CC only. */
export function computeCheck(kidKey: Uint8Array, covered: Uint8Array, sec: PacketSecurity): Uint8Array {
  if (sec.cc !== undefined) return otaCc(kidKey, covered, { algorithm: sec.cc });
  return sec.rc === undefined ? new Uint8Array(0) : redundancyCheck(covered, sec.rc);
}

/** Padding octets so that `length` bytes fill whole cipher blocks (the PCNTR value, §5.1). */
export function padCount(length: number, algorithm: OtaAlgorithm | undefined): number {
  if (algorithm === undefined) return 0;
  const block = blockSize(algorithm);
  return (block - (length % block)) % block;
}

/** A ciphered part must be whole cipher blocks, or it is a ciphering error (PoR 05). */
export function assertCipherLength(data: Uint8Array, algorithm: OtaAlgorithm): void {
  if (data.length === 0 || data.length % blockSize(algorithm) !== 0) {
    throw new OtaError('ERR_OTA_CIPHER', 'secured packet: ciphered part is not whole cipher blocks', { porStatus: POR.CIPHERING_ERROR });
  }
}

/** Decrypts the ciphered part under a clear KIc key. */
export function decryptPart(key: Uint8Array, data: Uint8Array, algorithm: OtaAlgorithm): Uint8Array {
  assertCipherLength(data, algorithm);
  return otaDecrypt(key, data, { algorithm });
}

/** Compares a recomputed CC with the received one in constant time; one fixed message on failure (CONVENTIONS.md §2). */
export function checkCc(computed: Uint8Array, received: Uint8Array): void {
  if (!equalCt(computed, received)) {
    throw new OtaError('ERR_OTA_CC', 'secured packet: cryptographic checksum does not verify', { porStatus: POR.RC_CC_DS_FAILED });
  }
}

/** Recomputes the CC under a clear KID key and checks it. */
export function verifyCc(key: Uint8Array, covered: Uint8Array, received: Uint8Array, algorithm: OtaAlgorithm): void {
  checkCc(otaCc(key, covered, { algorithm }), received);
}

/** Recomputes the RC or CC and checks it (same fixed refusal, PoR 01, for both). */
export function verifyCheck(kidKey: Uint8Array, covered: Uint8Array, received: Uint8Array, sec: PacketSecurity): void {
  if (sec.cc === undefined && sec.rc === undefined) return;
  checkCc(computeCheck(kidKey, covered, sec), received);
}
