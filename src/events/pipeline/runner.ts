// Drives the processor: the in-memory queue first (oldest), then spooled segments from disk, one
// batch at a time in arrival order. A batch the database refuses goes to the spool (when there
// is one) and is retried later, so a database outage loses nothing the spool can hold.
import type { Logger } from '../../platform/log/index.ts';
import type { PipelineMetrics } from './metrics.ts';
import type { Processor } from './processor.ts';
import type { BoundedQueue, RawEvent } from './queue.ts';
import type { DiskSpool } from './spool.ts';

const BATCH = 1000;
const RETRY_MS = 1000;

export class QueueRunner {
  private running: Promise<void> | null = null;
  private scheduled = false;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly queue: BoundedQueue,
    private readonly processor: Pick<Processor, 'process'>,
    private readonly metrics: PipelineMetrics,
    private readonly logger: Logger,
  ) {}

  /** Set when listeners start (only listening processes own a spool). */
  spool: DiskSpool | null = null;

  /** Called by listeners after enqueueing; coalesces into one pump per tick. */
  wake(): void {
    if (this.scheduled || this.running || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.running) this.running = this.pump(true).finally(() => (this.running = null));
    });
  }

  private async pump(withSpool: boolean): Promise<void> {
    while (!this.stopped) {
      this.metrics.queueDepth.set(this.queue.size);
      if (this.queue.size > 0) {
        const batch = this.queue.take(BATCH);
        if (!(await this.tryProcess(batch))) this.keep(batch);
        continue;
      }
      if (!withSpool || !this.spool || this.spool.empty) break;
      const seg = this.spool.readOldest();
      if (!seg) break;
      let ok = true;
      for (let i = 0; ok && i < seg.events.length; i += BATCH) ok = await this.tryProcess(seg.events.slice(i, i + BATCH));
      if (!ok) {
        // The segment stays on disk (re-read later, from its start: at-least-once).
        this.retryLater();
        break;
      }
      seg.done();
    }
    this.metrics.queueDepth.set(this.queue.size);
  }

  private async tryProcess(batch: RawEvent[]): Promise<boolean> {
    try {
      await this.processor.process(batch);
      return true;
    } catch (err) {
      this.logger.error({ err, count: batch.length }, 'event batch could not be stored');
      return false;
    }
  }

  /** A refused in-memory batch: to the spool if it has room, else lost and counted. */
  private keep(batch: RawEvent[]): void {
    for (const e of batch) if (!this.spool?.append(e)) this.metrics.countDropped(e.collectorId);
    this.retryLater();
  }

  private retryLater(): void {
    if (this.retryTimer || this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.wake();
    }, RETRY_MS);
    this.retryTimer.unref();
  }

  /** Stores what is in memory (so close loses nothing received), leaves the spool on disk for the next start. */
  async stop(): Promise<void> {
    if (this.running) await this.running;
    await this.pump(false);
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.spool?.flush();
  }

  /** Resolves once everything received so far is stored (tests, benchmarks). */
  async idle(): Promise<void> {
    while (this.queue.size > 0 || this.running || this.scheduled || (this.spool && !this.spool.empty)) {
      if (this.running) await this.running;
      else if (!this.scheduled && (this.queue.size > 0 || (this.spool && !this.spool.empty))) this.wake();
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}
