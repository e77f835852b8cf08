import type { Completion, JobStore } from './store.ts';

interface Pending {
  completion: Completion;
  resolve(recorded: boolean): void;
  reject(err: unknown): void;
}

/**
 * Group commit for successful jobs: completions that arrive while a write is in flight are
 * written together by the next one, so a busy worker spends one round trip per batch instead of
 * one per job, and an idle one still writes each completion at once.
 */
export class Completer {
  private pending: Pending[] = [];
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly store: JobStore,
    private readonly maxBatch = 500,
  ) {}

  /** Resolves true once recorded, false if the claim had been lost (nothing was written). */
  add(completion: Completion): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.pending.push({ completion, resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    if (this.flushing) return;
    this.flushing = this.flush().finally(() => {
      this.flushing = null;
      // A completion added after the loop saw an empty list but before this ran.
      if (this.pending.length > 0) this.kick();
    });
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.maxBatch);
      try {
        const recorded = await this.store.complete(
          batch.map((p) => p.completion),
          Date.now(),
        );
        for (const p of batch) p.resolve(recorded.has(p.completion.id));
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    }
  }

  /** Waits for every completion handed in so far to be written. */
  async idle(): Promise<void> {
    while (this.flushing) await this.flushing;
  }
}
