/**
 * The verification progress bar on stderr. On a terminal it redraws in place (at most ten times a
 * second); elsewhere (a pipe, a log, a test) it prints one line at the end, so logs stay short.
 */
import type { Output } from '../gp/output.ts';
import type { VerifyProgress } from '../../tsm/index.ts';

const WIDTH = 30;

/** A bar over the records of a log. */
export class VerifyBar {
  readonly #out: Output;
  #last = 0;
  #progress: VerifyProgress = { checked: 0, total: 0 };

  constructor(out: Output) {
    this.#out = out;
  }

  /** The verifier's progress callback. */
  update(progress: VerifyProgress): void {
    this.#progress = progress;
    if (!this.#out.interactive) return;
    const now = Date.now();
    if (now - this.#last < 100) return;
    this.#last = now;
    const { checked, total } = progress;
    const filled = total === 0 ? WIDTH : Math.min(WIDTH, Math.round((checked / total) * WIDTH));
    this.#out.status(`verifying [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${checked}/${total} records`);
  }

  /** Ends the bar with its summary line. */
  finish(): void {
    if (this.#out.interactive) this.#out.status('');
    this.#out.err(`verified ${this.#progress.checked} of ${this.#progress.total} records`);
  }
}
