/**
 * In-process token buckets keyed by e.g. a credential fingerprint, so bursts from many tenants or
 * jobs sharing one credential stay within what the vendor allows for it.
 *
 * Each caller reserves its token up front (the bucket may go negative) and sleeps until the token
 * is due, so concurrent callers are spaced evenly in arrival order instead of waking together and
 * racing. A cancelled wait keeps its reservation: the bucket never admits more than the rate.
 */
interface Bucket {
  tokens: number;
  updated: number;
  perSecond: number;
  burst: number;
}

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly maxKeys = 10_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Resolves when the caller may start; returns how long it waited (ms). */
  async take(key: string, perSecond: number, burst = Math.max(1, perSecond), signal?: AbortSignal): Promise<number> {
    if (!(perSecond > 0)) throw new RangeError('rateLimit.perSecond must be greater than 0');
    const capacity = Math.max(1, burst);
    const bucket = this.refilled(key, perSecond, capacity);
    bucket.tokens -= 1;
    if (bucket.tokens >= 0) return 0;
    const waitMs = (-bucket.tokens / perSecond) * 1000;
    await sleep(waitMs, signal);
    return waitMs;
  }

  private refilled(key: string, perSecond: number, burst: number): Bucket {
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= this.maxKeys) this.forgetIdle(now);
      bucket = { tokens: burst, updated: now, perSecond, burst };
      this.buckets.set(key, bucket);
    }
    // The latest limits for a key apply (a connector's settings may change).
    bucket.perSecond = perSecond;
    bucket.burst = burst;
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.updated) / 1000) * perSecond);
    bucket.updated = now;
    return bucket;
  }

  /** A bucket that has refilled completely is the same as a new one, so it can go. */
  private forgetIdle(now: number): void {
    for (const [key, b] of this.buckets) {
      if (b.tokens + ((now - b.updated) / 1000) * b.perSecond >= b.burst) this.buckets.delete(key);
    }
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
