/**
 * A real PC/SC reader as an {@link ApduTransport} for `opentsm gp --reader NAME`: bytes in, bytes
 * out, T=0 or T=1 as the reader and card negotiate (61xx/6Cxx are handled above, by apdu's
 * `transmit`). Needs pcscd and the optional `@pokusew/pcsclite` binding, loaded only when used.
 */
import { ApduError, type ApduTransport } from '../../apdu/index.ts';
import { assertBytes } from '../../bytes/index.ts';
import type { BindingReader } from './pcsc-binding.ts';
import { pcscFailure, PcscSession, type PcscSessionOptions } from './pcsc-session.ts';

export { PCSC_INSTALL_HINT, PCSC_PACKAGE } from './pcsc-binding.ts';

/** PC/SC share mode: `shared` lets other applications use the card between our commands. */
export type PcscShareMode = 'shared' | 'exclusive';

/** What happens to the card on close (SCARD_LEAVE_CARD, SCARD_RESET_CARD, SCARD_UNPOWER_CARD). */
export type PcscDisposition = 'leave' | 'reset' | 'unpower';

/** Options for {@link listReaders} and {@link connectPcsc}: `timeoutMs` bounds every wait (default 5000 ms). */
export type PcscOptions = PcscSessionOptions;

/** Options for {@link connectPcsc}. */
export interface PcscConnectOptions extends PcscOptions {
  /** Default `shared`, as GlobalPlatformPro does. */
  readonly share?: PcscShareMode;
  /** Default `reset`: a reset ends any secure channel session left open on the card. */
  readonly disposition?: PcscDisposition;
}

/** A connected card. `close()` disconnects and releases the PC/SC context; it is idempotent. */
export interface PcscTransport extends ApduTransport {
  /** The reader's full name. */
  readonly reader: string;
  /** The card's answer to reset. */
  readonly atr: Uint8Array;
  /** The protocol pcscd negotiated. */
  readonly protocol: 'T=0' | 'T=1';
  close(): Promise<void>;
}

/** Room for the longest response: 65536 data bytes and SW1 SW2 (pcsc-lite MAX_BUFFER_SIZE_EXTENDED is larger). */
const MAX_RESPONSE = 65536 + 2;

/**
 * The names of the PC/SC readers pcscd knows, in its order.
 * @example await listReaders() // ['Virtual PCD 00 00', 'Virtual PCD 00 01']
 */
export async function listReaders(options: PcscOptions = {}): Promise<string[]> {
  const session = await PcscSession.open(options);
  try {
    return session.names();
  } finally {
    await session.close();
  }
}

/**
 * Connects to the card in `reader` (its exact name, or a case-insensitive part of exactly one
 * reader's name) and returns it as a transport.
 * @example const card = await connectPcsc('Virtual PCD 00 00'); await transmit(card, select); await card.close();
 */
export async function connectPcsc(reader: string, options: PcscConnectOptions = {}): Promise<PcscTransport> {
  const session = await PcscSession.open(options);
  try {
    const target = session.find(reader);
    const atr = await session.atrOf(target);
    const mode = options.share === 'exclusive' ? target.SCARD_SHARE_EXCLUSIVE : target.SCARD_SHARE_SHARED;
    const active = await session.bounded(
      new Promise<number>((resolve, reject) => {
        target.connect({ share_mode: mode, protocol: target.SCARD_PROTOCOL_T0 | target.SCARD_PROTOCOL_T1 }, (e, p) => (e ? reject(pcscFailure(`connect to "${target.name}"`, e)) : resolve(p)));
      }),
      `connecting to "${target.name}"`,
    );
    return new ReaderTransport(session, target, atr, active, disposition(target, options.disposition ?? 'reset'));
  } catch (e) {
    await session.close();
    throw e;
  }
}

class ReaderTransport implements PcscTransport {
  readonly reader: string;
  readonly atr: Uint8Array;
  readonly protocol: 'T=0' | 'T=1';
  readonly #session: PcscSession;
  readonly #card: BindingReader;
  readonly #activeProtocol: number;
  readonly #disposition: number;
  #queue: Promise<unknown> = Promise.resolve();
  #closing: Promise<void> | undefined;

  constructor(session: PcscSession, card: BindingReader, atr: Uint8Array, activeProtocol: number, disposition: number) {
    this.#session = session;
    this.#card = card;
    this.#activeProtocol = activeProtocol;
    this.#disposition = disposition;
    this.reader = card.name;
    this.atr = atr;
    this.protocol = activeProtocol === card.SCARD_PROTOCOL_T0 ? 'T=0' : 'T=1';
  }

  /** Sends one command APDU; commands are queued, so concurrent calls never interleave. */
  transmit(command: Uint8Array): Promise<Uint8Array> {
    assertBytes(command, undefined, 'command APDU');
    if (this.#closing !== undefined) return Promise.reject(new ApduError('ERR_APDU_TRANSPORT', `the connection to "${this.reader}" is closed`));
    const bytes = Buffer.from(command); // a copy: the caller may reuse its array while the command is in flight
    const run = () =>
      new Promise<Uint8Array>((resolve, reject) => {
        this.#card.transmit(bytes, MAX_RESPONSE, this.#activeProtocol, (e, response) => {
          if (e) reject(pcscFailure(`transmit to "${this.reader}"`, e));
          else resolve(new Uint8Array(response)); // Buffer → Uint8Array at the edge
        });
      });
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  close(): Promise<void> {
    this.#closing ??= this.#queue
      .then(() => new Promise<void>((resolve) => this.#card.disconnect(this.#disposition, () => resolve())))
      .finally(() => this.#session.close());
    return this.#closing;
  }
}

function disposition(reader: BindingReader, d: PcscDisposition): number {
  return { leave: reader.SCARD_LEAVE_CARD, reset: reader.SCARD_RESET_CARD, unpower: reader.SCARD_UNPOWER_CARD }[d];
}
