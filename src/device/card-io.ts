/**
 * The device's side of the card connection: one command out, the complete response back (T=0
 * 61xx/6Cxx handled by apdu/ transmit), and the card's TLV answers parsed — every failure a
 * {@link DeviceError}, whatever the card sent.
 */
import { ApduError, commandApdu, transmit, type ApduTransport, type CommandApduFields, type ResponseApdu } from '../apdu/index.ts';
import { OpenTsmError } from '../bytes/index.ts';
import { parseTlv, type Tlv } from '../tlv/index.ts';
import { DeviceError, cardData } from './errors.ts';

/** The most response data the device accepts for one command (a record, an FCI, a GPO answer). */
const MAX_RESPONSE = 4096;

/** Sends one command; transport failures and unparsable responses become DeviceError. */
export async function exchange(card: ApduTransport, fields: CommandApduFields): Promise<ResponseApdu> {
  try {
    return await transmit(card, commandApdu(fields), { maxGetResponses: 16, maxResponseLength: MAX_RESPONSE });
  } catch (e) {
    if (e instanceof ApduError && (e.code === 'ERR_APDU_MALFORMED' || e.code === 'ERR_APDU_LENGTH')) {
      throw new DeviceError('ERR_DEVICE_CARD_DATA', `card response: ${e.message}`, { cause: e, sw: e.sw });
    }
    if (e instanceof OpenTsmError) throw new DeviceError('ERR_DEVICE_TRANSPORT', `card connection: ${e.message}`, { cause: e });
    throw new DeviceError('ERR_DEVICE_TRANSPORT', 'card connection failed', { cause: e });
  }
}

/** Throws ERR_DEVICE_STATUS (with the status word) unless the response's SW is one of `ok`. */
export function expectSw(response: ResponseApdu, what: string, ...ok: number[]): ResponseApdu {
  if (!ok.includes(response.sw)) {
    const sw = response.sw.toString(16).toUpperCase().padStart(4, '0');
    throw new DeviceError('ERR_DEVICE_STATUS', `${what}: card answered ${sw}`, { sw: response.sw });
  }
  return response;
}

/**
 * Parses a card answer that must be exactly one BER-TLV object with tag `tag` (EMV Book 3 Annex B;
 * padding 00 between objects is allowed there).
 */
export function parseTemplate(data: Uint8Array, what: string, ...tags: number[]): Tlv {
  let node: Tlv;
  try {
    node = parseTlv(data, { skipPadding: true });
  } catch (e) {
    throw cardData(`${what}: not one BER-TLV object`, e);
  }
  if (!tags.includes(node.tag)) throw cardData(`${what}: unexpected template ${node.tag.toString(16).toUpperCase()}`);
  return node;
}
