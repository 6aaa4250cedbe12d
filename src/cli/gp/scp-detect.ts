/**
 * Which secure channel protocol the Security Domain runs, when `--scp` does not say: its Security
 * Domain Management Data (the FCI's '73') or Card Data (GET DATA '66', GPC 2.3.1 §H.2) list it with
 * its "i"; a card that tells neither is asked by INITIALIZE UPDATE itself, whose response names the
 * SCP (GPC 2.3.1 Table E-8, Amd D Table 7-2). That probe is not wasted: its response is replayed to
 * the handshake (same host challenge), so the card sees exactly one INITIALIZE UPDATE.
 */
import { encodeCommand, encodeResponse, transmit, type ApduTransport } from '../../apdu/index.ts';
import { equalCt } from '../../bytes/index.ts';
import {
  GET_DATA_TAGS,
  buildGetData,
  initializeUpdateCommand,
  parseCardData,
  parseInitializeUpdateResponse,
  type ScpOption,
} from '../../gp/index.ts';
import { randomBytes } from '../../crypto/index.ts';
import { cardRefused } from './card-status.ts';
import type { SelectedSd } from './select-sd.ts';

/** The protocol chosen, with its "i" when known. */
export interface ScpChoice {
  readonly scp: 2 | 3;
  /** "i" from the card's data; SCP03's comes again in INITIALIZE UPDATE, SCP02's only from here. */
  readonly i: number | undefined;
  /** Where the choice came from (for the debug output). */
  readonly source: 'option' | 'card data' | 'INITIALIZE UPDATE';
  /** The INITIALIZE UPDATE already exchanged, to replay to the handshake. */
  readonly probe?: { readonly hostChallenge: Uint8Array; readonly command: Uint8Array; readonly response: Uint8Array };
}

/** A transport that answers one exact command from a recorded response, once, and passes the rest. */
export class PrimedTransport implements ApduTransport {
  readonly #inner: ApduTransport;
  #command: Uint8Array | undefined;
  readonly #response: Uint8Array;

  constructor(inner: ApduTransport, command: Uint8Array, response: Uint8Array) {
    this.#inner = inner;
    this.#command = command.slice();
    this.#response = response.slice();
  }

  transmit(command: Uint8Array): Promise<Uint8Array> {
    const recorded = this.#command;
    if (recorded !== undefined && recorded.length === command.length && equalCt(recorded, command)) {
      this.#command = undefined;
      return Promise.resolve(this.#response.slice());
    }
    return this.#inner.transmit(command);
  }
}

/** The secure channels the SD announces: its FCI's management data, else GET DATA '66'. */
export async function announcedScps(transport: ApduTransport, sd: SelectedSd): Promise<readonly ScpOption[]> {
  const fromFci = sd.fci?.managementData?.secureChannels ?? [];
  if (fromFci.length > 0) return fromFci;
  const r = await transmit(transport, buildGetData(GET_DATA_TAGS.CARD_DATA));
  if (r.sw !== 0x9000) return [];
  try {
    return parseCardData(r.data).secureChannels;
  } catch {
    return [];
  }
}

async function probe(transport: ApduTransport, keyVersion: number): Promise<ScpChoice> {
  for (const length of [8, 16] as const) {
    const hostChallenge = randomBytes(length);
    const command = initializeUpdateCommand(keyVersion, hostChallenge);
    const r = await transmit(transport, command);
    // Amd D v1.2: an S16 card refuses an 8-byte challenge with 6700 (GPPro retries with 16)
    if (r.sw === 0x6700 && length === 8) continue;
    if (r.sw !== 0x9000) throw cardRefused('INITIALIZE UPDATE', r.sw, `(KVN ${keyVersion.toString(16).toUpperCase().padStart(2, '0')})`);
    const parsed = parseInitializeUpdateResponse(r.data);
    const probe = { hostChallenge, command: encodeCommand(command), response: encodeResponse(r) };
    return { scp: parsed.scp, i: parsed.kind === 'scp03-initialize-update' ? parsed.i : undefined, source: 'INITIALIZE UPDATE', probe };
  }
  throw cardRefused('INITIALIZE UPDATE', 0x6700);
}

/**
 * Picks the protocol: `requested` (with the card's "i" for it, when announced), else the first of
 * SCP02/SCP03 the card announces, else the INITIALIZE UPDATE probe.
 */
export async function detectScp(transport: ApduTransport, sd: SelectedSd, requested: 2 | 3 | undefined, keyVersion: number): Promise<ScpChoice> {
  const announced = (await announcedScps(transport, sd)).filter((o) => o.scp === 2 || o.scp === 3);
  if (requested !== undefined) return { scp: requested, i: announced.find((o) => o.scp === requested)?.i, source: 'option' };
  const first = announced[0];
  if (first !== undefined) return { scp: first.scp as 2 | 3, i: first.i, source: 'card data' };
  return probe(transport, keyVersion);
}
