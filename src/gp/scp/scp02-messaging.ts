/**
 * SCP02 secure messaging on APDUs (GPC 2.3.1 §E.3–E.4, "i" = 15/55: C-MAC on the modified APDU,
 * ICV encryption): protecting and verifying commands as pure steps over an explicit chain state.
 * The C-MAC covers the plain data; C-DECRYPTION then encrypts the data field (§E.4.6).
 *
 * LEGACY: SCP02 is deprecated and built on single DES (see scp02-crypto.ts).
 */
import { concat, equalCt } from '../../bytes/index.ts';
import { commandApdu, type CommandApdu } from '../../apdu/index.ts';
import { unpadMethod2 } from '../../crypto/index.ts';
import { GpError } from '../errors.ts';
import { cardRefusal } from './assert.ts';
import { hasSecureMessaging, isValidCla, macCla, withSecureMessaging, withoutSecureMessaging } from './cla.ts';
import { scp02MacInput, scp02PadData } from './scp02-crypto.ts';
import type { Scp02SessionKeys } from './scp02-keys.ts';
import type { SecurityLevel } from './security-level.ts';

/** The fixed parameters of one SCP02 session's secure messaging. */
export interface Scp02Protection {
  readonly level: SecurityLevel;
  /** GPC 2.3.1 Table E-1 b5: encrypt the ICV before each C-MAC after the first. */
  readonly icvEncryption: boolean;
}

/** The chained state: the last verified C-MAC (undefined before EXTERNAL AUTHENTICATE). */
export interface Scp02Chain {
  readonly lastMac: Uint8Array | undefined;
}

/** The chain before EXTERNAL AUTHENTICATE (GPC 2.3.1 §E.3.2: ICV zero). */
export const SCP02_INITIAL_CHAIN: Scp02Chain = Object.freeze({ lastMac: undefined });

const MAC_LENGTH = 8;
const SW_SECURITY = 0x6982;

/** Data length after C-DECRYPTION padding (none for an empty field) plus the 8-byte C-MAC. */
export function scp02WrappedDataLength(plainLength: number, protection: Scp02Protection): number {
  if (!protection.level.cMac) return plainLength;
  const padded = protection.level.cDecryption && plainLength > 0 ? (Math.floor(plainLength / 8) + 1) * 8 : plainLength;
  return padded + MAC_LENGTH;
}

/** The most plain command data that still fits a short APDU once wrapped (SCP02 has no extended form). */
export function scp02MaxPlainDataLength(protection: Scp02Protection): number {
  if (!protection.level.cMac) return 0xff;
  const room = 0xff - MAC_LENGTH;
  return protection.level.cDecryption ? Math.floor(room / 8) * 8 - 1 : room;
}

function chainIcv(keys: Scp02SessionKeys, chain: Scp02Chain, protection: Scp02Protection): Uint8Array {
  // GPC 2.3.1 §E.3.2: ICV zero for EXTERNAL AUTHENTICATE; then the previous C-MAC, §E.3.4: encrypted
  if (chain.lastMac === undefined) return new Uint8Array(8);
  return protection.icvEncryption ? keys.encryptIcv(chain.lastMac) : chain.lastMac;
}

/**
 * Host side, GPC 2.3.1 §E.4.4 and §E.4.6: the C-MAC over CLA' INS P1 P2 (Lc + 8) ‖ plain data with
 * the chained ICV, then 3DES-CBC encryption of the padded data field when C-DECRYPTION is on.
 * Security level 00 leaves the command as it is.
 */
export function scp02ProtectCommand(keys: Scp02SessionKeys, chain: Scp02Chain, apdu: CommandApdu, protection: Scp02Protection): { apdu: CommandApdu; chain: Scp02Chain } {
  if (!protection.level.cMac) return { apdu, chain };
  if (apdu.extended) throw new GpError('ERR_GP_LENGTH', 'SCP02 wrap: extended-length APDUs are not defined for SCP02 (GPC 2.3.1 §E.4.4 codes Lc on one byte)');
  const n = apdu.data.length;
  if (scp02WrappedDataLength(n, protection) > 0xff) {
    const max = scp02MaxPlainDataLength(protection);
    const how = protection.level.cDecryption ? '255 − 8 (C-MAC) − padding to 8' : '255 − 8 (C-MAC)';
    throw new GpError('ERR_GP_LENGTH', `SCP02 wrap: ${n} bytes of command data do not fit a short APDU once wrapped; the budget is ${how} = ${max} bytes; chain the command`);
  }
  const cla = withSecureMessaging(apdu.cla);
  const mac = keys.cMac(scp02MacInput(macCla(apdu.cla), apdu.ins, apdu.p1, apdu.p2, apdu.data), chainIcv(keys, chain, protection));
  const data = protection.level.cDecryption && n > 0 ? keys.encrypt(scp02PadData(apdu.data)) : apdu.data;
  const wrapped = commandApdu({ cla, ins: apdu.ins, p1: apdu.p1, p2: apdu.p2, data: concat(data, mac), ne: apdu.ne });
  return { apdu: wrapped, chain: { lastMac: mac } };
}

function secureMessagingFailure(): GpError {
  return cardRefusal('ERR_GP_MAC', SW_SECURITY, 'secure messaging verification failed');
}

function decryptCommandData(keys: Scp02SessionKeys, data: Uint8Array): Uint8Array {
  if (data.length % 8 !== 0) throw secureMessagingFailure();
  try {
    return unpadMethod2(keys.decrypt(data), 8).slice();
  } catch {
    throw secureMessagingFailure(); // a padding error is the same 6982 as a bad MAC (gp.md §6)
  }
}

/**
 * Card side, GPC 2.3.1 §E.4.6 then §E.4.4: decrypts and unpads the data field when C-DECRYPTION is
 * on, then verifies the C-MAC (constant time) with the chained ICV. Every failure is the same
 * `ERR_GP_MAC` carrying 6982.
 */
export function scp02VerifyCommand(keys: Scp02SessionKeys, chain: Scp02Chain, apdu: CommandApdu, protection: Scp02Protection): { apdu: CommandApdu; chain: Scp02Chain } {
  if (!isValidCla(apdu.cla)) throw secureMessagingFailure(); // a class byte we cannot read is a security error in a session
  const secured = hasSecureMessaging(apdu.cla);
  if (!protection.level.cMac) {
    if (secured) throw cardRefusal('ERR_GP_SECURITY_LEVEL', SW_SECURITY, 'secure messaging not expected at security level 00');
    return { apdu, chain };
  }
  if (!secured) throw cardRefusal('ERR_GP_SECURITY_LEVEL', SW_SECURITY, 'command lacks the secure messaging the security level requires');
  const n = apdu.data.length - MAC_LENGTH;
  if (n < 0 || apdu.extended) throw secureMessagingFailure();
  const body = apdu.data.subarray(0, n);
  const mac = apdu.data.slice(n);
  const data = protection.level.cDecryption && n > 0 ? decryptCommandData(keys, body) : body.slice();
  if (data.length + MAC_LENGTH > 0xff) throw secureMessagingFailure();
  const expected = keys.cMac(scp02MacInput(macCla(apdu.cla), apdu.ins, apdu.p1, apdu.p2, data), chainIcv(keys, chain, protection));
  if (!equalCt(expected, mac)) throw secureMessagingFailure();
  const plain = commandApdu({ cla: withoutSecureMessaging(apdu.cla), ins: apdu.ins, p1: apdu.p1, p2: apdu.p2, data, ne: apdu.ne });
  return { apdu: plain, chain: { lastMac: mac } };
}
