/**
 * Test plumbing for the secure-channel suites: vector file shapes, a scripted transport that plays
 * a published card transcript, and an in-memory card that answers through a card session.
 */
import { fromHex } from '../../../src/bytes/index.ts';
import {
  encodeResponse,
  parseCommand,
  responseApdu,
  type ApduTransport,
  type CommandApdu,
  type ResponseApdu,
} from '../../../src/apdu/index.ts';
import {
  GpError,
  Scp02CardSession,
  hasSecureMessaging,
  Scp03CardSession,
  openScp02,
  openScp03,
  plainScp02Keys,
  plainScp03Keys,
  type Scp02HostSession,
  type Scp03HostSession,
} from '../../../src/gp/index.ts';

export interface Scp03Transcript {
  id: string;
  kind: string;
  static_keys: { ENC: string; MAC: string; DEK: string };
  kvn: string;
  s_mode: string;
  security_level: string;
  host_challenge: string;
  initialize_update_command: string;
  initialize_update_response_data: string;
  parsed_response: { kdd: string; kvn: string; scp: string; i: string; card_challenge: string; card_cryptogram: string; sequence_counter: string };
  external_authenticate_command: string;
  then_in_order: { plain: string; wrapped: string; response_data_received_with_sw9000?: string; response_plain?: string }[];
}

export interface Scp02Transcript {
  id: string;
  static_keys: { ENC: string; MAC: string; DEK: string };
  kvn: string;
  host_challenge: string;
  initialize_update_command: string;
  initialize_update_response_data: string;
  parsed_response: { kdd: string; key_version: string; scp: string; sequence_counter: string; card_challenge: string; card_cryptogram: string };
  security_level: string;
  external_authenticate_command: string;
  wrapped_commands_in_order: { plain: string; wrapped: string }[];
}

/** A transport that answers from a fixed list of responses (hex, SW included) and logs every command. */
export class ScriptedTransport implements ApduTransport {
  readonly sent: Uint8Array[] = [];
  readonly #answers: Uint8Array[];

  constructor(answers: string[]) {
    this.#answers = answers.map((a) => fromHex(a));
  }

  transmit(command: Uint8Array): Promise<Uint8Array> {
    this.sent.push(command.slice());
    const answer = this.#answers.shift();
    if (answer === undefined) return Promise.reject(new Error('scripted transport: no more answers'));
    return Promise.resolve(answer);
  }
}

/** What the fake applet behind the card session does with a plain command. */
export type Applet = (command: CommandApdu) => ResponseApdu;

/** INS answered with an error status word (and data the card must not send under R-MAC). */
export const INS_FAIL = 0xee;
/** INS answered with the warning 6310 and data (protected like 9000). */
export const INS_WARN = 0xec;

/**
 * Echoes the command data (case 3/4) or returns `ne` bytes of a counting pattern (case 2), 9000;
 * {@link INS_FAIL} gives DEAD 6A82, {@link INS_WARN} gives the echo with 6310.
 */
export const echoApplet: Applet = (command) => {
  if (command.ins === INS_FAIL) return responseApdu(fromHex('DEAD'), 0x6a82);
  if (command.ins === INS_WARN) return responseApdu(command.data.slice(), 0x6310);
  if (command.data.length > 0) return responseApdu(command.data.slice(), 0x9000);
  const n = Math.min(command.ne ?? 0, 200);
  return responseApdu(Uint8Array.from({ length: n }, (_, k) => k & 0xff), 0x9000);
};

type CardSession = Scp02CardSession | Scp03CardSession;

/**
 * A card on a wire: parses the command bytes, routes INITIALIZE UPDATE / EXTERNAL AUTHENTICATE to
 * the card session, everything else through `unwrapCommand` → applet → `wrapResponse`. A `GpError`
 * with `sw` becomes that status word. Logs commands and responses.
 */
export class CardTransport implements ApduTransport {
  readonly sent: Uint8Array[] = [];
  readonly answered: Uint8Array[] = [];
  /** Rewrites the command bytes before the card sees them (bit flips, replays). */
  tamperCommand: ((bytes: Uint8Array) => Uint8Array) | undefined;
  /** Rewrites the response bytes before the host sees them. */
  tamperResponse: ((bytes: Uint8Array) => Uint8Array) | undefined;

  constructor(readonly card: CardSession, readonly applet: Applet = echoApplet) {}

  transmit(bytes: Uint8Array): Promise<Uint8Array> {
    this.sent.push(bytes.slice());
    const command = this.tamperCommand === undefined ? bytes : this.tamperCommand(bytes);
    let answer = encodeResponse(this.#process(parseCommand(command)));
    if (this.tamperResponse !== undefined) answer = this.tamperResponse(answer);
    this.answered.push(answer);
    return Promise.resolve(answer);
  }

  #process(command: CommandApdu): ResponseApdu {
    try {
      if (command.ins === 0x50 && !hasSecureMessaging(command.cla)) return responseApdu(this.card.initializeUpdate(command), 0x9000);
      if (command.ins === 0x82) return responseApdu(this.card.externalAuthenticate(command), 0x9000);
      const plain = this.card.unwrapCommand(command);
      return this.card.wrapResponse(this.applet(plain));
    } catch (e) {
      if (e instanceof GpError && e.sw !== undefined) return responseApdu(new Uint8Array(0), e.sw);
      throw e;
    }
  }
}

/** Flips bit `bit` (0 = MSB of byte 0) of a copy of `bytes`. */
export function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const out = bytes.slice();
  out[bit >> 3]! ^= 0x80 >> (bit & 7);
  return out;
}

/** `hex ‖ 9000` as bytes. */
export function ok(hexData: string): string {
  return `${hexData}9000`;
}


export const SD_AID = fromHex('A000000151000000');

/** Deterministic, distinct test keys of `length` bytes. */
export function testKeys(length: number, keyVersion: number, seed = 0): { keyVersion: number; enc: Uint8Array; mac: Uint8Array; dek: Uint8Array } {
  const key = (n: number): Uint8Array => Uint8Array.from({ length }, (_, k) => (seed + n * 0x40 + k * 7) & 0xff);
  return { keyVersion, enc: key(1), mac: key(2), dek: key(3) };
}

export interface Scp03Pair {
  card: Scp03CardSession;
  transport: CardTransport;
  host: Scp03HostSession;
}

/** An SCP03 card session and a host session opened against it over an in-memory transport. */
export async function scp03Pair(options: { keyLength?: number; i?: number; securityLevel: number; channel?: number; applet?: Applet }): Promise<Scp03Pair> {
  const i = options.i ?? 0x70;
  const keys = testKeys(options.keyLength ?? 16, 0x30);
  const card = new Scp03CardSession({ keys, sdAid: SD_AID, sequenceCounter: 5, i });
  const transport = new CardTransport(card, options.applet);
  const host = await openScp03(transport, plainScp03Keys(keys), {
    securityLevel: options.securityLevel,
    sdAid: SD_AID,
    s16: (i & 0x01) !== 0,
    ...(options.channel === undefined ? {} : { channel: options.channel }),
  });
  return { card, transport, host };
}

export interface Scp02Pair {
  card: Scp02CardSession;
  transport: CardTransport;
  host: Scp02HostSession;
}

/** An SCP02 card session and a host session opened against it over an in-memory transport. */
export async function scp02Pair(options: { i?: number; securityLevel: number; channel?: number; applet?: Applet }): Promise<Scp02Pair> {
  const i = options.i ?? 0x55;
  const keys = testKeys(16, 0x20);
  const card = new Scp02CardSession({ keys, sdAid: SD_AID, sequenceCounter: 7, i });
  const transport = new CardTransport(card, options.applet);
  const host = await openScp02(transport, plainScp02Keys(keys), {
    securityLevel: options.securityLevel,
    i,
    sdAid: SD_AID,
    ...(options.channel === undefined ? {} : { channel: options.channel }),
  });
  return { card, transport, host };
}
