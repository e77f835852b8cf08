import type { BackoffOptions } from './types.ts';

export const DEFAULT_BACKOFF: Required<BackoffOptions> = { baseMs: 1000, maxMs: 5 * 60_000 };

/**
 * Delay before the attempt after `attempt` failed: exponential (base · 2^(attempt-1), capped)
 * with "equal jitter" — a random point in the upper half — so jobs that failed together (a
 * far side that was down) do not all come back at the same instant, yet never sooner than half
 * the nominal delay.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const baseMs = options.baseMs ?? DEFAULT_BACKOFF.baseMs;
  const maxMs = options.maxMs ?? DEFAULT_BACKOFF.maxMs;
  const nominal = Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
  return Math.round(nominal / 2 + random() * (nominal / 2));
}
