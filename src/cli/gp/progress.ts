/**
 * A progress bar on stderr for long block sequences (LOAD). On a terminal it redraws in place; on
 * anything else (a pipe, a log, a test) it prints one summary line at the end, so logs stay short.
 */
import type { Output } from './output.ts';

const WIDTH = 30;

/** A bar over `total` blocks of `totalBytes` bytes; `tick` per block, `finish` at the end. */
export class ProgressBar {
  readonly #out: Output;
  readonly #label: string;
  readonly #total: number;
  readonly #totalBytes: number;
  #done = 0;
  #bytes = 0;

  constructor(out: Output, label: string, total: number, totalBytes: number) {
    this.#out = out;
    this.#label = label;
    this.#total = total;
    this.#totalBytes = totalBytes;
    this.#draw();
  }

  /** One more unit done, carrying `bytes`. */
  tick(bytes: number): void {
    this.#done++;
    this.#bytes += bytes;
    this.#draw();
  }

  /** Ends the bar with its summary line. */
  finish(): void {
    if (this.#out.interactive) this.#out.status('');
    this.#out.err(`${this.#label}: ${this.#done}/${this.#total} blocks, ${this.#bytes}/${this.#totalBytes} bytes`);
  }

  #draw(): void {
    if (!this.#out.interactive) return;
    const filled = this.#total === 0 ? WIDTH : Math.round((this.#done / this.#total) * WIDTH);
    this.#out.status(`${this.#label} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${this.#done}/${this.#total} blocks, ${this.#bytes}/${this.#totalBytes} bytes`);
  }
}
