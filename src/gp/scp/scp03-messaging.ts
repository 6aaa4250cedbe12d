/**
 * SCP03 secure messaging on APDUs (GPC Amd D v1.1.1 §6.2.3–6.2.7; S16 from v1.2): protecting and
 * verifying commands and responses as pure steps over an explicit chain state. The host protects
 * commands and verifies responses; the card does the reverse. Each step returns the next state and
 * changes nothing on failure.
 */
import { concat, equalCt } from '../../bytes/index.ts';
import { commandApdu, responseApdu, type CommandApdu, type ResponseApdu } from '../../apdu/index.ts';
import { padMethod2, unpadMethod2 } from '../../crypto/index.ts';
import { GpError } from '../errors.ts';
import { cardRefusal } from './assert.ts';
import { hasSecureMessaging, isValidCla, macCla, withSecureMessaging, withoutSecureMessaging } from './cla.ts';
import type { Scp03SessionKeys } from './scp03-keys.ts';
import { scp03CommandMacInput, scp03CounterBlock, scp03IsProtectedStatus, scp03ResponseMacInput } from './scp03-crypto.ts';
import type { SecurityLevel } from './security-level.ts';

/** The fixed parameters of one SCP03 session's secure messaging. */
export interface Scp03Protection {
  readonly level: SecurityLevel;
  readonly macLength: 8 | 16;
}

/** The chained state: the 16-byte MAC chaining value and the encryption counter of the last command. */
export interface Scp03Chain {
  readonly mcv: Uint8Array;
  readonly counter: number;
}

/** The chain before EXTERNAL AUTHENTICATE (Amd D §6.2.3: MAC chaining value 16 × 00). */
export const SCP03_INITIAL_CHAIN: Scp03Chain = Object.freeze({ mcv: new Uint8Array(16), counter: 0 });

const SW_SECURITY = 0x6982;

/** Data length after C-DECRYPTION padding (Amd D §6.2.6: none for an empty field) plus the C-MAC. */
export function scp03WrappedDataLength(plainLength: number, protection: Scp03Protection): number {
  if (!protection.level.cMac) return plainLength;
  const padded = protection.level.cDecryption && plainLength > 0 ? (Math.floor(plainLength / 16) + 1) * 16 : plainLength;
  return padded + protection.macLength;
}

/** The most plain command data that still fits a short (255) or extended (65535) APDU once wrapped. */
export function scp03MaxPlainDataLength(protection: Scp03Protection, extended: boolean): number {
  const limit = extended ? 0xffff : 0xff;
  if (!protection.level.cMac) return limit;
  const room = limit - protection.macLength;
  return protection.level.cDecryption ? Math.floor(room / 16) * 16 - 1 : room;
}

function budgetError(plainLength: number, protection: Scp03Protection, extended: boolean): GpError {
  const max = scp03MaxPlainDataLength(protection, extended);
  const how = protection.level.cDecryption ? `${extended ? 65535 : 255} − ${protection.macLength} (C-MAC) − padding to 16` : `${extended ? 65535 : 255} − ${protection.macLength} (C-MAC)`;
  return new GpError(
    'ERR_GP_LENGTH',
    `SCP03 wrap: ${plainLength} bytes of command data do not fit a${extended ? 'n extended' : ' short'} APDU once wrapped; the budget is ${how} = ${max} bytes${extended ? '' : '; chain the command or send it extended'}`,
  );
}

function icv(counter: number, response: boolean): Uint8Array {
  // Amd D §6.2.6–7: ICV = AES(S-ENC, counter block), first byte 80 for responses; the session keys encrypt it
  return scp03CounterBlock(counter, response);
}

/**
 * Host side, Amd D §6.2.4 and §6.2.6: encrypts the data field (C-DECRYPTION, counter ICV), then
 * appends the C-MAC over MCV ‖ modified header ‖ data'. The counter increments for every command,
 * even without data. Security level 00 leaves the command as it is.
 */
export function scp03ProtectCommand(keys: Scp03SessionKeys, chain: Scp03Chain, apdu: CommandApdu, protection: Scp03Protection): { apdu: CommandApdu; chain: Scp03Chain } {
  if (!protection.level.cMac) return { apdu, chain };
  const wrappedLength = scp03WrappedDataLength(apdu.data.length, protection);
  if (wrappedLength > (apdu.extended ? 0xffff : 0xff)) throw budgetError(apdu.data.length, protection, apdu.extended);
  const cla = withSecureMessaging(apdu.cla);
  const counter = chain.counter + 1; // Amd D §6.2.6: incremented for each command, even without data
  const data =
    protection.level.cDecryption && apdu.data.length > 0 ? keys.encrypt(padMethod2(apdu.data, 16), icv(counter, false)) : apdu.data;
  const full = keys.cMac(scp03CommandMacInput(chain.mcv, { cla: macCla(apdu.cla), ins: apdu.ins, p1: apdu.p1, p2: apdu.p2 }, data, protection.macLength));
  const wrapped = commandApdu({
    cla,
    ins: apdu.ins,
    p1: apdu.p1,
    p2: apdu.p2,
    data: concat(data, full.subarray(0, protection.macLength)),
    ne: apdu.ne,
    extended: apdu.extended,
  });
  return { apdu: wrapped, chain: { mcv: full, counter } }; // Amd D §6.2.3: the full 16-byte C-MAC chains
}

function secureMessagingFailure(): GpError {
  return cardRefusal('ERR_GP_MAC', SW_SECURITY, 'secure messaging verification failed');
}

function decryptCommandData(keys: Scp03SessionKeys, data: Uint8Array, counter: number): Uint8Array {
  if (data.length % 16 !== 0) throw secureMessagingFailure();
  try {
    return unpadMethod2(keys.decrypt(data, icv(counter, false)), 16).slice();
  } catch {
    throw secureMessagingFailure(); // GPC Amd D §6.2.6 + gp.md §6: bad padding is the same 6982 as a bad MAC
  }
}

/**
 * Card side, Amd D §6.2.4 and §6.2.6: checks the secure-messaging indication, verifies the C-MAC
 * (constant time) over MCV ‖ modified header ‖ data', then decrypts and unpads the data field.
 * Every failure is the same `ERR_GP_MAC` carrying 6982.
 */
export function scp03VerifyCommand(keys: Scp03SessionKeys, chain: Scp03Chain, apdu: CommandApdu, protection: Scp03Protection): { apdu: CommandApdu; chain: Scp03Chain } {
  if (!isValidCla(apdu.cla)) throw secureMessagingFailure(); // a class byte we cannot read is a security error in a session
  const secured = hasSecureMessaging(apdu.cla);
  if (!protection.level.cMac) {
    // Amd D §5.6: security level 00 expects no secure messaging
    if (secured) throw cardRefusal('ERR_GP_SECURITY_LEVEL', SW_SECURITY, 'secure messaging not expected at security level 00');
    return { apdu, chain };
  }
  if (!secured) throw cardRefusal('ERR_GP_SECURITY_LEVEL', SW_SECURITY, 'command lacks the secure messaging the security level requires');
  const n = apdu.data.length - protection.macLength;
  if (n < 0) throw secureMessagingFailure();
  const body = apdu.data.subarray(0, n);
  const counter = chain.counter + 1; // Amd D §6.2.6: the card counts every command too
  const full = keys.cMac(scp03CommandMacInput(chain.mcv, { cla: macCla(apdu.cla), ins: apdu.ins, p1: apdu.p1, p2: apdu.p2 }, body, protection.macLength));
  if (!equalCt(full.subarray(0, protection.macLength), apdu.data.subarray(n))) throw secureMessagingFailure();
  const data = protection.level.cDecryption && n > 0 ? decryptCommandData(keys, body, counter) : body.slice();
  const plain = commandApdu({ cla: withoutSecureMessaging(apdu.cla), ins: apdu.ins, p1: apdu.p1, p2: apdu.p2, data, ne: apdu.ne, extended: apdu.extended });
  return { apdu: plain, chain: { mcv: full, counter } };
}

/**
 * Card side, Amd D §6.2.5 and §6.2.7: for 9000/62xx/63xx, encrypts non-empty data (R-ENCRYPTION,
 * ICV from the command's counter with first byte 80) and appends the R-MAC over MCV ‖ data' ‖ SW.
 * Error status words travel alone, without data.
 */
export function scp03ProtectResponse(keys: Scp03SessionKeys, chain: Scp03Chain, response: ResponseApdu, protection: Scp03Protection): ResponseApdu {
  if (!protection.level.rMac) return response;
  if (!scp03IsProtectedStatus(response.sw)) return responseApdu(new Uint8Array(0), response.sw); // Amd D §6.2.5
  const data =
    protection.level.rEncryption && response.data.length > 0 ? keys.encrypt(padMethod2(response.data, 16), icv(chain.counter, true)) : response.data;
  const rmac = keys.rMac(scp03ResponseMacInput(chain.mcv, data, response.sw)).subarray(0, protection.macLength);
  return responseApdu(concat(data, rmac), response.sw);
}

function responseFailure(): GpError {
  return new GpError('ERR_GP_MAC', 'response verification failed');
}

/**
 * Host side, Amd D §6.2.5 and §6.2.7: verifies the R-MAC (constant time), then decrypts and unpads
 * R-ENCRYPTED data. An error status word is returned without its data, which no MAC covers.
 */
export function scp03VerifyResponse(keys: Scp03SessionKeys, chain: Scp03Chain, response: ResponseApdu, protection: Scp03Protection): ResponseApdu {
  if (!protection.level.rMac) return response;
  if (!scp03IsProtectedStatus(response.sw)) return responseApdu(new Uint8Array(0), response.sw); // gp.md §6: unauthenticated data ignored
  const n = response.data.length - protection.macLength;
  if (n < 0) throw responseFailure();
  const body = response.data.subarray(0, n);
  const expected = keys.rMac(scp03ResponseMacInput(chain.mcv, body, response.sw)).subarray(0, protection.macLength);
  if (!equalCt(expected, response.data.subarray(n))) throw responseFailure();
  if (!protection.level.rEncryption || n === 0) return responseApdu(body.slice(), response.sw);
  if (n % 16 !== 0) throw responseFailure();
  try {
    return responseApdu(unpadMethod2(keys.decrypt(body, icv(chain.counter, true)), 16).slice(), response.sw);
  } catch {
    throw responseFailure();
  }
}
