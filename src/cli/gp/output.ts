/**
 * Where `opentsm gp` writes: results to stdout, diagnostics (APDU trace, progress, warnings) to
 * stderr, so `opentsm gp list > registry.txt` keeps only the results.
 */

/** The two streams of a command, line by line. */
export interface Output {
  /** A result line (stdout). */
  out(line: string): void;
  /** A diagnostic line (stderr). */
  err(line: string): void;
  /** Rewrites the current stderr line (a progress bar); only called when stderr is a terminal. */
  status(text: string): void;
  /** True when stderr is an interactive terminal (progress bars redraw in place). */
  readonly interactive: boolean;
}

let pipeGuard = false;

/** `opentsm gp list | head`: a reader that stops early is not an error (EPIPE ends the output quietly). */
function guardPipe(): void {
  if (pipeGuard) return;
  pipeGuard = true;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
  });
}

/** The process's own streams. */
export function processOutput(): Output {
  guardPipe();
  return {
    out: (line) => void process.stdout.write(`${line}\n`),
    err: (line) => void process.stderr.write(`${line}\n`),
    status: (text) => void process.stderr.write(`\r${text}\x1b[K`),
    interactive: process.stderr.isTTY === true,
  };
}
