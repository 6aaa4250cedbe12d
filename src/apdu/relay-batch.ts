/**
 * The wallet relay's wire format (docs/relay.md), shared by the TSM (tsm/relay/) and the phone's
 * agent (device/wallet/relay-agent.ts): JSON text frames over a WebSocket (RFC 6455), APDUs as hex.
 *
 * - TSM → phone `{ "type": "apdus", "id": n, "apdus": [hex…], "stopOnError": bool }`
 * - phone → TSM `{ "type": "responses", "id": n, "responses": [hex…] }`
 *
 * Decoding is strict: any frame over {@link RELAY_LIMITS}, with an unknown or missing field, an id out
 * of range, a string that is not hex, or a command or response that is not a valid APDU is an
 * `ApduError('ERR_APDU_RELAY_FRAME')` — never a TypeError, whatever the input.
 */
import { fromHex, toHex } from '../bytes/index.ts';
import { parseCommand } from './command.ts';
import { ApduError } from './errors.ts';
import type { ApduTransport } from './transport.ts';

/** Bounds of one relay frame. */
export const RELAY_LIMITS = Object.freeze({
  /** Most bytes of one frame's UTF-8 text (256 KiB). */
  maxFrameBytes: 256 * 1024,
  /** Most APDUs in one batch. */
  maxApdus: 255,
  /** Largest batch id (ids are 0..2^31-1). */
  maxId: 0x7fffffff,
  /** Longest command APDU: extended case 4 with 65535 data bytes (4 + 3 + 65535 + 2). */
  maxCommandBytes: 65544,
  /** Longest response APDU: 65536 data bytes and SW1 SW2. */
  maxResponseBytes: 65538,
});

/** A batch of command APDUs for the phone's card, run in order. */
export interface RelayApdusFrame {
  readonly kind: 'apdus';
  readonly id: number;
  readonly apdus: readonly Uint8Array[];
  /** Stop after the first response whose status word {@link continuesBatch} refuses. */
  readonly stopOnError: boolean;
}

/** The card's responses to a batch: one per command executed, in order. */
export interface RelayResponsesFrame {
  readonly kind: 'responses';
  readonly id: number;
  readonly responses: readonly Uint8Array[];
}

export type RelayFrame = RelayApdusFrame | RelayResponsesFrame;

const FIELDS = {
  apdus: ['apdus', 'id', 'stopOnError', 'type'],
  responses: ['id', 'responses', 'type'],
} as const;

const frameError = (message: string, cause?: unknown): ApduError =>
  new ApduError('ERR_APDU_RELAY_FRAME', `relay frame: ${message}`, cause === undefined ? undefined : { cause });

/**
 * Whether a batch with `stopOnError` goes on after a response with status word `sw`: 9000, 61xx
 * (ISO 7816-4 §5.6: normal processing, more data to fetch) and 62xx/63xx (warnings: the command ran,
 * e.g. GP's 6310 "more data" on GET STATUS). Every other status word (64xx–6Fxx errors, 90xx other
 * than 9000, 91xx–9Fxx proprietary) stops the batch after that response.
 */
export function continuesBatch(sw: number): boolean {
  const sw1 = sw >> 8;
  return sw === 0x9000 || sw1 === 0x61 || sw1 === 0x62 || sw1 === 0x63;
}

/** Builds a checked, frozen apdus frame (the commands must parse as ISO 7816-4 command APDUs). */
export function relayApdusFrame(id: number, apdus: readonly Uint8Array[], stopOnError: boolean): RelayApdusFrame {
  checkId(id);
  const count = listLength(apdus);
  if (count === undefined || count < 1 || count > RELAY_LIMITS.maxApdus) {
    throw frameError(`apdus: expected 1..${RELAY_LIMITS.maxApdus} commands, got ${count ?? typeof apdus}`);
  }
  if (typeof stopOnError !== 'boolean') throw frameError('stopOnError: expected a boolean');
  apdus.forEach((a, i) => checkCommand(a, i));
  return Object.freeze({ kind: 'apdus', id, apdus: Object.freeze(apdus.map((a) => a.slice())), stopOnError });
}

/** Builds a checked, frozen responses frame (at most 255 responses, each `data || SW1 SW2`). */
export function relayResponsesFrame(id: number, responses: readonly Uint8Array[]): RelayResponsesFrame {
  checkId(id);
  const count = listLength(responses);
  if (count === undefined || count < 1 || count > RELAY_LIMITS.maxApdus) {
    throw frameError(`responses: expected 1..${RELAY_LIMITS.maxApdus} responses, got ${count ?? typeof responses}`);
  }
  responses.forEach((r, i) => checkResponse(r, i));
  return Object.freeze({ kind: 'responses', id, responses: Object.freeze(responses.map((r) => r.slice())) });
}

/** The JSON text of a frame (checked again: a frame that {@link decodeRelayFrame} would refuse is not sent). */
export function encodeRelayFrame(frame: RelayFrame): string {
  const text =
    frame.kind === 'apdus'
      ? JSON.stringify({ type: 'apdus', id: relayApdusFrame(frame.id, frame.apdus, frame.stopOnError).id, apdus: frame.apdus.map(toHex), stopOnError: frame.stopOnError })
      : JSON.stringify({ type: 'responses', id: relayResponsesFrame(frame.id, frame.responses).id, responses: frame.responses.map(toHex) });
  if (Buffer.byteLength(text, 'utf8') > RELAY_LIMITS.maxFrameBytes) throw frameError(`over ${RELAY_LIMITS.maxFrameBytes} bytes`);
  return text;
}

/** Parses one frame (text, or its UTF-8 bytes as a WebSocket library delivers them). */
export function decodeRelayFrame(input: string | Uint8Array): RelayFrame {
  const size = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input instanceof Uint8Array ? input.length : -1;
  if (size < 0) throw frameError('expected text or bytes');
  if (size > RELAY_LIMITS.maxFrameBytes) throw frameError(`over ${RELAY_LIMITS.maxFrameBytes} bytes`);
  let value: unknown;
  try {
    const text = typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: true }).decode(input);
    value = JSON.parse(text);
  } catch (e) {
    throw frameError('not UTF-8 JSON', e);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw frameError('expected a JSON object');
  const record = value as Record<string, unknown>;
  const type = record['type'];
  if (type !== 'apdus' && type !== 'responses') throw frameError('type: expected "apdus" or "responses"');
  const keys = Object.keys(record).sort();
  const expected: readonly string[] = FIELDS[type];
  if (keys.length !== expected.length || keys.some((k, i) => k !== expected[i])) {
    throw frameError(`${type}: expected exactly the fields ${expected.join(', ')}`);
  }
  if (type === 'apdus') {
    return relayApdusFrame(checkId(record['id']), hexList(record['apdus'], 'apdus', RELAY_LIMITS.maxCommandBytes), record['stopOnError'] as boolean);
  }
  return relayResponsesFrame(checkId(record['id']), hexList(record['responses'], 'responses', RELAY_LIMITS.maxResponseBytes));
}

/**
 * Checks that `responses` answers `batch` as docs/relay.md §3 defines: one response per command
 * executed, in order; with `stopOnError`, fewer only when the last one stops the batch and every
 * earlier one continues it; without it, exactly one per command.
 */
export function checkRelayAnswer(batch: RelayApdusFrame, responses: RelayResponsesFrame): void {
  if (responses.id !== batch.id) throw frameError(`responses: id ${responses.id} answers no batch in flight (expected ${batch.id})`);
  const n = responses.responses.length;
  if (n > batch.apdus.length) throw frameError(`responses: ${n} responses to ${batch.apdus.length} commands`);
  if (!batch.stopOnError) {
    if (n !== batch.apdus.length) throw frameError(`responses: ${n} responses to ${batch.apdus.length} commands without stopOnError`);
    return;
  }
  for (let i = 0; i < n; i++) {
    const goesOn = continuesBatch(statusWord(responses.responses[i]!));
    const last = i === n - 1;
    if (!last && !goesOn) throw frameError(`responses: response ${i} stops the batch but more follow`);
    if (last && goesOn && n < batch.apdus.length) throw frameError(`responses: the batch stopped after response ${i}, whose status word continues it`);
  }
}

/**
 * Runs a batch on `card` in order (the phone's side): returns one response per command executed,
 * stopping after a status word {@link continuesBatch} refuses when `stopOnError` is set. A transport
 * that throws or returns something that is not a response APDU ends the batch with that error.
 */
export async function runRelayBatch(card: ApduTransport, batch: RelayApdusFrame): Promise<RelayResponsesFrame> {
  const out: Uint8Array[] = [];
  for (const command of batch.apdus) {
    const response: unknown = await card.transmit(command.slice());
    if (!(response instanceof Uint8Array)) throw new ApduError('ERR_APDU_TRANSPORT', 'relay batch: the card returned something other than bytes');
    checkResponse(response, out.length);
    out.push(response);
    if (batch.stopOnError && !continuesBatch(statusWord(response))) break;
  }
  return relayResponsesFrame(batch.id, out);
}

function listLength(value: unknown): number | undefined {
  return Array.isArray(value) ? value.length : undefined;
}

function statusWord(response: Uint8Array): number {
  return (response[response.length - 2]! << 8) | response[response.length - 1]!;
}

function checkId(id: unknown): number {
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > RELAY_LIMITS.maxId) {
    throw frameError(`id: expected an integer in 0..${RELAY_LIMITS.maxId}`);
  }
  return id;
}

function hexList(value: unknown, name: string, maxBytes: number): Uint8Array[] {
  if (!Array.isArray(value)) throw frameError(`${name}: expected an array`);
  if (value.length < 1 || value.length > RELAY_LIMITS.maxApdus) throw frameError(`${name}: expected 1..${RELAY_LIMITS.maxApdus} entries, got ${value.length}`);
  return value.map((item: unknown, i) => {
    if (typeof item !== 'string' || item.length > 2 * maxBytes) throw frameError(`${name}[${i}]: expected a hex string of at most ${maxBytes} bytes`);
    try {
      return fromHex(item, `${name}[${i}]`);
    } catch (e) {
      throw frameError(`${name}[${i}]: not hex`, e);
    }
  });
}

function checkCommand(apdu: unknown, i: number): void {
  if (!(apdu instanceof Uint8Array)) throw frameError(`apdus[${i}]: expected bytes`);
  try {
    parseCommand(apdu); // ISO 7816-4 §5.1: exactly one of the seven command cases
  } catch (e) {
    throw frameError(`apdus[${i}]: not a valid command APDU`, e);
  }
}

function checkResponse(response: unknown, i: number): void {
  if (!(response instanceof Uint8Array)) throw frameError(`responses[${i}]: expected bytes`);
  if (response.length < 2 || response.length > RELAY_LIMITS.maxResponseBytes) {
    throw frameError(`responses[${i}]: expected 2..${RELAY_LIMITS.maxResponseBytes} bytes, got ${response.length}`);
  }
  // ISO 7816-4 §5.6: SW1 is 61..6F or 90..9F; anything else is not a status word
  const sw1 = response[response.length - 2]!;
  if (!((sw1 >= 0x61 && sw1 <= 0x6f) || (sw1 >= 0x90 && sw1 <= 0x9f))) throw frameError(`responses[${i}]: SW1 ${sw1.toString(16).toUpperCase().padStart(2, '0')} is not a status word`);
}
