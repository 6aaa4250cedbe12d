/**
 * A demo stage over many phones: bounded concurrency, a progress bar on stderr (redrawn on a
 * terminal, one line per tenth otherwise), and each item's latency and outcome kept for the summary.
 */
import type { Output } from '../gp/output.ts';

const WIDTH = 30;

export interface StageResult<T> {
  readonly results: readonly ({ readonly ok: true; readonly value: T; readonly ms: number } | { readonly ok: false; readonly error: string; readonly ms: number })[];
  readonly seconds: number;
}

/** Runs `work` on each of `items`, `concurrency` at a time, showing `label` progress on `out`. */
export async function runStage<I, T>(out: Output, label: string, items: readonly I[], concurrency: number, work: (item: I) => Promise<T>): Promise<StageResult<T>> {
  const results = Array.from<StageResult<T>['results'][number]>({ length: items.length });
  let next = 0;
  let done = 0;
  let lastTenth = -1;
  const draw = (): void => {
    if (out.interactive) {
      const filled = Math.round((done / items.length) * WIDTH);
      out.status(`${label} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${done}/${items.length}`);
    } else if (Math.floor((done * 10) / items.length) > lastTenth) {
      lastTenth = Math.floor((done * 10) / items.length);
      out.err(`${label}: ${done}/${items.length}`);
    }
  };
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      const t0 = performance.now();
      try {
        results[i] = { ok: true, value: await work(items[i]!), ms: performance.now() - t0 };
      } catch (e) {
        results[i] = { ok: false, error: e instanceof Error ? e.message : String(e), ms: performance.now() - t0 };
      }
      done++;
      draw();
    }
  };
  draw();
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  if (out.interactive) out.status('');
  if (out.interactive || lastTenth < 10) out.err(`${label}: ${done}/${items.length}`);
  return { results, seconds: (performance.now() - started) / 1000 };
}

/** The p-th percentile (nearest rank) of `values`, or NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
