// Collector definitions as a bus worker sees them. A worker hears of no collector change (they
// are made through some API process), so definitions are read from the database and re-read after
// a short time: a changed normalizer or a disabled collector takes effect within REFRESH_MS.
import type { RawEvent } from '../pipeline/queue.ts';
import type { Collector } from '../store/collectors.ts';

const REFRESH_MS = 5000;
/** Entries kept: anyone who can publish on NATS could name endless unknown collector ids. */
const MAX_KNOWN = 10_000;

export class CollectorDefinitions {
  private readonly known = new Map<string, { c: Collector | undefined; at: number }>();

  constructor(
    private readonly find: (id: string) => Promise<Collector | undefined>,
    private readonly tenantDeleted: (tenantId: string) => boolean,
  ) {}

  /** Enabled definition by id (after `refresh`), else undefined. */
  get(id: string): Collector | undefined {
    return this.known.get(id)?.c;
  }

  /**
   * Loads the batch's collectors and returns the events no worker may store: unknown, disabled or
   * deleted collector (as the embedded pipeline drops events of a collector deleted while queued),
   * or an event claiming a tenant its collector does not belong to. A database error throws
   * (the batch is retried), it never refuses events.
   */
  async refresh(batch: RawEvent[]): Promise<Set<RawEvent>> {
    const at = Date.now();
    if (this.known.size > MAX_KNOWN) this.known.clear();
    for (const id of new Set(batch.map((e) => e.collectorId))) {
      const entry = this.known.get(id);
      if (entry && at - entry.at < REFRESH_MS) continue;
      const c = await this.find(id);
      this.known.set(id, { c: c?.enabled && !this.tenantDeleted(c.tenantId) ? c : undefined, at });
    }
    const refused = new Set<RawEvent>();
    for (const e of batch) if (this.get(e.collectorId)?.tenantId !== e.tenantId) refused.add(e);
    return refused;
  }
}
