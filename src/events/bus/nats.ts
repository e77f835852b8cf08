// The one NATS connection of a process and the JetStream objects it relies on: the stream raw
// events are published to and the durable pull consumer every worker process shares, and the
// matches stream with the correlator's consumer. All are created or brought up to date on first
// use, so any process may start first.
import { AckPolicy, DeliverPolicy, DiscardPolicy, RetentionPolicy, StorageType, connect, nanos, type ConsumerConfig, type JetStreamClient, type JetStreamManager, type NatsConnection, type StreamConfig } from 'nats';
import type { Logger } from '../../platform/log/index.ts';
import { CONSUMER, CORRELATOR_CONSUMER, matchesStream, matchesSubjectRoot, subjectRoot, type BusConfig } from './config.ts';

/** Redeliveries of one event before it is given up (logged and counted); with the back-off below that is hours of database outage. */
export const MAX_DELIVER = 1000;
/** JetStream drops a re-published message with the same id within this window (a publish retried after a lost ack). */
const DUPLICATE_WINDOW_MS = 120_000;
/**
 * The correlator holds a match unacknowledged until a snapshot holding it is written (every
 * snapshotMs), so its deadline must exceed that interval; short enough that the matches a crashed
 * correlator held come back to its successor soon (it signals progress while a write is slow).
 */
const correlatorAckWaitMs = (snapshotMs: number) => Math.max(3000, 3 * snapshotMs);
/** Largest single event message; raw lines are stored truncated to 64 KiB anyway. */
const MAX_MSG_BYTES = 1024 * 1024;
const JS_ERR_STREAM_NAME_IN_USE = 10058;
const JS_ERR_CONSUMER_NOT_FOUND = 10014;

function token(tenantId: string): string {
  // Tenant ids are UUIDs; anything else would change the subject's token structure.
  if (!/^[A-Za-z0-9_-]+$/.test(tenantId)) throw new Error(`tenant id "${tenantId}" cannot be a NATS subject token`);
  return tenantId;
}

export interface BusHandles {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
}

export class NatsBus {
  private handles: Promise<BusHandles> | null = null;
  private closed = false;

  constructor(
    readonly config: BusConfig,
    private readonly logger: Logger,
  ) {}

  get subjectRoot(): string {
    return subjectRoot(this.config.stream);
  }

  subject(tenantId: string): string {
    return `${this.subjectRoot}.${token(tenantId)}`;
  }

  /** Where workers publish a tenant's base-rule matches that feed correlations. */
  matchSubject(tenantId: string): string {
    return `${matchesSubjectRoot(this.config.stream)}.${token(tenantId)}`;
  }

  /**
   * Connects (once) and makes sure the stream and the shared consumer exist. A failure is not
   * cached: the caller's next attempt reconnects, so a NATS server started after xdrhub is picked up.
   */
  ready(): Promise<BusHandles> {
    if (this.closed) return Promise.reject(new Error('events bus closed'));
    this.handles ??= this.open().catch((err) => {
      this.handles = null;
      throw err;
    });
    return this.handles;
  }

  private async open(): Promise<BusHandles> {
    const { servers, user, pass } = this.config;
    const nc = await connect({
      servers,
      user,
      pass,
      name: `xdrhub-${process.pid}`,
      // Once connected, the client rides out server restarts by itself; publishes wait for the reconnect or time out.
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1000,
      timeout: 5000,
    });
    try {
      const jsm = await nc.jetstreamManager();
      await this.ensureStreams(jsm);
      await this.ensureConsumers(jsm);
      this.logger.info({ servers, stream: this.config.stream }, 'events bus connected to NATS JetStream');
      void this.watch(nc);
      return { nc, js: nc.jetstream(), jsm };
    } catch (err) {
      await nc.close().catch(() => {});
      throw err;
    }
  }

  private async ensureStreams(jsm: JetStreamManager): Promise<void> {
    await this.ensureStream(jsm, this.config.stream, `${this.subjectRoot}.>`);
    await this.ensureStream(jsm, matchesStream(this.config.stream), `${matchesSubjectRoot(this.config.stream)}.>`);
  }

  private async ensureConsumers(jsm: JetStreamManager): Promise<void> {
    await this.ensureConsumer(jsm, this.config.stream, { durable_name: CONSUMER, ack_wait: nanos(this.config.ackWaitMs), max_ack_pending: 64 * this.config.batch });
    // Matches wait unacknowledged for the next snapshot: the bound caps what one snapshot interval may hold.
    await this.ensureConsumer(jsm, matchesStream(this.config.stream), { durable_name: CORRELATOR_CONSUMER, ack_wait: nanos(correlatorAckWaitMs(this.config.snapshotMs)), max_ack_pending: 100_000 });
  }

  private async ensureStream(jsm: JetStreamManager, name: string, subjects: string): Promise<void> {
    const config: Partial<StreamConfig> & { name: string } = {
      name,
      subjects: [subjects],
      // A work queue: an event leaves the stream once a worker acknowledged it, so the stream holds only the backlog.
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      // Full stream = refuse new events (the collector spools them) rather than silently drop the oldest.
      discard: DiscardPolicy.New,
      max_bytes: this.config.maxBytes,
      max_msg_size: MAX_MSG_BYTES,
      duplicate_window: nanos(DUPLICATE_WINDOW_MS),
      num_replicas: 1,
    };
    try {
      await jsm.streams.add(config);
    } catch (err) {
      if ((err as { api_error?: { err_code?: number } }).api_error?.err_code !== JS_ERR_STREAM_NAME_IN_USE) throw err;
      // Exists (another process created it, or limits changed): bring the adjustable settings up to date.
      await jsm.streams.update(config.name, { subjects: config.subjects, max_bytes: config.max_bytes, max_msg_size: config.max_msg_size, duplicate_window: config.duplicate_window, discard: config.discard });
    }
  }

  /** `max_ack_pending` bounds what all readers together hold unacknowledged (each worker prefetches about two batches). */
  private async ensureConsumer(jsm: JetStreamManager, stream: string, o: { durable_name: string; ack_wait: number; max_ack_pending: number }): Promise<void> {
    const config: Partial<ConsumerConfig> = { ...o, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, max_deliver: MAX_DELIVER };
    try {
      const info = await jsm.consumers.info(stream, o.durable_name);
      const c = info.config;
      if (c.ack_wait !== config.ack_wait || c.max_deliver !== config.max_deliver || c.max_ack_pending !== config.max_ack_pending) {
        await jsm.consumers.update(stream, o.durable_name, { ack_wait: config.ack_wait, max_deliver: config.max_deliver, max_ack_pending: config.max_ack_pending });
      }
    } catch (err) {
      if ((err as { api_error?: { err_code?: number } }).api_error?.err_code !== JS_ERR_CONSUMER_NOT_FOUND) throw err;
      await jsm.consumers.add(stream, config);
    }
  }

  /**
   * After a consumer failure: the stream or the consumer may have been deleted under a live
   * connection, so they are created again; a closed connection is dropped and reopened next time.
   */
  async reset(): Promise<void> {
    const h = await this.handles?.catch(() => null);
    if (!h) return;
    if (h.nc.isClosed()) {
      this.handles = null;
      return;
    }
    await this.ensureStreams(h.jsm);
    await this.ensureConsumers(h.jsm);
  }

  /** Connection state changes go to the log (no credentials: the servers list holds none). */
  private async watch(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') this.logger.warn({ server: String(s.data) }, 'events bus disconnected from NATS; reconnecting');
      else if (s.type === 'reconnect') this.logger.info({ server: String(s.data) }, 'events bus reconnected to NATS');
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const h = await this.handles?.catch(() => null);
    this.handles = null;
    // drain() delivers the acknowledgements already sent before the socket closes.
    if (h && !h.nc.isClosed()) await h.nc.drain().catch(() => h.nc.close());
  }
}
