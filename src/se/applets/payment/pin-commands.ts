/**
 * Offline PIN on the card: VERIFY with a plaintext PIN (EMV Book 3 §6.5.12, P2 80: ISO 9564-1
 * format 2 block) against the reference PIN and its try counter, and the reading of the new PIN of
 * a PIN CHANGE/UNBLOCK script (EMV Book 3 §6.5.10) once deciphered, per profile `pinChange`.
 */
import { responseApdu, SW, type CommandApdu, type ResponseApdu } from '../../../apdu/index.ts';
import { equalCt, wipe, xor } from '../../../bytes/index.ts';
import { decodePinBlock, encodePinBlock, type CvnProfile } from '../../../emv/index.ts';
import { CardException } from '../../runtime/card-exception.ts';
import { personalizedCard, type CommandEnv } from './command-env.ts';

const PLAINTEXT_PIN = 0x80;

/** VERIFY `00 20 00 80 08 block`: 9000, 63Cx (tries left) on a wrong PIN, 6983 when the counter is 0. */
export function verifyPin(command: CommandApdu, env: CommandEnv): ResponseApdu {
  if (command.p1 !== 0 || command.p2 !== PLAINTEXT_PIN) throw new CardException(SW.INCORRECT_P1P2);
  if (command.data.length !== 8) throw new CardException(SW.WRONG_LENGTH);
  personalizedCard(env.state);
  const { state } = env;
  // ISO/IEC 7816-4 §11.5.6: no reference data (a card personalized without offline PIN) → 6A88
  if (state.pinBlock === undefined) throw new CardException(SW.REFERENCED_DATA_NOT_FOUND, 'payment: no offline PIN');
  if (state.pinTries === 0) throw new CardException(SW.AUTHENTICATION_METHOD_BLOCKED, 'payment: PIN try limit exceeded');
  try {
    decodePinBlock(command.data, { format: 2 });
  } catch {
    throw new CardException(SW.INCORRECT_DATA, 'payment: not a format 2 PIN block');
  }
  // both blocks are canonical format 2 blocks (F fill): equal blocks ⇔ equal PINs
  if (equalCt(state.pinBlock, command.data)) {
    env.save({ ...state, pinTries: state.pinTryLimit });
    return responseApdu(new Uint8Array(0), SW.OK);
  }
  const tries = state.pinTries - 1;
  env.save({ ...state, pinTries: tries });
  // Book 3 §6.5.12.4: 63Cx, x = tries left (the response commits the decrement)
  return responseApdu(new Uint8Array(0), 0x63c0 | tries);
}

/** Nibbles of `pin` right-padded with 0 to 16 (the current-PIN field of the VIS block). */
function currentPinField(pin: string): Uint8Array {
  const hex = pin.padEnd(16, '0');
  return Uint8Array.from({ length: 8 }, (_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16));
}

/**
 * The new PIN of a deciphered PIN CHANGE (P2 01: with the current PIN, P2 02: without), as the
 * reference PIN block to store. VIS (pyemv sm.format_vis_pin_block, emv/pin-change.ts): the block
 * is (00×4 ‖ MK-AC[4..8]) ⊕ (0N ‖ PIN ‖ F…) [⊕ current PIN field]; ISO: a format 2 block.
 * Returns undefined for anything that is not a valid block (the caller answers 6988).
 */
export function newPinBlock(profile: CvnProfile, plain: Uint8Array, p2: number, mkAc: Uint8Array, reference: Uint8Array): Uint8Array | undefined {
  const layout = p2 === 0x01 ? profile.pinChange.withCurrentPin : profile.pinChange.newPin;
  if (layout === null || plain.length !== 8) return undefined;
  let block: Uint8Array = plain.slice();
  if (layout === 'vis') {
    const keyPart = new Uint8Array(8);
    keyPart.set(mkAc.subarray(4, 8), 4);
    let clear = xor(block, keyPart);
    if (p2 === 0x01) {
      const field = currentPinField(decodePinBlock(reference, { format: 2 }));
      const next = xor(clear, field);
      wipe(clear, field);
      clear = next;
    }
    wipe(block, keyPart);
    // 0N ‖ PIN ‖ F-fill is format 2 with control nibble 0
    if ((clear[0]! & 0xf0) !== 0) return undefined;
    clear[0] = 0x20 | clear[0]!;
    block = clear;
  }
  try {
    return encodePinBlock(decodePinBlock(block, { format: 2 }), { format: 2 });
  } catch {
    return undefined;
  } finally {
    wipe(block);
  }
}
