/**
 * Reads the ARA-M (GP SEAC v1.1 §4.1) over a logical channel of its own, as AOSP's AraController
 * and AccessRuleApplet do: MANAGE CHANNEL open, SELECT the ARA-M, GET DATA [Refresh tag] 'DF20',
 * and — when the tag changed — GET DATA [All] 'FF40' then GET DATA [Next] 'FF60' until the length
 * the first answer announced is read; MANAGE CHANNEL close, always, errors included.
 *
 * Errors: no ARA-M (SELECT 6A82) → ERR_DEVICE_SECURITY (there is no ARF reader: the SE is denied);
 * a refused command → ERR_DEVICE_STATUS with the status word; a malformed, over-long or never-ending
 * answer → ERR_DEVICE_CARD_DATA; the SE unreachable → ERR_DEVICE_TRANSPORT (from the terminal).
 */
import { concat, hex } from '../../bytes/index.ts';
import { DeviceError, cardData } from '../errors.ts';
import { claOnChannel, type SeTerminal } from '../terminal.ts';
import { SEAC_TAG, readHeader } from './rules.ts';

/** The ARA-M's AID (GP SEAC v1.1 §4.1; AOSP AraController.ARA_M_AID). */
export const ARA_M_AID: Uint8Array = hex`A00000015141434C00`;

/** Bounds on what the reader accepts from a card. */
export interface AraReaderOptions {
  /** Largest rule listing accepted (the 'FF40' value), in bytes. Default 65,536. */
  readonly maxListingBytes?: number;
  /** Most GET DATA [Next] commands for one listing. Default 512. */
  readonly maxPages?: number;
}

export const ARA_READER_DEFAULTS = Object.freeze({ maxListingBytes: 0x10000, maxPages: 512 });

const SW_OK = 0x9000;
/** GET DATA [All] answers 6A88 when the ARA-M holds no rule (AOSP AccessRuleApplet reads it as "no rule"). */
const SW_NO_DATA = 0x6a88;
/** ISO/IEC 7816-4 §5.6: file or application not found. */
const SW_NOT_FOUND = 0x6a82;

/** A logical channel to the selected ARA-M. */
export interface AraChannel {
  /** GET DATA [Refresh tag]: the 8-byte tag the ARA-M changes with every rule update (GP SEAC v1.1 Response-RefreshTag-DO). */
  refreshTag(): Promise<Uint8Array>;
  /** GET DATA [All] (+ [Next]): the whole Response-ALL-REF-AR-DO, `FF40 …`; no rule (6A88) gives `FF40 00`. */
  allRules(): Promise<Uint8Array>;
}

function split(response: Uint8Array, what: string): { data: Uint8Array; sw: number } {
  if (!(response instanceof Uint8Array) || response.length < 2) throw cardData(`${what}: the answer has no status word`);
  return { data: response.subarray(0, response.length - 2), sw: (response[response.length - 2]! << 8) | response[response.length - 1]! };
}

function refused(what: string, sw: number): DeviceError {
  return new DeviceError('ERR_DEVICE_STATUS', `${what}: the SE answered ${sw.toString(16).toUpperCase().padStart(4, '0')}`, { sw });
}

/** ISO/IEC 7816-4 §11.1.2 MANAGE CHANNEL open: the SE assigns the channel number (1–19). */
async function openChannel(terminal: SeTerminal): Promise<number> {
  const { data, sw } = split(await terminal.transmit(Uint8Array.of(0x00, 0x70, 0x00, 0x00, 0x01)), 'MANAGE CHANNEL open');
  if (sw !== SW_OK) throw refused('MANAGE CHANNEL open (no free logical channel?)', sw);
  if (data.length !== 1 || data[0]! < 1 || data[0]! > 19) throw cardData('MANAGE CHANNEL open: not a channel number');
  return data[0]!;
}

async function closeChannel(terminal: SeTerminal, channel: number): Promise<void> {
  // ISO/IEC 7816-4 §11.1.2: P1 80 closes the channel P2 (sent on that channel)
  await terminal.transmit(Uint8Array.of(claOnChannel(0x00, channel), 0x70, 0x80, channel));
}

/** SELECT by DF name, first or only occurrence, FCI requested (ISO/IEC 7816-4 §11.2.2). */
async function selectAraM(terminal: SeTerminal, channel: number): Promise<void> {
  const command = concat(Uint8Array.of(claOnChannel(0x00, channel), 0xa4, 0x04, 0x00, ARA_M_AID.length), ARA_M_AID, Uint8Array.of(0x00));
  const { sw } = split(await terminal.transmit(command), 'SELECT ARA-M');
  if (sw === SW_NOT_FOUND) throw new DeviceError('ERR_DEVICE_SECURITY', `${terminal.name}: no ARA-M on the SE, and ARF is not supported: access denied`, { sw });
  // AOSP accepts warnings (62xx, 63xx) on SELECT as success
  if (sw !== SW_OK && sw >> 8 !== 0x62 && sw >> 8 !== 0x63) throw refused('SELECT ARA-M', sw);
}

function getData(channel: number, p1p2: number): Uint8Array {
  return Uint8Array.of(claOnChannel(0x80, channel), 0xca, p1p2 >> 8, p1p2 & 0xff, 0x00);
}

function araChannel(terminal: SeTerminal, channel: number, limits: Required<AraReaderOptions>): AraChannel {
  return {
    refreshTag: async () => {
      const { data, sw } = split(await terminal.transmit(getData(channel, SEAC_TAG.REFRESH_TAG)), 'GET DATA [Refresh tag]');
      if (sw !== SW_OK) throw refused('GET DATA [Refresh tag]', sw);
      const { start, length } = readHeader(data, SEAC_TAG.REFRESH_TAG, 'GET DATA [Refresh tag]');
      if (length !== 8 || data.length !== start + 8) throw cardData('GET DATA [Refresh tag]: the tag is not 8 bytes');
      return data.slice(start);
    },
    allRules: async () => {
      const first = split(await terminal.transmit(getData(channel, SEAC_TAG.ALL_REF_AR_DO)), 'GET DATA [All]');
      if (first.sw === SW_NO_DATA) return Uint8Array.of(0xff, 0x40, 0x00);
      if (first.sw !== SW_OK) throw refused('GET DATA [All]', first.sw);
      const { start, length } = readHeader(first.data, SEAC_TAG.ALL_REF_AR_DO, 'GET DATA [All]');
      if (length > limits.maxListingBytes) throw cardData(`GET DATA [All]: the ARA-M announces ${length} bytes of rules (at most ${limits.maxListingBytes} accepted)`);
      const total = start + length;
      const pages = [first.data.slice()];
      let read = first.data.length;
      // AOSP AccessRuleApplet: GET DATA [Next] until the announced length is read
      for (let page = 0; read < total; page++) {
        if (page >= limits.maxPages) throw cardData(`GET DATA [Next]: the listing is not complete after ${limits.maxPages} pages`);
        const next = split(await terminal.transmit(getData(channel, 0xff60)), 'GET DATA [Next]');
        if (next.sw !== SW_OK) throw refused('GET DATA [Next]', next.sw);
        if (next.data.length === 0) throw cardData('GET DATA [Next]: an empty page');
        pages.push(next.data.slice());
        read += next.data.length;
      }
      if (read > total) throw cardData(`GET DATA [All]: ${read - total} bytes beyond the announced length`);
      return concat(...pages);
    },
  };
}

/**
 * Runs `body` with the ARA-M selected on a new logical channel of `terminal`; the channel is closed
 * afterwards whatever happened (a failed close is ignored: it must not hide the body's answer or error).
 */
export async function withAraChannel<T>(terminal: SeTerminal, body: (ara: AraChannel) => Promise<T>, options: AraReaderOptions = {}): Promise<T> {
  const limits = { ...ARA_READER_DEFAULTS, ...options };
  const channel = await openChannel(terminal);
  let result: T;
  try {
    await selectAraM(terminal, channel);
    result = await body(araChannel(terminal, channel, limits));
  } finally {
    // AOSP closes the ARA channel in a finally block and ignores how the close went
    await closeChannel(terminal, channel).catch(() => undefined);
  }
  return result;
}
