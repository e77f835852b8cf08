// The QueueRunner's sink when the bus is configured: instead of storing a batch, it publishes each
// raw event to the JetStream stream and resolves only when NATS acknowledged every one (stored in
// the stream). A rejection makes the runner keep the batch in the disk spool and retry it, exactly
// as when the database refuses a batch in the embedded pipeline.
import { JSONCodec } from 'nats';
import { newId } from '../../platform/ids.ts';
import type { BatchResult, Processor } from '../pipeline/processor.ts';
import type { RawEvent } from '../pipeline/queue.ts';
import type { BusMetrics } from './metrics.ts';
import type { NatsBus } from './nats.ts';

const PUBLISH_TIMEOUT_MS = 5000;
const codec = JSONCodec<RawEvent>();

export class BusPublisher implements Pick<Processor, 'process'> {
  constructor(
    private readonly bus: NatsBus,
    private readonly metrics: BusMetrics,
  ) {}

  async process(batch: RawEvent[]): Promise<BatchResult> {
    const { js } = await this.bus.ready();
    // The id is set on the event object itself: a batch that fails goes to the spool with its ids,
    // so the retry republishes the same ids. JetStream drops duplicates within its window, and the
    // worker stores under that id (insert-or-ignore), so a retry never stores an event twice.
    for (const e of batch) e.id ??= newId();
    // Published concurrently (the client pipelines them on one socket); all settle before failing
    // so no publish is still in flight when the runner spools the batch.
    const results = await Promise.allSettled(batch.map((e) => js.publish(this.bus.subject(e.tenantId), codec.encode(e), { msgID: e.id, timeout: PUBLISH_TIMEOUT_MS })));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    this.metrics.published.inc(batch.length - failed.length);
    if (failed.length) throw new Error(`${failed.length} of ${batch.length} events not acknowledged by NATS JetStream: ${(failed[0].reason as Error)?.message ?? failed[0].reason}`);
    return { accepted: batch.length, stored: 0, parseErrors: 0, alerts: 0 };
  }
}
