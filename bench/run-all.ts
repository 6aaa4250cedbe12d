/** Runs a benchmark's operations with bounded concurrency and records each one's latency. */

/** The latencies of the successes (ms), the errors' messages, the wall time (s). */
export interface RunAllResult {
  readonly ms: number[];
  readonly errors: string[];
  readonly seconds: number;
}

/**
 * Runs `work` over `items`, `concurrency` at a time; `onProgress(done, total)` after each item.
 * @example const run = await runAll(world.phones, 16, (phone) => deployPhone(world, phone));
 */
export async function runAll<I>(items: readonly I[], concurrency: number, work: (item: I) => Promise<unknown>, onProgress?: (done: number, total: number) => void): Promise<RunAllResult> {
  const ms: number[] = [];
  const errors: string[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++]!;
      const t0 = performance.now();
      try {
        await work(item);
        ms.push(performance.now() - t0);
      } catch (e) {
        errors.push(e instanceof Error ? e.message : String(e));
      }
      onProgress?.(ms.length + errors.length, items.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return { ms, errors, seconds: (performance.now() - started) / 1000 };
}
