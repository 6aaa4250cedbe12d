/**
 * SCP03 cryptography as pure functions over key bytes (GPC Amd D v1.1.1 §4.1.5, §6.2; S16 from
 * Amd D v1.2), shared by the host and the card side.
 */
import { concat, uintBe } from '../../bytes/index.ts';
import { scp03Kdf, type HeldKey } from '../../crypto/index.ts';
import { GpError } from '../errors.ts';
import { assertGpBytes, assertGpInt, assertGpKey } from './assert.ts';

/** GPC Amd D v1.1.1 Table 4-1: data derivation constants. */
export const SCP03_DERIVATION = {
  CARD_CRYPTOGRAM: 0x00,
  HOST_CRYPTOGRAM: 0x01,
  CARD_CHALLENGE: 0x02,
  S_ENC: 0x04,
  S_MAC: 0x06,
  S_RMAC: 0x07,
} as const;

/** The largest 3-byte sequence counter (GPC Amd D v1.1.1 §6.2.2.1). */
export const SCP03_MAX_SEQUENCE_COUNTER = 0xffffff;

const AID_LENGTHS = [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16] as const;

/**
 * GPC Amd D v1.1.1 §6.2.1: a session key = KDF(static key, constant, context = host challenge ‖ card
 * challenge), L = the static key length. The static key may be held by an HSM (each KDF block is
 * its CMAC); the session key is returned as bytes either way.
 * @example scp03SessionKey(staticMac, SCP03_DERIVATION.S_MAC, concat(hostChallenge, cardChallenge))
 */
export function scp03SessionKey(staticKey: Uint8Array | HeldKey, constant: number, context: Uint8Array): Uint8Array {
  assertGpKey(staticKey, 'aes', [16, 24, 32], 'SCP03 static key');
  assertGpBytes(context, undefined, 'SCP03 session-key context');
  return scp03Kdf(staticKey, constant, context, staticKey.length * 8);
}

/**
 * GPC Amd D v1.1.1 §6.2.2.2–3 (v1.2 for S16): card (constant 00) or host (01) cryptogram = KDF(S-MAC,
 * constant, host challenge ‖ card challenge), as long as the challenges (8 or 16 bytes).
 */
export function scp03Cryptogram(sMac: Uint8Array, constant: 0x00 | 0x01, hostChallenge: Uint8Array, cardChallenge: Uint8Array): Uint8Array {
  assertGpBytes(sMac, [16, 24, 32], 'SCP03 S-MAC key', 'ERR_GP_KEY');
  assertGpBytes(hostChallenge, [8, 16], 'SCP03 host challenge');
  assertGpBytes(cardChallenge, [hostChallenge.length], 'SCP03 card challenge');
  return scp03Kdf(sMac, constant, concat(hostChallenge, cardChallenge), hostChallenge.length * 8);
}

/**
 * GPC Amd D v1.1.1 §6.2.2.1: pseudo-random card challenge = KDF(static ENC, 02, sequence counter (3)
 * ‖ SD AID), 8 bytes (S16: 16).
 */
export function scp03CardChallenge(staticEnc: Uint8Array | HeldKey, sequenceCounter: number, sdAid: Uint8Array, length: 8 | 16): Uint8Array {
  assertGpInt(sequenceCounter, 0, SCP03_MAX_SEQUENCE_COUNTER, 'SCP03 sequence counter', 'ERR_GP_COUNTER');
  assertGpKey(staticEnc, 'aes', [16, 24, 32], 'SCP03 static ENC key');
  assertGpBytes(sdAid, AID_LENGTHS, 'Security Domain AID');
  if (length !== 8 && length !== 16) throw new GpError('ERR_GP_PARAM', `SCP03 challenge length must be 8 or 16, got ${String(length)}`);
  return scp03Kdf(staticEnc, SCP03_DERIVATION.CARD_CHALLENGE, concat(uintBe(sequenceCounter, 3), sdAid), length * 8);
}

/**
 * GPC Amd D v1.1.1 §6.2.6–7: the counter block whose encryption under S-ENC is the ICV: the
 * counter big-endian in 16 bytes, with the first byte set to 80 for responses.
 */
export function scp03CounterBlock(counter: number, response: boolean): Uint8Array {
  assertGpInt(counter, 1, Number.MAX_SAFE_INTEGER, 'SCP03 encryption counter', 'ERR_GP_COUNTER');
  const block = new Uint8Array(16);
  block.set(uintBe(counter, 6), 10);
  if (response) block[0] = 0x80; // Amd D §6.2.7: "most significant byte of this block shall be set to '80'"
  return block;
}

/**
 * The Lc field inside the C-MAC input: one byte, or 00 ‖ two bytes when the wrapped data exceeds
 * 255 bytes. Amd D defines only the short case; the extended coding follows GlobalPlatformPro
 * (PR #161), so extended-length SCP03 interoperates with it.
 */
export function scp03LcField(length: number): Uint8Array {
  assertGpInt(length, 0, 0xffff, 'SCP03 wrapped Lc');
  return length <= 0xff ? Uint8Array.of(length) : Uint8Array.of(0x00, length >> 8, length & 0xff);
}

/**
 * GPC Amd D v1.1.1 §6.2.4: the C-MAC input, MAC chaining value ‖ CLA' INS P1 P2 Lc' ‖ data', where
 * Lc' counts the MAC and data' is the (encrypted) data field; Le is not included.
 */
export function scp03CommandMacInput(
  mcv: Uint8Array,
  header: { cla: number; ins: number; p1: number; p2: number },
  data: Uint8Array,
  macLength: number,
): readonly Uint8Array[] {
  return [mcv, Uint8Array.of(header.cla, header.ins, header.p1, header.p2), scp03LcField(data.length + macLength), data];
}

/** GPC Amd D v1.1.1 §6.2.5: the R-MAC input, MAC chaining value ‖ response data' ‖ SW1 SW2. */
export function scp03ResponseMacInput(mcv: Uint8Array, data: Uint8Array, sw: number): readonly Uint8Array[] {
  return [mcv, data, uintBe(sw, 2)];
}

/**
 * GPC Amd D v1.1.1 §6.2.5: responses with 9000 or a warning (62xx, 63xx) are protected; any other
 * status word is an error and travels alone, without data or R-MAC.
 */
export function scp03IsProtectedStatus(sw: number): boolean {
  const sw1 = sw >> 8;
  return sw === 0x9000 || sw1 === 0x62 || sw1 === 0x63;
}
