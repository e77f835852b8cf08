// Drives the processor from the bounded queue: one batch at a time, in arrival order.
import type { Logger } from '../../platform/log/index.ts';
import type { PipelineMetrics } from './metrics.ts';
import type { Processor } from './processor.ts';
import type { BoundedQueue } from './queue.ts';

const BATCH = 1000;

export class QueueRunner {
  private running: Promise<void> | null = null;
  private scheduled = false;
  private stopped = false;

  constructor(
    private readonly queue: BoundedQueue,
    private readonly processor: Processor,
    private readonly metrics: PipelineMetrics,
    private readonly logger: Logger,
  ) {}

  /** Called by listeners after enqueueing; coalesces into one pump per tick. */
  wake(): void {
    if (this.scheduled || this.running || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.running) this.running = this.pump().finally(() => (this.running = null));
    });
  }

  private async pump(): Promise<void> {
    while (this.queue.size > 0 && !this.stopped) {
      this.metrics.queueDepth.set(this.queue.size);
      const batch = this.queue.take(BATCH);
      try {
        await this.processor.process(batch);
      } catch (err) {
        // The database refused the batch: these events are lost (UDP/TCP syslog has no ack), counted as drops.
        for (const e of batch) this.metrics.countDropped(e.collectorId);
        this.logger.error({ err, count: batch.length }, 'event batch could not be stored');
      }
    }
    this.metrics.queueDepth.set(this.queue.size);
  }

  /** Processes what is queued (so close loses nothing already received), then stops. */
  async stop(): Promise<void> {
    if (this.running) await this.running;
    await this.pump();
    this.stopped = true;
  }

  /** Resolves once everything queued so far is processed (tests, benchmarks). */
  async idle(): Promise<void> {
    while (this.queue.size > 0 || this.running || this.scheduled) {
      if (this.running) await this.running;
      else await new Promise((r) => setImmediate(r));
    }
  }
}
