/**
 * When and how long to wait before another attempt. Only calls that are safe to repeat are
 * retried by default: a POST may have taken effect before the connection dropped.
 */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

/** Statuses that mean "try again" rather than "you asked for something wrong". */
export const RETRY_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

export interface RetryOptions {
  /** Extra attempts after the first. Default 2 for idempotent calls, 0 otherwise. */
  retries?: number;
  /** Backoff base. Default 200 ms. */
  minDelayMs?: number;
  /** Backoff cap. Default 5 s. */
  maxDelayMs?: number;
  /**
   * A Retry-After longer than this is not waited out in-process: the 429/503 goes back to the
   * caller (with `retryAfterSeconds`), which can reschedule a job instead. Default 30 s.
   */
  maxRetryAfterMs?: number;
}

export interface RetryPolicy {
  retries: number;
  minDelayMs: number;
  maxDelayMs: number;
  maxRetryAfterMs: number;
}

export function retryPolicy(method: string, options: RetryOptions | undefined, idempotent: boolean | undefined): RetryPolicy {
  const safe = idempotent ?? IDEMPOTENT_METHODS.has(method.toUpperCase());
  const minDelayMs = Math.max(0, options?.minDelayMs ?? 200);
  return {
    retries: Math.max(0, Math.floor(options?.retries ?? (safe ? 2 : 0))),
    minDelayMs,
    maxDelayMs: Math.max(minDelayMs, options?.maxDelayMs ?? 5_000),
    maxRetryAfterMs: Math.max(0, options?.maxRetryAfterMs ?? 30_000),
  };
}

/** Exponential backoff with full jitter: uniform in [0, min(cap, base·2^attempt)]. */
export function backoffMs(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  return random() * Math.min(policy.maxDelayMs, policy.minDelayMs * 2 ** attempt);
}

/**
 * The wait before attempt `attempt + 1`, or null when the server asked for a longer pause than we
 * are willing to hold a call open. A server's Retry-After wins over a shorter backoff.
 */
export function nextDelayMs(attempt: number, policy: RetryPolicy, retryAfterSeconds?: number, random?: () => number): number | null {
  const asked = (retryAfterSeconds ?? 0) * 1000;
  if (asked > policy.maxRetryAfterMs) return null;
  return Math.max(backoffMs(attempt, policy, random), asked);
}

/** Retry-After as seconds: either delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const v = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v);
  const date = Date.parse(v);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - now) / 1000);
}
