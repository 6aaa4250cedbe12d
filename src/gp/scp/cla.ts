/**
 * Class-byte handling for secure messaging (GPC 2.3.1 §11.1.4, Tables 11-11 and 11-12): logical
 * channels 0–3 in the first interindustry coding (SM in b4b3, GP proprietary SM = 01), channels
 * 4–19 in the further coding (SM in b6). MACs are computed on the channel-0 coding with the channel
 * cleared (GPC 2.3.1 §E.4.4, GPC Amd D v1.1.1 §6.2.4).
 */
import { GpError } from '../errors.ts';
import { assertGpInt, hex2 } from './assert.ts';

const FURTHER = 0x40; // b7: further interindustry coding (channels 4–19)
const GP_SM_FIRST = 0x04; // b4b3 = 01: GP proprietary secure messaging (Table 11-11)
const SM_MASK_FIRST = 0x0c;
const SM_FURTHER = 0x20; // b6 (Table 11-12)
const CHAINING = 0x10; // b5: command chaining, kept as is

function checkCla(cla: number, name: string): void {
  assertGpInt(cla, 0, 0xfe, name);
  // ISO 7816-4 §5.4.1: b8b7b6 = 001 is reserved in the first coding
  if ((cla & FURTHER) === 0 && (cla & 0x20) !== 0) throw new GpError('ERR_GP_PARAM', `${name} ${hex2(cla)} uses a reserved class coding`);
}

/** The logical channel (0–19) a class byte addresses. */
export function logicalChannel(cla: number): number {
  checkCla(cla, 'CLA');
  return (cla & FURTHER) !== 0 ? 4 + (cla & 0x0f) : cla & 0x03;
}

/** True when the class byte indicates GP proprietary secure messaging. */
export function hasSecureMessaging(cla: number): boolean {
  checkCla(cla, 'CLA');
  return (cla & FURTHER) !== 0 ? (cla & SM_FURTHER) !== 0 : (cla & SM_MASK_FIRST) === GP_SM_FIRST;
}

/** True when `cla` is a class byte this module can interpret (not a reserved coding, not FF). */
export function isValidCla(cla: number): boolean {
  return Number.isInteger(cla) && cla >= 0 && cla <= 0xfe && ((cla & FURTHER) !== 0 || (cla & 0x20) === 0);
}

/** The class byte with GP secure messaging indicated; refuses a CLA that already carries SM bits. */
export function withSecureMessaging(cla: number): number {
  checkCla(cla, 'CLA');
  if ((cla & FURTHER) !== 0) {
    if ((cla & SM_FURTHER) !== 0) throw new GpError('ERR_GP_PARAM', `CLA ${hex2(cla)} already indicates secure messaging`);
    return cla | SM_FURTHER;
  }
  if ((cla & SM_MASK_FIRST) !== 0) throw new GpError('ERR_GP_PARAM', `CLA ${hex2(cla)} already indicates secure messaging`);
  return cla | GP_SM_FIRST;
}

/** The class byte with the GP secure-messaging indication removed (card side, after verification). */
export function withoutSecureMessaging(cla: number): number {
  checkCla(cla, 'CLA');
  return (cla & FURTHER) !== 0 ? cla & ~SM_FURTHER : cla & ~SM_MASK_FIRST;
}

/**
 * The class byte the C-MAC covers: channel 0 coding, b4 = 0, b3 = 1, chaining bit kept
 * (GPC 2.3.1 §E.4.4; GPC Amd D v1.1.1 §6.2.4: "logical channel number set to zero").
 */
export function macCla(cla: number): number {
  checkCla(cla, 'CLA');
  return (cla & 0x80) | (cla & CHAINING) | GP_SM_FIRST;
}

/**
 * The GP class byte for `channel` (0–19), with or without secure messaging: 80–83/84–87 or
 * C0–CF/E0–EF (GPC 2.3.1 Tables 11-11, 11-12).
 * @example gpCla(0, true) // 0x84
 */
export function gpCla(channel: number, secure: boolean): number {
  assertGpInt(channel, 0, 19, 'logical channel');
  if (channel < 4) return 0x80 | (secure ? GP_SM_FIRST : 0) | channel;
  return 0xc0 | (secure ? SM_FURTHER : 0) | (channel - 4);
}
