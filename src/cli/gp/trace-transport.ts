/**
 * The `-d/--debug` APDU trace: a transport wrapper that writes every command and response as it
 * crosses, through the redaction of redact.ts (CONVENTIONS.md §8). It sits below the secure channel,
 * so it shows what the card really receives: wrapped commands, MACs, GET RESPONSE.
 */
import type { ApduTransport } from '../../apdu/index.ts';
import { formatCommand, formatResponse } from './redact.ts';

/** Writes `>> command` and `<< response [ms]` lines around each exchange with `inner`. */
export class TracingTransport implements ApduTransport {
  /** Set while a secure channel with C-DECRYPTION is open: secured command data is then redacted. */
  commandEncryption = false;
  readonly #inner: ApduTransport;
  readonly #write: (line: string) => void;

  constructor(inner: ApduTransport, write: (line: string) => void) {
    this.#inner = inner;
    this.#write = write;
  }

  async transmit(command: Uint8Array): Promise<Uint8Array> {
    this.#write(`>> ${formatCommand(command, { commandEncryption: this.commandEncryption })}`);
    const started = performance.now();
    const response = await this.#inner.transmit(command);
    this.#write(`<< ${formatResponse(response)} [${Math.round(performance.now() - started)} ms]`);
    return response;
  }
}
