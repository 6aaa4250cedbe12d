/**
 * Enciphered PIN data for the issuer-script PIN CHANGE/UNBLOCK command (EMV 4.4 Book 2 §9.3 and
 * Book 3 §6.5.10): the VIS PIN block. The EMV/Mastercard alternative is the ISO 9564-1 format 2
 * block of pin-block.ts. Either is then enciphered with encryptScriptData.
 */
import { concat, wipe, xor } from '../bytes/index.ts';
import { assertEmvBytes } from './assert.ts';
import { digitNibbles, packNibbles } from './digits.ts';
import { assertPin } from './pin.ts';

/**
 * The VIS PIN block (Visa Integrated Circuit Card Specification, as pyemv 1.5.0
 * sm.format_vis_pin_block; research/hsm-emv.md §3.5):
 * (00×4 ‖ MK_AC[4..8]) ⊕ (0N ‖ PIN ‖ F-fill), then, when the current PIN is given, ⊕ (current PIN
 * right-padded with 0 to 16 digits). `iccMkAc` is the card's 16-byte ICC master key for AC.
 */
export function encodeVisPinBlock(iccMkAc: Uint8Array, pin: string, currentPin: string | null): Uint8Array {
  assertEmvBytes(iccMkAc, [16], 'ICC master key for AC', 'ERR_EMV_KEY');
  assertPin(pin);
  if (currentPin !== null) assertPin(currentPin, 'current PIN');
  const keyPart = concat(new Uint8Array(4), iccMkAc.subarray(4, 8));
  const pinPart = packNibbles([0x0, pin.length, ...digitNibbles(pin), ...new Array<number>(14 - pin.length).fill(0xf)]);
  let block = xor(keyPart, pinPart);
  if (currentPin !== null) {
    const current = packNibbles([...digitNibbles(currentPin), ...new Array<number>(16 - currentPin.length).fill(0)]);
    const next = xor(block, current);
    wipe(block, current);
    block = next;
  }
  wipe(keyPart, pinPart);
  return block;
}
