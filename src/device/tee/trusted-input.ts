/**
 * The trusted input path (the "touchscreen" the TEE owns while a trusted UI is shown): a channel
 * between the phone platform and the TEE process that the rich OS — the wallet — never sees. Here
 * it is the IPC channel of the forked TEE process (tee-platform.ts holds its end): the TEE shows a
 * prompt, the platform (a test, the demo, a user at the CLI) types the digits or presses cancel.
 *
 * TA side: {@link IpcTrustedInput}; platform side: {@link Touchscreen}.
 */
import { EventEmitter } from 'node:events';
import { TEEC_RESULT, TEE_ERROR_TIMEOUT } from './teec.ts';
import { TaError } from './tee-server.ts';

/** What a TA asks of the trusted input: one PIN, or a TaError (CANCEL, TIMEOUT, BUSY). */
export interface TrustedInput {
  readPin(prompt: string, signal: AbortSignal): Promise<string>;
}

/** TEE → platform. */
export type TouchscreenEvent = { readonly type: 'prompt'; readonly prompt: string } | { readonly type: 'prompt-closed' };
/** Platform → TEE. */
export type TouchscreenInput = { readonly type: 'pin'; readonly digits: string } | { readonly type: 'pin-cancel' };

/** The longest entry the touchscreen accepts (ISO 9564-1 PINs are 4 to 12 digits). */
const MAX_ENTRY = 12;

/** The end of an IPC channel (a child's `process`, a ChildProcess). */
export interface IpcChannel {
  send(message: unknown): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
}

/** The TEE process's trusted input over its IPC channel to the platform; one prompt at a time, bounded in time. */
export class IpcTrustedInput implements TrustedInput {
  #waiting: ((input: TouchscreenInput) => void) | undefined;

  constructor(private readonly channel: IpcChannel, private readonly timeoutMs: number) {
    channel.on('message', (m: unknown) => {
      const input = asInput(m);
      if (input !== undefined) this.#waiting?.(input);
    });
  }

  readPin(prompt: string, signal: AbortSignal): Promise<string> {
    if (this.#waiting !== undefined) return Promise.reject(new TaError(TEEC_RESULT.ERROR_BUSY, 'the trusted UI is showing another prompt'));
    if (signal.aborted) return Promise.reject(new TaError(TEEC_RESULT.ERROR_CANCEL, 'PIN entry cancelled'));
    return new Promise<string>((resolve, reject) => {
      const end = (error: TaError | undefined, pin?: string): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.#waiting = undefined;
        this.channel.send({ type: 'prompt-closed' } satisfies TouchscreenEvent);
        if (error === undefined) resolve(pin!);
        else reject(error);
      };
      const onAbort = (): void => end(new TaError(TEEC_RESULT.ERROR_CANCEL, 'PIN entry cancelled'));
      const timer = setTimeout(() => end(new TaError(TEE_ERROR_TIMEOUT, 'no PIN entered in time')), this.timeoutMs);
      signal.addEventListener('abort', onAbort);
      this.#waiting = (input) => (input.type === 'pin' ? end(undefined, input.digits) : end(new TaError(TEEC_RESULT.ERROR_CANCEL, 'the user cancelled PIN entry')));
      this.channel.send({ type: 'prompt', prompt } satisfies TouchscreenEvent);
    });
  }
}

function asInput(m: unknown): TouchscreenInput | undefined {
  if (typeof m !== 'object' || m === null) return undefined;
  const v = m as Record<string, unknown>;
  if (v.type === 'pin-cancel') return { type: 'pin-cancel' };
  if (v.type === 'pin' && typeof v.digits === 'string' && v.digits.length <= MAX_ENTRY) return { type: 'pin', digits: v.digits };
  return undefined;
}

/**
 * The platform's end of the trusted input: it sees the prompts the TEE shows and types into them.
 * Events: `prompt` (the prompt text), `closed`.
 * @example const prompt = await tee.touchscreen.nextPrompt(); tee.touchscreen.enter('739152846031')
 */
export class Touchscreen extends EventEmitter {
  #current: string | undefined;

  constructor(private readonly channel: IpcChannel) {
    super();
    channel.on('message', (m: unknown) => {
      const e = m as Partial<TouchscreenEvent> | null;
      if (e?.type === 'prompt' && typeof e.prompt === 'string') {
        this.#current = e.prompt;
        this.emit('prompt', e.prompt);
      } else if (e?.type === 'prompt-closed') {
        this.#current = undefined;
        this.emit('closed');
      }
    });
  }

  /** The prompt on screen now, if any. */
  get showing(): string | undefined {
    return this.#current;
  }

  /** The prompt on screen, or the next one shown. */
  nextPrompt(): Promise<string> {
    if (this.#current !== undefined) return Promise.resolve(this.#current);
    return new Promise((resolve) => this.once('prompt', resolve));
  }

  /** Types `digits` and presses OK. Ignored by the TEE when no prompt is shown. */
  enter(digits: string): void {
    this.channel.send({ type: 'pin', digits } satisfies TouchscreenInput);
  }

  /** Presses cancel. */
  cancel(): void {
    this.channel.send({ type: 'pin-cancel' } satisfies TouchscreenInput);
  }
}
