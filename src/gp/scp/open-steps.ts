/**
 * The steps of explicit secure-channel initiation common to SCP02 and SCP03 on the host side
 * (GPC 2.3.1 §E.1.2.1 Figure E-1): INITIALIZE UPDATE out and its response checked, EXTERNAL
 * AUTHENTICATE out and its status checked.
 */
import { describeSw, transmit, type ApduTransport, type CommandApdu, type TransmitOptions } from '../../apdu/index.ts';
import { randomBytes } from '../../crypto/index.ts';
import { GpError } from '../errors.ts';
import { assertGpBytes, assertGpInt, hex2 } from './assert.ts';
import { initializeUpdateCommand, parseInitializeUpdateResponse, type InitializeUpdateResponse } from './initialize-update.ts';

/** Options both `openScp02` and `openScp03` take. */
export interface OpenOptionsBase {
  /** EXTERNAL AUTHENTICATE P1 (see `SECURITY_LEVEL`); explicit, there is no default. */
  securityLevel: number;
  /** A fixed host challenge (tests, offline scripts); default: fresh from the CSPRNG. */
  hostChallenge?: Uint8Array;
  /** The Security Domain's AID: when given, a pseudo-random card challenge is checked against it. */
  sdAid?: Uint8Array;
  /** Logical channel 0–19 (default 0). */
  channel?: number;
  /**
   * Accept an INITIALIZE UPDATE response naming another KVN than the one requested (some UICCs,
   * e.g. the sysmoISIM answering 70 per pySim). Default false: a mismatch is `ERR_GP_KEY`.
   */
  allowKeyVersionMismatch?: boolean;
  /** Passed to `transmit` of apdu/ (GET RESPONSE limits). */
  transmitOptions?: TransmitOptions;
}

/** Validates the common options and picks the host challenge. */
export function hostChallengeFor(options: OpenOptionsBase, length: 8 | 16): Uint8Array {
  if (typeof options !== 'object' || options === null) throw new GpError('ERR_GP_PARAM', 'open: options are required');
  assertGpInt(options.channel ?? 0, 0, 19, 'logical channel');
  if (options.sdAid !== undefined) assertGpBytes(options.sdAid, [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], 'Security Domain AID');
  if (options.hostChallenge === undefined) return randomBytes(length);
  assertGpBytes(options.hostChallenge, [length], 'host challenge');
  return options.hostChallenge.slice();
}

/** Sends INITIALIZE UPDATE and parses the response; a status other than 9000 is `ERR_GP_STATUS`. */
export async function initializeUpdate(
  transport: ApduTransport,
  keyVersion: number,
  hostChallenge: Uint8Array,
  options: OpenOptionsBase,
): Promise<InitializeUpdateResponse> {
  const response = await transmit(transport, initializeUpdateCommand(keyVersion, hostChallenge, options.channel ?? 0), options.transmitOptions);
  if (response.sw !== 0x9000) {
    // GPC 2.3.1 Table E-9: 6A88 unknown KVN; Amd D §6.2.2.1: 6985 counter exhausted
    throw new GpError('ERR_GP_STATUS', `INITIALIZE UPDATE failed: ${describeSw(response.sw)}`, { sw: response.sw });
  }
  const parsed = parseInitializeUpdateResponse(response.data);
  if (keyVersion !== 0 && parsed.keyVersion !== keyVersion && options.allowKeyVersionMismatch !== true) {
    throw new GpError('ERR_GP_KEY', `INITIALIZE UPDATE: the card used key version ${hex2(parsed.keyVersion)}, ${hex2(keyVersion)} was requested`);
  }
  return parsed;
}

/** The fixed message for a failed card authentication: the caller must not retry blindly (gp.md §6, §8.1). */
export function cardAuthenticationFailure(what: string): GpError {
  return new GpError(
    'ERR_GP_CARD_CRYPTOGRAM',
    `${what} does not match: wrong keys, key version or diversification; EXTERNAL AUTHENTICATE was not sent (do not retry blindly: cards count failed authentications)`,
  );
}

/** Sends EXTERNAL AUTHENTICATE; 6300 is `ERR_GP_HOST_CRYPTOGRAM`, any other non-9000 `ERR_GP_STATUS`. */
export async function externalAuthenticate(transport: ApduTransport, apdu: CommandApdu, options: OpenOptionsBase): Promise<void> {
  const response = await transmit(transport, apdu, options.transmitOptions);
  if (response.sw === 0x6300) {
    // GPC 2.3.1 Table E-12: authentication of the host cryptogram failed
    throw new GpError('ERR_GP_HOST_CRYPTOGRAM', 'EXTERNAL AUTHENTICATE: the card rejected the host cryptogram (6300)', { sw: response.sw });
  }
  if (response.sw !== 0x9000) throw new GpError('ERR_GP_STATUS', `EXTERNAL AUTHENTICATE failed: ${describeSw(response.sw)}`, { sw: response.sw });
  // GPC 2.3.1 §E.5.2.6: no response data
  if (response.data.length !== 0) throw new GpError('ERR_GP_PARSE', `EXTERNAL AUTHENTICATE: unexpected ${response.data.length} bytes of response data`);
}
