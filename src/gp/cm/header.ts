import type { CommandApdu } from '../../apdu/index.ts';
import { assertInt } from '../../bytes/index.ts';
import { badArgument, badData, badHeader, CM_SW } from './fail.ts';

/** Instruction bytes of the card content management commands (GPC 2.3.1 chapter 11). */
export const INS = {
  DELETE: 0xe4,
  GET_DATA: 0xca,
  GET_DATA_ODD: 0xcb,
  GET_STATUS: 0xf2,
  INSTALL: 0xe6,
  LOAD: 0xe8,
  PUT_KEY: 0xd8,
  SELECT: 0xa4,
  SET_STATUS: 0xf0,
  STORE_DATA: 0xe2,
} as const;

/** CLA of a GlobalPlatform command on the basic channel without secure messaging (Table 11-11). */
export const CLA_GP = 0x80;
/** CLA of an ISO command (SELECT, GET DATA 'CB') on the basic channel (Table 11-11). */
export const CLA_ISO = 0x00;

/** The most data one short command carries (GPC 2.3.1 §11.1.5). */
export const MAX_SHORT_DATA = 255;

/**
 * True for a GlobalPlatform proprietary class byte: '80'–'8F', 'C0'–'CF', 'E0'–'EF'
 * (GPC 2.3.1 §11.1.4, Tables 11-11 and 11-12; b5 is 0 outside SCP10 chaining).
 */
export function isGpCla(cla: number): boolean {
  return (cla & 0xf0) === 0x80 || (cla & 0xf0) === 0xc0 || (cla & 0xf0) === 0xe0;
}

/** True for an interindustry (ISO) class byte: '00'–'0F', '40'–'4F', '60'–'6F' (Tables 11-11, 11-12). */
export function isIsoCla(cla: number): boolean {
  return (cla & 0xf0) === 0x00 || (cla & 0xf0) === 0x40 || (cla & 0xf0) === 0x60;
}

/** Checks a host-side CLA argument: a GP class byte (Tables 11-11, 11-12). */
export function gpCla(cla: number | undefined): number {
  const value = cla ?? CLA_GP;
  assertInt(value, 0, 0xff, 'CLA');
  if (!isGpCla(value)) throw badArgument(`CLA ${hex2(value)} is not a GlobalPlatform class byte`);
  return value;
}

/**
 * Card side: checks INS and the class byte of a command before its parser reads it. A wrong class
 * answers 6E00, a wrong instruction 6D00 (Table 11-10).
 */
export function expectCommand(command: CommandApdu, ins: number, name: string, cla: 'gp' | 'iso' | 'any' = 'gp'): void {
  if (typeof command !== 'object' || command === null || command.kind !== 'command-apdu') {
    throw badData(`${name}: expected a CommandApdu`);
  }
  if (command.ins !== ins) throw badHeader(`${name}: INS ${hex2(command.ins)} is not ${hex2(ins)}`, CM_SW.WRONG_INS);
  const ok = cla === 'any' || (cla === 'gp' ? isGpCla(command.cla) : isIsoCla(command.cla));
  if (!ok) throw badHeader(`${name}: CLA ${hex2(command.cla)} is not a ${cla === 'gp' ? 'GlobalPlatform' : 'ISO'} class byte`, CM_SW.WRONG_CLA);
}

/** Two uppercase hex digits. */
export function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}
