// A worker's side of the bus: pulls raw events from the shared durable consumer, stores them in
// batches (normalize → store → Sigma → alerts) and acknowledges each message only once its batch is
// stored. A worker that dies holds unacknowledged messages that NATS redelivers after ack_wait to
// any other worker; a batch that fails is nak'ed with a growing delay so it comes back later.
import { createHash } from 'node:crypto';
import type { ConsumerMessages, JsMsg } from 'nats';
import type { Logger } from '../../platform/log/index.ts';
import type { RawEvent } from '../pipeline/queue.ts';
import { CONSUMER } from './config.ts';
import type { BusMetrics } from './metrics.ts';
import { MAX_DELIVER, type NatsBus } from './nats.ts';

const NAK_BASE_MS = 500;
const NAK_MAX_MS = 30_000;
const RECONNECT_MAX_MS = 30_000;
const MAX_ID_CHARS = 64;

export interface ConsumerDeps {
  bus: NatsBus;
  metrics: BusMetrics;
  logger: Logger;
  /**
   * Stores and evaluates a batch; resolves when it is stored. Returns the events it refused for
   * good (e.g. claiming a tenant their collector does not belong to): they are terminated, not retried.
   */
  store(batch: RawEvent[]): Promise<Set<RawEvent>>;
}

const str = (v: unknown, max = Infinity): v is string => typeof v === 'string' && v.length <= max;

/** The message as a RawEvent, or null when it is not one (never trusted: anyone may publish on NATS). */
function decode(m: JsMsg, subjectOf: (tenantId: string) => string): RawEvent | null {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength).toString('utf8'));
  } catch {
    return null;
  }
  if (!v || typeof v !== 'object') return null;
  if (!str(v.collectorId, 64) || !str(v.tenantId, 64) || !str(v.sourceIp, 64) || !str(v.raw) || typeof v.receivedAt !== 'number' || !Number.isFinite(v.receivedAt)) return null;
  if (v.id !== undefined && !str(v.id, MAX_ID_CHARS)) return null;
  // The subject names the tenant; a body claiming another one is not ours to store.
  try {
    if (m.subject !== subjectOf(v.tenantId)) return null;
  } catch {
    return null;
  }
  return { id: v.id, collectorId: v.collectorId, tenantId: v.tenantId, sourceIp: v.sourceIp, raw: v.raw, receivedAt: v.receivedAt };
}

/** A stable id for a message published without one: same stream sequence, same event row. */
function idFromSequence(stream: string, seq: number): string {
  const h = createHash('sha256').update(`${stream}:${seq}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export class BusConsumer {
  private stopped = false;
  private loop: Promise<void> | null = null;
  private messages: ConsumerMessages | null = null;
  private wakeReader: (() => void) | null = null;
  private sleeping: { timer: NodeJS.Timeout; done: () => void } | null = null;

  constructor(private readonly d: ConsumerDeps) {}

  start(): void {
    this.loop ??= this.run();
  }

  private async run(): Promise<void> {
    let attempt = 0;
    let lastError = '';
    while (!this.stopped) {
      try {
        const { js } = await this.d.bus.ready();
        const consumer = await js.consumers.get(this.d.bus.config.stream, CONSUMER);
        // About two batches in flight per worker: one being stored, one arriving meanwhile.
        this.messages = await consumer.consume({ max_messages: 2 * this.d.bus.config.batch, expires: 30_000 });
        if (attempt > 0) this.d.logger.info({ stream: this.d.bus.config.stream }, 'events bus consumer resumed');
        attempt = 0;
        lastError = '';
        await this.drain(this.messages);
      } catch (err) {
        if (this.stopped) break;
        // Logged once per distinct failure, not on every retry of a long outage.
        const msg = (err as Error).message;
        if (msg !== lastError) this.d.logger.error({ err }, 'events bus consumer failed; retrying');
        lastError = msg;
        // The stream or the consumer may have been deleted: recreate them on the next connection.
        await this.d.bus.reset().catch(() => {});
      }
      if (this.stopped) break;
      await this.sleep(Math.min(RECONNECT_MAX_MS, 500 * 2 ** attempt++));
    }
  }

  /** One reader fills a bounded buffer; this loop stores whatever is there as one batch. */
  private async drain(messages: ConsumerMessages): Promise<void> {
    const { batch } = this.d.bus.config;
    const buf: JsMsg[] = [];
    let readerDone = false;
    let readerError: unknown = null;
    let space: (() => void) | null = null;
    const reader = (async () => {
      try {
        for await (const m of messages) {
          buf.push(m);
          this.wakeReader?.();
          // Backpressure: stop iterating (and so pulling) while two batches wait.
          while (buf.length >= 2 * batch && !this.stopped) await new Promise<void>((r) => (space = r));
        }
      } catch (err) {
        readerError = err;
      } finally {
        readerDone = true;
        this.wakeReader?.();
      }
    })();
    while (!this.stopped) {
      if (buf.length === 0) {
        if (readerDone) break;
        await new Promise<void>((r) => (this.wakeReader = r));
        this.wakeReader = null;
        continue;
      }
      const msgs = buf.splice(0, batch);
      (space as (() => void) | null)?.();
      await this.handle(msgs);
    }
    // Stopping: what was fetched but not stored goes back at once for another worker.
    for (const m of buf.splice(0)) m.nak();
    (space as (() => void) | null)?.();
    await reader;
    if (readerError && !this.stopped) throw readerError;
    if (!this.stopped) throw new Error('events bus consumer ended');
  }

  private async handle(msgs: JsMsg[]): Promise<void> {
    const { metrics, logger, bus } = this.d;
    const events: RawEvent[] = [];
    const held: JsMsg[] = [];
    for (const m of msgs) {
      if (m.redelivered) metrics.redelivered.inc();
      const e = decode(m, (t) => bus.subject(t));
      if (!e) {
        m.term();
        metrics.givenUp.inc();
        logger.warn({ seq: m.seq, subject: m.subject }, 'events bus message is not a raw event; terminated');
        continue;
      }
      e.id ??= idFromSequence(bus.config.stream, m.seq);
      events.push(e);
      held.push(m);
    }
    if (events.length === 0) return;
    // A slow batch must not look like a dead worker: extend the acknowledgement deadline while storing.
    const keepAlive = setInterval(() => held.forEach((m) => m.working()), Math.max(250, bus.config.ackWaitMs / 3));
    try {
      const refused = await this.d.store(events);
      held.forEach((m, i) => {
        if (refused.has(events[i])) {
          m.term();
          metrics.givenUp.inc();
        } else m.ack();
      });
      metrics.consumed.inc(held.length - refused.size);
      if (refused.size) logger.warn({ count: refused.size }, 'events bus messages for unknown collectors or the wrong tenant terminated');
    } catch (err) {
      logger.error({ err, count: held.length }, 'event batch from the bus could not be stored; redelivering later');
      for (const m of held) {
        const deliveries = m.info.deliveryCount;
        if (deliveries >= MAX_DELIVER) {
          m.term();
          metrics.givenUp.inc();
          logger.error({ seq: m.seq, deliveries }, 'event given up after its last allowed delivery');
        } else m.nak(Math.min(NAK_MAX_MS, NAK_BASE_MS * 2 ** (deliveries - 1)));
      }
    } finally {
      clearInterval(keepAlive);
    }
    metrics.pending.set(msgs[msgs.length - 1].info.pending);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.sleeping = null;
        resolve();
      };
      this.sleeping = { timer: setTimeout(done, ms), done };
    });
  }

  /** Finishes the batch being stored, hands the rest back to NATS, and stops pulling. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.messages?.stop();
    this.wakeReader?.();
    if (this.sleeping) {
      clearTimeout(this.sleeping.timer);
      this.sleeping.done();
    }
    await this.loop;
  }
}
