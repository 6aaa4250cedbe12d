/**
 * One PC/SC context of the `@pokusew/pcsclite` binding, its readers and their status, with every
 * wait bounded and the binding's two sharp edges handled (see {@link PcscSession.close}).
 */
import { ApduError } from '../../apdu/index.ts';
import { assertPcscdRunning, loadPcscBinding, type BindingContext, type BindingReader } from './pcsc-binding.ts';

/** Options common to every PC/SC operation. */
export interface PcscSessionOptions {
  /** Bound on each wait: reader enumeration, card status, connect (default 5000 ms). */
  readonly timeoutMs?: number;
  /** pcsc-lite socket to probe before loading the binding (default PCSCLITE_CSOCK_NAME or /run/pcscd/pcscd.comm). */
  readonly socketPath?: string;
}

/**
 * How long the binding's reader threads must have been silent before a reader is closed. A status
 * thread needs microseconds to get from reporting a status back into SCardGetStatusChange; this
 * leaves room for a loaded machine's scheduler.
 */
const STATUS_QUIET_MS = 100;

interface ReaderStatus {
  readonly state: number;
  readonly atr?: Uint8Array;
}

/** A PC/SC context whose first reader scan has completed. Close it, or the process cannot exit. */
export class PcscSession {
  readonly timeoutMs: number;
  readonly #context: BindingContext;
  readonly #statuses = new Map<BindingReader, ReaderStatus>();
  readonly #waiters = new Set<() => void>();
  #closing: Promise<void> | undefined;
  #lastStatusAt = 0;

  private constructor(context: BindingContext, timeoutMs: number) {
    this.#context = context;
    this.timeoutMs = timeoutMs;
    context.on('reader', (reader) => {
      reader.on('error', () => undefined); // status errors surface through connect/transmit
      reader.on('status', (status) => {
        this.#statuses.set(reader, status);
        this.#lastStatusAt = Date.now();
        for (const wake of this.#waiters) wake();
      });
    });
  }

  /** Loads the binding, checks pcscd, opens a context and waits for its first reader scan. */
  static async open(options: PcscSessionOptions = {}): Promise<PcscSession> {
    const timeoutMs = options.timeoutMs ?? 5000;
    const create = await loadPcscBinding();
    await assertPcscdRunning(options.socketPath, timeoutMs);
    let context: BindingContext;
    try {
      context = create();
    } catch (e) {
      throw pcscFailure('establishing the PC/SC context', e);
    }
    const scanned = firstScan(context);
    const session = new PcscSession(context, timeoutMs);
    try {
      await session.bounded(scanned, 'the PC/SC reader list');
    } catch (e) {
      await session.close();
      throw e;
    }
    return session;
  }

  /** Reader names, in pcscd's order. */
  names(): string[] {
    return Object.keys(this.#context.readers);
  }

  /** The reader named exactly `name`, else the only reader whose name contains it (case-insensitive). */
  find(name: string): BindingReader {
    const readers = this.#context.readers;
    const exact = readers[name];
    if (exact !== undefined) return exact;
    const all = Object.keys(readers);
    const matches = all.filter((n) => n.toLowerCase().includes(name.toLowerCase()));
    const only = matches.length === 1 ? readers[matches[0]!] : undefined;
    if (only !== undefined) return only;
    const known = all.length === 0 ? 'no readers attached' : `readers: ${all.map((n) => `"${n}"`).join(', ')}`;
    throw new ApduError('ERR_APDU_TRANSPORT', `reader "${name}" ${matches.length > 1 ? 'matches several readers' : 'not found'} (${known})`);
  }

  /** Waits (bounded) for a card in `reader` and returns its ATR. */
  async atrOf(reader: BindingReader): Promise<Uint8Array> {
    const present = (): boolean => ((this.#statuses.get(reader)?.state ?? 0) & reader.SCARD_STATE_PRESENT) !== 0;
    await this.#waitFor(present, `a card in "${reader.name}"`);
    return new Uint8Array(this.#statuses.get(reader)?.atr ?? []);
  }

  /** `promise`, or an ApduError after `timeoutMs`. */
  async bounded<T>(promise: Promise<T>, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ApduError('ERR_APDU_TRANSPORT', `PC/SC: timed out after ${this.timeoutMs} ms waiting for ${what}`)), this.timeoutMs);
    });
    try {
      return await Promise.race([promise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Closes every reader and the context; idempotent.
   *
   * node-pcsclite 0.6 leaks a reader's libuv handle (and the process can never exit) when the reader
   * is closed while its status thread is not blocked in SCardGetStatusChange: before its first
   * status, or in the instant between reporting a status and waiting for the next. So this waits
   * for every reader's first status, then for {@link STATUS_QUIET_MS} without a status event.
   */
  close(): Promise<void> {
    const allReported = (): boolean => Object.values(this.#context.readers).every((r) => this.#statuses.has(r));
    this.#closing ??= this.#waitFor(allReported, 'the first reader status')
      .then(() => this.bounded(this.#quiet(), 'the reader status threads to settle'))
      .catch(() => undefined)
      .then(() => {
        for (const reader of Object.values(this.#context.readers)) reader.close();
        this.#context.close();
      });
    return this.#closing;
  }

  /** Resolves once no reader has reported a status for STATUS_QUIET_MS. */
  async #quiet(): Promise<void> {
    for (;;) {
      const wait = this.#lastStatusAt + STATUS_QUIET_MS - Date.now();
      if (wait <= 0) return;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  /** Resolves when `check()` holds, re-checked on every reader status; bounded by the timeout. */
  async #waitFor(check: () => boolean, what: string): Promise<void> {
    let wake = (): void => undefined;
    const arrived = new Promise<void>((resolve) => {
      wake = () => (check() ? resolve() : undefined);
    });
    this.#waiters.add(wake);
    wake();
    try {
      await this.bounded(arrived, what);
    } finally {
      this.#waiters.delete(wake);
    }
    // node-pcsclite runs status callbacks holding the reader's mutex, and reader.close() takes it
    // again: continuing inside that callback would deadlock the main thread. Leave it first.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * The wrapper reports readers as events and has no "scan complete" signal. Its first scan ends when
 * the native start() callback returns, so wrap start() before the wrapper calls it on the next tick.
 */
function firstScan(context: BindingContext): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const start = context.start.bind(context);
    context.start = (callback) =>
      start((error, names) => {
        callback(error, names);
        if (error) reject(pcscFailure('listing readers', error));
        else resolve();
      });
    // the context also reports "Command cancelled" when closed: nothing is waiting by then
    context.on('error', (e) => reject(pcscFailure('PC/SC', e)));
  });
}

/** An ApduError for a failed binding call, keeping the binding's message (it names the SCARD_E_* code). */
export function pcscFailure(what: string, e: unknown): ApduError {
  return new ApduError('ERR_APDU_TRANSPORT', `PC/SC ${what} failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}
