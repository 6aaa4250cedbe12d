/**
 * Running `opentsm` in process: `run()` from src/cli/main.ts with stdout and stderr captured, and
 * the prompt input (src/cli/prompt.ts) replaced by a scripted stream — a pipe, or a fake terminal
 * that records its raw-mode switches.
 */
import { PassThrough } from 'node:stream';
import { run } from '../../src/cli/main.ts';
import { setPromptInput, type PromptStream } from '../../src/cli/prompt.ts';

/** What one CLI run printed. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `opentsm …args`, reading prompts from `input` (default: an empty pipe). */
export async function runCli(args: readonly string[], input: PromptStream = pipeInput([])): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  // The CLI writes strings. node --test's child process reports to its parent over stdout in
  // binary frames, which can interleave while a run awaits its input: those pass through.
  process.stdout.write = (chunk: string | Uint8Array, ...rest: never[]) => {
    if (typeof chunk !== 'string') return out(chunk, ...rest);
    stdout += chunk;
    return true;
  };
  process.stderr.write = (chunk: string | Uint8Array, ...rest: never[]) => {
    if (typeof chunk !== 'string') return err(chunk, ...rest);
    stderr += chunk;
    return true;
  };
  setPromptInput(input);
  try {
    const code = await run(['node', 'opentsm', ...args]);
    return { code, stdout, stderr };
  } finally {
    setPromptInput(undefined);
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

/** A pipe that yields `lines` and ends (what `--stdin-secrets` or `-` reads). */
export function pipeInput(lines: readonly string[]): PromptStream {
  const stream = new PassThrough();
  stream.end(lines.map((l) => `${l}\n`).join(''));
  return stream;
}

/** A fake terminal: `isTTY`, a recorded `setRawMode`, and the keystrokes typed so far. */
export class FakeTty extends PassThrough {
  readonly isTTY = true;
  readonly rawModes: boolean[] = [];

  /** Types `text` (use '\r' for Enter, '\x7f' for backspace, '\x03' for Ctrl-C). */
  type(text: string): this {
    this.write(text);
    return this;
  }

  setRawMode(mode: boolean): this {
    this.rawModes.push(mode);
    return this;
  }
}

/** The result's stdout as JSON. */
export function json(r: CliResult): Record<string, unknown> {
  return JSON.parse(r.stdout) as Record<string, unknown>;
}
