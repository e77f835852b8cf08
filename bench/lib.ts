/** One figure printed by `npm run bench`. */
export interface BenchRow {
  suite: string;
  name: string;
  value: number;
  unit: string;
  note?: string;
}

export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export function median(xs: number[]): number {
  return percentile(xs, 50);
}

/** Runs fn `runs` times and returns the median wall time in milliseconds. */
export async function medianMs(runs: number, fn: () => Promise<unknown> | unknown): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return median(times);
}
