/**
 * Secrets typed by a person: passphrases and key components at a terminal with echo off (raw mode),
 * never from argv or the environment. A secret comes from a pipe only when the command line asks for
 * it explicitly (`--stdin-secrets` for a scripted ceremony, `-` as an option value in `calc`); a
 * non-terminal input is otherwise refused, so a secret cannot be fed from a file by accident.
 *
 * Tests inject the input stream with {@link setPromptInput}: a plain stream for the scripted path,
 * or one with `isTTY` and `setRawMode` to drive the terminal path. Prompts go to stderr.
 */
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { CliError } from './errors.ts';

/** What a prompt reads from: process.stdin, or a stream a test scripts. */
export type PromptStream = Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };

let injected: PromptStream | undefined;

/** Replaces the prompt input (tests); `undefined` restores process.stdin. */
export function setPromptInput(stream: PromptStream | undefined): void {
  injected = stream;
}

const CTRL_C = '\u0003';
const CTRL_D = '\u0004';
const CTRL_U = '\u0015';
const BACKSPACE = new Set(['\u007f', '\b']);

/** Options of {@link Prompter.open}. */
export interface PrompterOptions {
  /** Read from a non-terminal input (the user asked for it: `--stdin-secrets`, or `-` in calc). */
  readonly allowNonTty: boolean;
  /** How to name the way out in the refusal, e.g. "give --stdin-secrets for a scripted ceremony". */
  readonly nonTtyAdvice: string;
  /** Where prompts are written; stderr by default. */
  readonly write?: (text: string) => void;
}

/**
 * Reads answers one line at a time from one input stream. On a terminal each answer is read in raw
 * mode (nothing echoed; backspace and Ctrl-U edit, Ctrl-C and Ctrl-D cancel); from a pipe it is the
 * next line. Call {@link close} when done, which restores the terminal and releases the stream.
 */
export class Prompter {
  readonly #input: PromptStream;
  readonly #write: (text: string) => void;
  readonly #decoder = new StringDecoder('utf8');
  /** Characters received but not yet consumed (typed ahead, or the rest of a piped chunk). */
  #pending = '';
  #ended = false;

  private constructor(input: PromptStream, write: (text: string) => void) {
    this.#input = input;
    this.#write = write;
  }

  /** A prompter on the injected input or process.stdin; refuses a non-terminal unless allowed. */
  static open(options: PrompterOptions): Prompter {
    const input: PromptStream = injected ?? process.stdin;
    if (input.isTTY !== true && !options.allowNonTty) {
      throw new CliError('ERR_CLI_USAGE', `secrets are read from a terminal, and stdin is not one: ${options.nonTtyAdvice}`);
    }
    return new Prompter(input, options.write ?? ((text) => void process.stderr.write(text)));
  }

  /** True when answers are typed at a terminal (no echo). */
  get interactive(): boolean {
    return this.#input.isTTY === true;
  }

  /** Asks for one secret (the prompt only at a terminal); never echoed. An empty answer is refused. */
  async secret(label: string): Promise<string> {
    if (this.interactive) this.#write(`${label}: `);
    const answer = await this.#readLine(label, false);
    if (this.interactive) this.#write('\n');
    if (answer === '') throw new CliError('ERR_CLI_INPUT', `${label}: nothing was entered`);
    return answer;
  }

  /** Asks for a value that is not secret (a KCV read from a form); a terminal echoes it. */
  async ask(label: string): Promise<string> {
    if (this.interactive) this.#write(`${label}: `);
    const answer = await this.#readLine(label, true);
    if (this.interactive) this.#write('\n');
    if (answer === '') throw new CliError('ERR_CLI_INPUT', `${label}: nothing was entered`);
    return answer;
  }

  /** Asks twice and requires both answers to match (a new passphrase). */
  async newSecret(label: string): Promise<string> {
    const first = await this.secret(label);
    const second = await this.secret(`${label} (again)`);
    if (first !== second) throw new CliError('ERR_CLI_INPUT', `${label}: the two entries differ`);
    return first;
  }

  /** Restores the terminal mode and stops reading. */
  close(): void {
    if (this.#input.isTTY === true) this.#input.setRawMode?.(false);
    this.#input.pause();
  }

  /** The next line: from the pending characters, else from the stream as it arrives. Raw mode echoes only with `echo`. */
  #readLine(label: string, echo: boolean): Promise<string> {
    const raw = this.#input.isTTY === true;
    return new Promise<string>((resolve, reject) => {
      let line = '';
      const finish = (error: CliError | undefined): void => {
        this.#input.off('data', onData);
        this.#input.off('end', onEnd);
        this.#input.off('error', onError);
        if (raw) this.#input.setRawMode?.(false);
        this.#input.pause();
        if (error === undefined) resolve(line);
        else reject(error);
      };
      /** Consumes pending characters; true once the line is complete (or cancelled). */
      const consume = (): boolean => {
        while (this.#pending.length > 0) {
          const ch = this.#pending[0]!;
          this.#pending = this.#pending.slice(1);
          if (ch === '\n' || ch === '\r') {
            if (ch === '\r' && this.#pending[0] === '\n') this.#pending = this.#pending.slice(1);
            finish(undefined);
            return true;
          }
          if (raw && (ch === CTRL_C || (ch === CTRL_D && line === ''))) {
            this.#pending = '';
            finish(new CliError('ERR_CLI_INPUT', `${label}: cancelled`));
            return true;
          }
          if (raw && BACKSPACE.has(ch)) {
            if (echo && line !== '') this.#write('\b \b');
            line = line.slice(0, -1);
          } else if (raw && ch === CTRL_U) {
            if (echo) this.#write('\b \b'.repeat(line.length));
            line = '';
          } else if (ch >= ' ' || ch === '\t') {
            if (raw && echo) this.#write(ch);
            line += ch;
          }
        }
        return false;
      };
      const onData = (chunk: string | Uint8Array): void => {
        this.#pending += typeof chunk === 'string' ? chunk : this.#decoder.write(Buffer.from(chunk));
        consume();
      };
      const onEnd = (): void => {
        this.#ended = true;
        if (line !== '') finish(undefined);
        else finish(new CliError('ERR_CLI_INPUT', `${label}: the input ended before it was given`));
      };
      const onError = (): void => finish(new CliError('ERR_CLI_INPUT', `${label}: the input cannot be read`));
      // raw mode first: characters typed ahead are then not echoed either
      if (raw) this.#input.setRawMode?.(true);
      if (consume()) return;
      if (this.#ended || this.#input.readableEnded) {
        onEnd();
        return;
      }
      this.#input.on('data', onData);
      this.#input.once('end', onEnd);
      this.#input.once('error', onError);
      this.#input.resume();
    });
  }
}
