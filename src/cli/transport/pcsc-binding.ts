/**
 * Loading the optional PC/SC binding (`@pokusew/pcsclite`, a node-gyp addon over libpcsclite) on
 * demand, and the slice of its API the PC/SC transport uses. The package is an optional dependency:
 * a machine without libpcsclite-dev installs OpenTSM without it, and only `--reader` needs it.
 */
import { createConnection } from 'node:net';
import { ApduError } from '../../apdu/index.ts';

/** The npm package that provides PC/SC (declared in package.json optionalDependencies). */
export const PCSC_PACKAGE = '@pokusew/pcsclite';

/** What to run when PC/SC is unavailable (Debian/Ubuntu package names). */
export const PCSC_INSTALL_HINT = `apt-get install libpcsclite-dev pcscd, then npm install ${PCSC_PACKAGE} (or npm rebuild ${PCSC_PACKAGE})`;

/** pcsc-lite's client socket; the library honours PCSCLITE_CSOCK_NAME the same way. */
const DEFAULT_PCSCD_SOCKET = '/run/pcscd/pcscd.comm';

type Callback<T> = (error: unknown, value: T) => void;

/** One reader as the binding exposes it (node-pcsclite `CardReader`). */
export interface BindingReader {
  readonly name: string;
  readonly connected: boolean;
  readonly SCARD_SHARE_SHARED: number;
  readonly SCARD_SHARE_EXCLUSIVE: number;
  readonly SCARD_PROTOCOL_T0: number;
  readonly SCARD_PROTOCOL_T1: number;
  readonly SCARD_STATE_PRESENT: number;
  readonly SCARD_LEAVE_CARD: number;
  readonly SCARD_RESET_CARD: number;
  readonly SCARD_UNPOWER_CARD: number;
  on(event: 'error', listener: (error: unknown) => void): unknown;
  on(event: 'status', listener: (status: { state: number; atr?: Uint8Array }) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  connect(options: { share_mode: number; protocol: number }, callback: Callback<number>): void;
  disconnect(disposition: number, callback: (error: unknown) => void): void;
  transmit(data: Buffer, responseLength: number, protocol: number, callback: Callback<Buffer>): void;
  close(): void;
}

/** A PC/SC context as the binding exposes it (node-pcsclite `PCSCLite`). */
export interface BindingContext {
  readonly readers: Record<string, BindingReader>;
  on(event: 'error', listener: (error: unknown) => void): unknown;
  on(event: 'reader', listener: (reader: BindingReader) => void): unknown;
  /** Native: starts the reader-monitoring thread; the JS wrapper calls it once, on the next tick. */
  start: (callback: Callback<Buffer>) => void;
  close(): void;
}

type BindingFactory = () => BindingContext;

let factory: Promise<BindingFactory> | undefined;

/** Imports the binding once; rejects with an ApduError that says what to install. */
export function loadPcscBinding(): Promise<BindingFactory> {
  factory ??= importBinding();
  factory.catch(() => {
    factory = undefined; // let a later call retry after the user installs it
  });
  return factory;
}

async function importBinding(): Promise<BindingFactory> {
  const specifier: string = PCSC_PACKAGE; // not a literal: the type checker must not require the optional package
  let mod: unknown;
  try {
    mod = await import(specifier);
  } catch (e) {
    throw new ApduError('ERR_APDU_TRANSPORT', `PC/SC is not available (${whyUnavailable(e)}). Install it: ${PCSC_INSTALL_HINT}`, { cause: e });
  }
  const loaded = (mod as { default?: unknown }).default;
  if (typeof loaded !== 'function') {
    throw new ApduError('ERR_APDU_TRANSPORT', `${PCSC_PACKAGE} does not export the expected function; reinstall it: ${PCSC_INSTALL_HINT}`);
  }
  return loaded as BindingFactory;
}

function whyUnavailable(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  const code = (e as { code?: unknown } | undefined)?.code;
  if (code === 'ERR_MODULE_NOT_FOUND' && message.includes(PCSC_PACKAGE)) return `${PCSC_PACKAGE} is not installed`;
  if (/libpcsclite/i.test(message)) return 'the libpcsclite shared library is missing';
  if (/bindings file|\.node\b/i.test(message)) return `${PCSC_PACKAGE} is installed but its native addon was not built`;
  return `${PCSC_PACKAGE} failed to load: ${message.split('\n')[0] ?? ''}`;
}

/**
 * Fails fast when pcscd is not running. The binding's constructor retries SCardEstablishContext in a
 * busy loop while the service is absent, which would freeze the process; pcsc-lite (Linux, BSD)
 * reaches pcscd through a UNIX socket, so a refused connection there means "no service".
 */
export async function assertPcscdRunning(socketPath?: string, timeoutMs = 2000): Promise<void> {
  if (process.platform === 'win32' || process.platform === 'darwin') return; // WinSCard / CryptoTokenKit: no pcscd socket
  const path = socketPath ?? process.env.PCSCLITE_CSOCK_NAME ?? DEFAULT_PCSCD_SOCKET;
  await new Promise<void>((resolve, reject) => {
    const socket = createConnection({ path });
    const fail = (reason: string): void => {
      socket.destroy();
      const hint = 'start it (`pcscd`, or `systemctl start pcscd.socket`); to install it: apt-get install pcscd';
      reject(new ApduError('ERR_APDU_TRANSPORT', `pcscd is not running (${path}: ${reason}); ${hint}`));
    };
    socket.setTimeout(timeoutMs, () => fail(`no answer within ${timeoutMs} ms`));
    socket.once('error', (e: NodeJS.ErrnoException) => fail(e.code ?? e.message));
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
  });
}
