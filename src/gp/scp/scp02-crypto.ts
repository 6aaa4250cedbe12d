/**
 * SCP02 cryptography as pure functions over key bytes (GPC 2.3.1 Appendix E), shared by the host
 * and the card side.
 *
 * LEGACY: SCP02 is deprecated by GPC 2.3.1 and chains single DES (retail MAC, ICV encryption); it
 * is here for the UICCs in the field only.
 */
import { concat, uintBe } from '../../bytes/index.ts';
import { cbcMacDes, desEcbEncrypt, retailMac, tdesCbcEncryptWith, padMethod2, type HeldKey } from '../../crypto/index.ts';
import { assertGpBytes, assertGpInt, assertGpKey } from './assert.ts';

/** GPC 2.3.1 §E.4.1: session-key derivation constants. */
export const SCP02_DERIVATION = {
  /** C-MAC session key, from the MAC key. */
  C_MAC: 0x0101,
  /** R-MAC session key, from the MAC key. */
  R_MAC: 0x0102,
  /** Encryption session key S-ENC, from the ENC key. */
  S_ENC: 0x0182,
  /** Data-encryption session key, from the DEK. */
  DEK: 0x0181,
} as const;

const ZERO8 = new Uint8Array(8);

/**
 * GPC 2.3.1 §E.4.1: session key = 3DES-CBC(static key, ICV 0, constant(2) ‖ sequence counter(2) ‖ 00×12).
 * The static key may be held by an HSM (it runs the CBC pass); the session key is returned as bytes.
 * @example scp02SessionKey(staticMac, SCP02_DERIVATION.C_MAC, 0x0001)
 */
export function scp02SessionKey(staticKey: Uint8Array | HeldKey, constant: number, sequenceCounter: number): Uint8Array {
  assertGpKey(staticKey, 'tdes', [16], 'SCP02 static key');
  return tdesCbcEncryptWith(staticKey, scp02SessionKeyInput(constant, sequenceCounter), { iv: ZERO8 });
}

/**
 * GPC 2.3.1 §E.4.1: the 16-byte derivation data constant(2) ‖ sequence counter(2) ‖ 00×12 that
 * 3DES-CBC with a zero ICV turns into a session key — what an HSM feeds its own CBC derivation
 * mechanism (PKCS#11 CKM_DES3_CBC_ENCRYPT_DATA) to keep the session key inside.
 */
export function scp02SessionKeyInput(constant: number, sequenceCounter: number): Uint8Array {
  assertGpInt(constant, 0, 0xffff, 'SCP02 derivation constant');
  assertGpInt(sequenceCounter, 0, 0xffff, 'SCP02 sequence counter', 'ERR_GP_COUNTER');
  return concat(uintBe(constant, 2), uintBe(sequenceCounter, 2), new Uint8Array(12));
}

function fullTdesMac(sEnc: Uint8Array, data: Uint8Array): Uint8Array {
  // GPC 2.3.1 §B.1.2.1: full triple-DES MAC, ICV zero, padding §B.1.3 (ISO 9797-1 method 2)
  return cbcMacDes(sEnc, data, { padding: 2, length: 8, iv: ZERO8 });
}

function checkChallenges(hostChallenge: Uint8Array, sequenceCounter: number, cardChallenge: Uint8Array): void {
  assertGpBytes(hostChallenge, [8], 'SCP02 host challenge');
  assertGpInt(sequenceCounter, 0, 0xffff, 'SCP02 sequence counter', 'ERR_GP_COUNTER');
  assertGpBytes(cardChallenge, [6], 'SCP02 card challenge');
}

/** GPC 2.3.1 §E.4.2.1: card cryptogram = full 3DES MAC(S-ENC) over host challenge ‖ sequence counter ‖ card challenge. */
export function scp02CardCryptogram(sEnc: Uint8Array, hostChallenge: Uint8Array, sequenceCounter: number, cardChallenge: Uint8Array): Uint8Array {
  checkChallenges(hostChallenge, sequenceCounter, cardChallenge);
  return fullTdesMac(sEnc, concat(hostChallenge, uintBe(sequenceCounter, 2), cardChallenge));
}

/** GPC 2.3.1 §E.4.2.2: host cryptogram = full 3DES MAC(S-ENC) over sequence counter ‖ card challenge ‖ host challenge. */
export function scp02HostCryptogram(sEnc: Uint8Array, hostChallenge: Uint8Array, sequenceCounter: number, cardChallenge: Uint8Array): Uint8Array {
  checkChallenges(hostChallenge, sequenceCounter, cardChallenge);
  return fullTdesMac(sEnc, concat(uintBe(sequenceCounter, 2), cardChallenge, hostChallenge));
}

/**
 * GPC 2.3.1 §E.4.2.3: pseudo-random card challenge = the 6 leftmost bytes of the single-DES-plus-
 * final-3DES MAC (C-MAC session key, ICV zero) over the padded AID of the application opening the channel.
 */
export function scp02CardChallenge(cMacKey: Uint8Array, sdAid: Uint8Array): Uint8Array {
  assertGpBytes(sdAid, [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], 'Security Domain AID');
  return retailMac(cMacKey, sdAid, { padding: 2, length: 8, iv: ZERO8 }).slice(0, 6);
}

/**
 * GPC 2.3.1 §E.4.4 "C-MAC generation on modified APDU": the MAC input is CLA' INS P1 P2 (Lc + 8)
 * ‖ plain data, where CLA' has the channel cleared and GP secure messaging set (see `macCla`).
 */
export function scp02MacInput(macClass: number, ins: number, p1: number, p2: number, data: Uint8Array): Uint8Array {
  return concat(Uint8Array.of(macClass, ins, p1, p2, data.length + 8), data);
}

/** GPC 2.3.1 §E.3.4: the next ICV is the previous C-MAC encrypted with single DES under the C-MAC key's left half. */
export function scp02EncryptIcv(cMacKey: Uint8Array, icv: Uint8Array): Uint8Array {
  assertGpBytes(cMacKey, [16], 'SCP02 C-MAC session key', 'ERR_GP_KEY');
  return desEcbEncrypt(cMacKey.subarray(0, 8), icv);
}

/** GPC 2.3.1 §E.4.6: the command data padded for C-DECRYPTION (always at least the 80 byte). */
export function scp02PadData(data: Uint8Array): Uint8Array {
  return padMethod2(data, 8);
}
