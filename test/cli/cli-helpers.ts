/**
 * Running `opentsm` in process: `run()` from src/cli/main.ts with stdout and stderr captured, and
 * the prompt input (src/cli/prompt.ts) replaced by a scripted stream — a pipe, or a fake terminal
 * that records its raw-mode switches.
 */
import { createCipheriv } from 'node:crypto';
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

/**
 * Reference cryptography for expected values, on node:crypto alone (not src/crypto), so a test's
 * expectation never comes from the code under test: KCVs of published keys, and a TDES-ECB block.
 */
export const reference = {
  /** 3DES-ECB of one 8-byte block (a 16-byte key is K1 ‖ K2 ‖ K1). */
  tdesEcb: (key: Uint8Array, block: Uint8Array): Uint8Array => {
    const k = key.length === 16 ? Buffer.concat([key, key.subarray(0, 8)]) : Buffer.from(key);
    const c = createCipheriv('des-ede3', k, null).setAutoPadding(false);
    return new Uint8Array(Buffer.concat([c.update(block), c.final()]));
  },
  /** X9.24-1 TDES KCV: 3DES of 8 zero bytes, 3 bytes, hex. */
  tdesKcv: (key: Uint8Array): string => Buffer.from(reference.tdesEcb(key, new Uint8Array(8)).subarray(0, 3)).toString('hex').toUpperCase(),
  /** X9.24-1:2017 AES KCV: AES-CMAC (RFC 4493) of 16 zero bytes, 3 bytes, hex. */
  aesKcv: (key: Uint8Array): string => {
    const aes = (block: Uint8Array): Buffer => {
      const c = createCipheriv(`aes-${key.length * 8}-ecb`, key, null).setAutoPadding(false);
      return Buffer.concat([c.update(block), c.final()]);
    };
    const l = aes(new Uint8Array(16));
    // RFC 4493 §2.3: K1 = L << 1, xor 0x87 when the top bit of L is set; one complete block: M xor K1
    const k1 = Buffer.alloc(16);
    for (let i = 0; i < 16; i++) k1[i] = ((l[i]! << 1) | (i < 15 ? l[i + 1]! >> 7 : 0)) & 0xff;
    if ((l[0]! & 0x80) !== 0) k1[15]! ^= 0x87;
    return aes(k1).subarray(0, 3).toString('hex').toUpperCase();
  },
  /** The key with odd parity in every byte (FIPS 46-3), as a TDES key is stored. */
  oddParity: (key: Uint8Array): Uint8Array =>
    key.map((b) => {
      let ones = 0;
      for (let v = b >> 1; v !== 0; v >>= 1) ones += v & 1;
      return (b & 0xfe) | (ones % 2 === 0 ? 1 : 0);
    }),
};

/** Every form a secret must not appear in: hex upper and lower case, the raw bytes, and (for text) itself. */
export function forms(secret: Uint8Array | string): Buffer[] {
  if (typeof secret === 'string') return [Buffer.from(secret, 'utf8')];
  const hex = Buffer.from(secret).toString('hex');
  return [Buffer.from(hex.toUpperCase(), 'latin1'), Buffer.from(hex, 'latin1'), Buffer.from(secret)];
}
