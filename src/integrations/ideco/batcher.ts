import type { BatchOutcome } from './ip-block.ts';

/**
 * Coalesces concurrent actions of one integration instance into batches. The response module
 * runs one action per target; when it blocks 1,000 IPs at once, the calls that arrive while a
 * batch is being applied wait and are applied together as the next batch: one session, one list
 * update. Operations stay in arrival order (a block then an unblock of the same value is never
 * reordered), and only consecutive operations of the same kind are merged.
 */
export type OpKind = 'blockIp' | 'unblockIp' | 'blockUrl' | 'unblockUrl';

interface Pending<C> {
  kind: OpKind;
  values: string[];
  ctx: C;
  resolve(outcome: BatchOutcome): void;
  reject(err: unknown): void;
}

interface Queue<C> {
  pending: Pending<C>[];
  running: boolean;
}

export class Batcher<C extends { signal: AbortSignal }> {
  private readonly queues = new Map<string, Queue<C>>();
  /** Sizes of the batches applied (values per batch), for tests and the benchmark. */
  readonly batchSizes: number[] = [];

  constructor(private readonly apply: (ctx: C, kind: OpKind, values: string[]) => Promise<BatchOutcome>) {}

  submit(key: string, kind: OpKind, values: string[], ctx: C): Promise<BatchOutcome> {
    let queue = this.queues.get(key);
    if (!queue) this.queues.set(key, (queue = { pending: [], running: false }));
    const done = new Promise<BatchOutcome>((resolve, reject) => queue.pending.push({ kind, values, ctx, resolve, reject }));
    if (!queue.running) void this.drain(key, queue);
    return done;
  }

  private async drain(key: string, queue: Queue<C>): Promise<void> {
    queue.running = true;
    // Let calls started in the same tick join the first batch.
    await new Promise((r) => setImmediate(r));
    try {
      while (queue.pending.length) {
        const kind = queue.pending[0].kind;
        let n = 0;
        while (n < queue.pending.length && queue.pending[n].kind === kind) n++;
        const batch = queue.pending.splice(0, n).filter((p) => {
          if (!p.ctx.signal.aborted) return true;
          p.reject(p.ctx.signal.reason ?? new Error('the call was cancelled'));
          return false;
        });
        if (!batch.length) continue;
        const values = [...new Set(batch.flatMap((p) => p.values))];
        this.batchSizes.push(values.length);
        try {
          // The first live caller's context carries the batch (same instance, same settings).
          const outcome = await this.apply(batch[0].ctx, kind, values);
          for (const p of batch) p.resolve(slice(outcome, p.values));
        } catch (err) {
          for (const p of batch) p.reject(err);
        }
      }
    } finally {
      queue.running = false;
      if (queue.pending.length) void this.drain(key, queue);
      else this.queues.delete(key);
    }
  }
}

/** One caller's share of a batch outcome. */
function slice(outcome: BatchOutcome, values: string[]): BatchOutcome {
  const mine = new Set(values);
  return { changed: outcome.changed.filter((v) => mine.has(v)), unchanged: outcome.unchanged.filter((v) => mine.has(v)), created: outcome.created };
}
