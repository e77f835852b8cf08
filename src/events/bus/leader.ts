// Leadership of the correlator through a NATS JetStream Key-Value bucket: whoever `create`s the key
// (which fails while it exists) leads; the bucket's max_age is the lease, and the leader keeps the
// key alive with `update(key, value, revision)`, which fails if anyone else wrote it since. A leader
// that dies stops refreshing, the key expires, and a standby's next `create` succeeds.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { KV } from 'nats';
import type { Logger } from '../../platform/log/index.ts';

const KEY = 'correlator';
const JS_ERR_WRONG_LAST_SEQUENCE = 10071;

export interface LeaseOptions {
  /** Opens (once) the lease bucket, whose max_age must be `leaseMs`. */
  bucket(): Promise<KV>;
  leaseMs: number;
  logger: Logger;
  /** Called on every change; `false` also when the lease could not be refreshed in time. */
  onChange(leader: boolean): void;
}

export class Lease {
  /** Who holds it, as written in the key: enough for an operator (and a test) to find the process. */
  readonly holder = JSON.stringify({ host: os.hostname(), pid: process.pid, id: randomUUID() });
  private revision = 0;
  /** The server expires the key `leaseMs` after our last write; before that moment we are sure to still hold it. */
  private validUntil = 0;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private lastError = '';

  constructor(private readonly o: LeaseOptions) {}

  /** True only while the lease is certainly ours: callers check it before every write they fence. */
  get leader(): boolean {
    return this.revision > 0 && Date.now() < this.validUntil;
  }

  start(): void {
    if (this.timer || this.stopped) return;
    const tick = () => {
      this.running = this.tick().finally(() => {
        this.running = null;
        // A third of the lease: two refreshes may fail (a NATS hiccup) before the lease is lost.
        if (!this.stopped) this.timer = setTimeout(tick, Math.max(100, this.o.leaseMs / 3));
      });
    };
    this.timer = setTimeout(tick, 0);
  }

  private async tick(): Promise<void> {
    const attempt = Date.now();
    const wasLeader = this.revision > 0;
    try {
      const kv = await this.o.bucket();
      if (wasLeader && Date.now() >= this.validUntil) throw new Error('lease expired before it could be refreshed');
      this.revision = wasLeader ? await kv.update(KEY, this.holder, this.revision) : await kv.create(KEY, this.holder);
      this.validUntil = attempt + this.o.leaseMs;
      this.lastError = '';
      if (!wasLeader) {
        this.o.logger.info({ leaseMs: this.o.leaseMs }, 'events correlator: leadership acquired');
        this.o.onChange(true);
      }
    } catch (err) {
      const taken = (err as { api_error?: { err_code?: number } }).api_error?.err_code === JS_ERR_WRONG_LAST_SEQUENCE;
      if (!wasLeader) {
        // Somebody else leads: the normal standby state, not worth a log line.
        if (!taken && (err as Error).message !== this.lastError) this.o.logger.warn({ err }, 'events correlator: lease bucket unavailable');
        this.lastError = (err as Error).message;
        return;
      }
      // Leader: another process wrote the key (ours expired), or the refresh failed past the lease.
      if (taken || Date.now() >= this.validUntil) this.lose(taken ? 'taken over' : (err as Error).message);
    }
  }

  private lose(why: string): void {
    this.revision = 0;
    this.validUntil = 0;
    this.o.logger.warn({ why }, 'events correlator: leadership lost; standing by');
    this.o.onChange(false);
  }

  /** Stops campaigning; `release` deletes our key so a standby takes over at once instead of after the lease. */
  async stop(release: boolean): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    if (this.revision > 0 && release) {
      const kv = await this.o.bucket().catch(() => null);
      // previousSeq: never delete a key another process wrote since.
      await kv?.delete(KEY, { previousSeq: this.revision }).catch(() => {});
    }
    this.revision = 0;
    this.validUntil = 0;
  }
}

export const LEASE_KEY = KEY;
