import { assertInt, concat } from '../bytes/index.ts';
import { commandApdu, encodeCommand, type CommandApdu } from './command.ts';
import { ApduError } from './errors.ts';
import { parseResponse, responseApdu, type ResponseApdu } from './response.ts';
import { describeSw } from './status-words.ts';

/**
 * A card connection: command bytes in, response bytes (data || SW1 SW2) out, nothing else
 * (GlobalPlatformPro's APDUBIBO). PC/SC readers, the virtual SE, OTA relays and secure-channel
 * wrappers all implement it.
 */
export interface ApduTransport {
  transmit(command: Uint8Array): Promise<Uint8Array>;
}

/** Options for {@link transmit}. The defaults allow a full 64 KiB response in 256-byte pieces. */
export interface TransmitOptions {
  /** Most GET RESPONSE commands sent for one command (default 256). */
  maxGetResponses?: number;
  /** Most response data bytes accepted in total (default 65536). */
  maxResponseLength?: number;
}

const INS_GET_RESPONSE = 0xc0;

/**
 * Sends `apdu` and returns the complete response, doing the host side of the T=0 status words
 * (ISO 7816-3 §10.3 procedure bytes; ISO 7816-4 GET RESPONSE):
 * - `61xx`: sends GET RESPONSE (`0X C0 00 00 xx`, same logical channel) and concatenates the data
 *   until another status word arrives, within `maxGetResponses` and `maxResponseLength`;
 * - `6Cxx`: resends the same command (or GET RESPONSE) with Le = xx, once per call; a second `6Cxx`
 *   is an error.
 * Transport failures and unparsable answers become `ApduError` (`ERR_APDU_TRANSPORT`,
 * `ERR_APDU_MALFORMED`); status words are returned, not thrown (see {@link checkSw}).
 */
export async function transmit(transport: ApduTransport, apdu: CommandApdu, options: TransmitOptions = {}): Promise<ResponseApdu> {
  const maxGetResponses = options.maxGetResponses ?? 256;
  const maxResponseLength = options.maxResponseLength ?? 65536;
  assertInt(maxGetResponses, 0, Number.MAX_SAFE_INTEGER, 'maxGetResponses');
  assertInt(maxResponseLength, 0, 65536, 'maxResponseLength');
  const parts: Uint8Array[] = [];
  let received = 0;
  let getResponses = 0;
  let resent = false;
  let command = apdu;
  for (;;) {
    const response = await exchange(transport, command);
    const sw1 = response.sw >> 8;
    const sw2 = response.sw & 0xff;
    if (sw1 === 0x6c) {
      // ISO 7816-3 §10.3: 6Cxx means "resend the same command with Le = xx"
      if (resent) throw new ApduError('ERR_APDU_TRANSPORT', `card answered ${describeSw(response.sw)} again after a resend with the exact Le`, { sw: response.sw });
      resent = true;
      command = commandApdu({ ...command, ne: sw2 === 0 ? 256 : sw2 });
      continue;
    }
    received += response.data.length;
    if (received > maxResponseLength) {
      throw new ApduError('ERR_APDU_LENGTH', `response data exceeds ${maxResponseLength} bytes`, { sw: response.sw });
    }
    parts.push(response.data);
    if (sw1 !== 0x61) return responseApdu(concat(...parts), response.sw);
    // ISO 7816-3 §10.3: 61xx means xx more bytes (00: 256 or more) to fetch with GET RESPONSE
    if (++getResponses > maxGetResponses) {
      throw new ApduError('ERR_APDU_TRANSPORT', `more than ${maxGetResponses} GET RESPONSE commands for one command`, { sw: response.sw });
    }
    command = commandApdu({ cla: getResponseCla(apdu.cla), ins: INS_GET_RESPONSE, p1: 0, p2: 0, ne: sw2 === 0 ? 256 : sw2 });
  }
}

/**
 * The CLA of a GET RESPONSE on the same logical channel as `cla`: interindustry, no secure
 * messaging, no chaining (ISO 7816-4 class byte coding; GPC 2.3.1 §11.1.4 codes GP CLAs the same way).
 * Channels 0–3 sit in b2b1 of `0X`/`8X`; channels 4–19 in b4–b1 (plus 4) of `4X`/`6X`/`CX`/`EX`.
 */
export function getResponseCla(cla: number): number {
  assertInt(cla, 0, 0xfe, 'CLA');
  // ISO 7816-4 class byte: b7 = 1 selects the further interindustry coding (channels 4..19)
  const channel = (cla & 0x40) !== 0 ? 4 + (cla & 0x0f) : cla & 0x03;
  return channel < 4 ? channel : 0x40 | (channel - 4);
}

/**
 * Throws `ERR_APDU_STATUS` (carrying `sw`) unless the response's status word is one of `okSws`
 * (default 9000); returns the response otherwise. The message names the status word, never the data.
 * @example checkSw(await transmit(card, getStatus), SW.OK, SW.MORE_DATA_AVAILABLE)
 */
export function checkSw(response: ResponseApdu, ...okSws: number[]): ResponseApdu {
  const ok = okSws.length === 0 ? [0x9000] : okSws;
  if (!ok.includes(response.sw)) {
    throw new ApduError('ERR_APDU_STATUS', `card returned ${describeSw(response.sw)}`, { sw: response.sw });
  }
  return response;
}

async function exchange(transport: ApduTransport, command: CommandApdu): Promise<ResponseApdu> {
  const bytes = encodeCommand(command);
  let answer: unknown;
  try {
    answer = await transport.transmit(bytes);
  } catch (e) {
    throw new ApduError('ERR_APDU_TRANSPORT', `transport failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  if (!(answer instanceof Uint8Array)) throw new ApduError('ERR_APDU_TRANSPORT', 'transport returned something other than bytes');
  try {
    return parseResponse(answer);
  } catch (e) {
    throw new ApduError('ERR_APDU_MALFORMED', `response APDU: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}
