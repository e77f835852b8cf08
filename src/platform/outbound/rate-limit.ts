/**
 * In-process token buckets keyed by e.g. a credential fingerprint, so one tenant's burst cannot
 * exceed what a vendor allows per credential.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; updated: number }>();

  async take(key: string, perSecond: number, burst: number, signal?: AbortSignal): Promise<void> {
    for (;;) {
      const now = Date.now();
      const b = this.buckets.get(key) ?? { tokens: burst, updated: now };
      b.tokens = Math.min(burst, b.tokens + ((now - b.updated) / 1000) * perSecond);
      b.updated = now;
      this.buckets.set(key, b);
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return;
      }
      const waitMs = Math.ceil(((1 - b.tokens) / perSecond) * 1000);
      await new Promise((r) => setTimeout(r, waitMs));
      if (signal?.aborted) throw signal.reason;
    }
  }
}
