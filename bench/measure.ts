/**
 * Benchmark helpers: an operation and its floor are timed in alternating rounds in the same process,
 * and the fastest round of each (the one least disturbed by other load and GC) is reported with
 * their ratio. Ratios, not lone absolute times, are what
 * to compare across runs on shared, noisy machines.
 */
export interface Pair {
  name: string;
  op: () => unknown;
  floorName: string;
  floor: () => unknown;
}

export interface PairResult {
  name: string;
  floorName: string;
  opNs: number;
  floorNs: number;
  ratio: number;
}

function timeBatch(fn: () => unknown, iterations: number): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  return Number(process.hrtime.bigint() - start) / iterations;
}

function calibrate(fn: () => unknown, targetMs: number): number {
  let n = 100;
  for (;;) {
    const ns = timeBatch(fn, n) * n;
    if (ns > targetMs * 1e6 || n > 1e7) return Math.max(100, Math.round((n * targetMs * 1e6) / Math.max(ns, 1)));
    n *= 4;
  }
}


/** Times `pair.op` and `pair.floor` in `rounds` alternating batches of about `batchMs` each; keeps the fastest of each. */
export function measurePair(pair: Pair, rounds = 15, batchMs = 40): PairResult {
  const nOp = calibrate(pair.op, batchMs);
  const nFloor = calibrate(pair.floor, batchMs);
  const op: number[] = [];
  const floor: number[] = [];
  for (let r = 0; r < rounds; r++) {
    op.push(timeBatch(pair.op, nOp));
    floor.push(timeBatch(pair.floor, nFloor));
  }
  const opNs = Math.min(...op);
  const floorNs = Math.min(...floor);
  return { name: pair.name, floorName: pair.floorName, opNs, floorNs, ratio: opNs / floorNs };
}

/** Prints results as an aligned table with a progress line per pair on stderr. */
export function report(title: string, results: PairResult[]): void {
  const rows = results.map((r) => [r.name, (r.opNs / 1000).toFixed(2), r.floorName, (r.floorNs / 1000).toFixed(2), `${r.ratio.toFixed(2)}×`]);
  const head = ['operation', 'µs/op', 'floor (bare node:crypto work)', 'µs/op', 'ratio'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 1 || i === 3 || i === 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  console.log(`\n${title}\n`);
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
}
