import pg from 'pg';
import type { Logger } from '../log/index.ts';
import { JOBS_NOTIFY_CHANNEL } from './migrations.ts';

/**
 * Listens for the NOTIFY that the jobs insert trigger sends, so a worker in another process
 * starts a new job at once instead of at its next poll. Best effort: when the connection drops
 * it reconnects with backoff, and polling covers the gap.
 */
export class PostgresWakeListener {
  private client: pg.Client | null = null;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryMs = 500;

  constructor(
    private readonly connectionString: string,
    private readonly onWake: () => void,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.connectionString });
    client.on('error', (err) => {
      this.logger.warn({ err: err.message }, 'job wake-up listener lost its connection; polling until it is back');
      this.reconnectLater(client);
    });
    client.on('end', () => this.reconnectLater(client));
    client.on('notification', (msg) => {
      if (msg.channel === JOBS_NOTIFY_CHANNEL) this.onWake();
    });
    try {
      await client.connect();
      await client.query(`listen ${JOBS_NOTIFY_CHANNEL}`);
      // Stopped while connecting: this connection must not outlive the listener (an open
      // socket would keep the process alive after close).
      if (this.stopped) {
        client.removeAllListeners('end');
        await client.end().catch(() => {});
        return;
      }
      this.client = client;
      this.retryMs = 500;
      // Jobs inserted while we were not listening would otherwise wait for the next poll.
      this.onWake();
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'job wake-up listener could not connect; polling only for now');
      this.reconnectLater(client);
    }
  }

  private reconnectLater(client: pg.Client): void {
    if (this.client === client) this.client = null;
    client.removeAllListeners('end');
    client.end().catch(() => {});
    if (this.stopped || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(this.retryMs * 2, 30_000);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const client = this.client;
    this.client = null;
    if (client) {
      client.removeAllListeners('end');
      await client.end().catch(() => {});
    }
  }
}
